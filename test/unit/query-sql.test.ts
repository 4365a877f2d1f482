import { readFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { compileQuery } from "../../durable/storage/query-sql.js";
import { rowToRecord } from "../../durable/storage/query-rows.js";
import { RelayError } from "../../schemas/errors.js";
import { SchemaManifest, type ModelSpec } from "../../schemas/manifest.js";
import { parseQuery, type BoundedQuery, type Condition } from "../../schemas/query.js";

const manifest = SchemaManifest.parse(JSON.parse(readFileSync(new URL("../../djazzkit.schema.json", import.meta.url), "utf8")));
const NOTE = manifest.models["notes.Note"]!;
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;

let db: Database.Database;
beforeEach(() => {
  db = new Database(":memory:");
  db.exec(`CREATE TABLE rows (
    model TEXT NOT NULL, row_id TEXT NOT NULL,
    rev TEXT NOT NULL, gen INTEGER NOT NULL, deleted INTEGER NOT NULL,
    data TEXT, conflicts TEXT NOT NULL DEFAULT '[]', updated_at TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (model, row_id))`);
  const put = db.prepare("INSERT INTO rows (model, row_id, rev, gen, deleted, data, updated_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  const notes: Array<[number, Record<string, unknown> | null, string]> = [
    [1, { title: "Buy MILK", body: "2% fat", archived: false, priority: 1, tags: ["shop"], author: 42 }, "2024-01-01T00:00:01Z"],
    [2, { title: "milk again", body: "100%_real", archived: true, priority: null, tags: null, author: 42 }, "2024-01-01T00:00:03Z"],
    [3, { title: "Call mum", body: "it's o'clock", archived: false, priority: 3, tags: { a: 1 }, author: 42 }, "2024-01-01T00:00:02Z"],
    [4, { title: "Écrire", body: "a\\b", archived: false, author: 42 }, "2024-01-01T00:00:02Z"],
    [5, null, "2024-01-01T00:00:09Z"], // deleted
  ];
  for (const [n, data, at] of notes) {
    put.run("notes.Note", id(n), `1-${"a".repeat(32)}`, n, data === null ? 1 : 0, data && JSON.stringify(data), at, n);
  }
  put.run("notes.Task", id(9), `1-${"b".repeat(32)}`, 1, 0, JSON.stringify({ title: "milk", done: false, owner: 42 }), "2024", 9);
});
afterEach(() => db.close());

const q = (where?: Condition, rest: Partial<BoundedQuery> = {}): BoundedQuery =>
  ({ model: "notes.Note", ...(where ? { where } : {}), limit: 100, offset: 0, ...rest });
function ids(query: BoundedQuery, spec: ModelSpec = NOTE): number[] {
  const c = compileQuery(query, spec);
  return (db.prepare(c.sql).all(...c.params) as Array<{ row_id: string }>).map((r) => Number(r.row_id.slice(-12)));
}
function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(RelayError);
    return (e as RelayError).code;
  }
  throw new Error("expected a RelayError");
}

describe("compileQuery: operators", () => {
  it("the PROTOCOL 4.2 example runs: icontains and not(eq true)", () => {
    const where = { and: [{ field: "title", op: "icontains", value: "milk" }, { not: { field: "archived", op: "eq", value: true } }] } as Condition;
    expect(ids(q(where))).toEqual([1]);
  });

  it("only live rows of the asked model are seen", () => {
    expect(ids(q()).sort()).toEqual([1, 2, 3, 4]);
  });

  it("contains and startswith are case-sensitive; icontains folds ASCII case only", () => {
    expect(ids(q({ field: "title", op: "contains", value: "milk" }))).toEqual([2]);
    expect(ids(q({ field: "title", op: "contains", value: "MILK" }))).toEqual([1]);
    expect(ids(q({ field: "title", op: "startswith", value: "milk" }))).toEqual([2]);
    expect(ids(q({ field: "title", op: "startswith", value: "Milk" }))).toEqual([]);
    expect(ids(q({ field: "title", op: "icontains", value: "mIlK" })).sort()).toEqual([1, 2]);
    expect(ids(q({ field: "title", op: "icontains", value: "écrire" }))).toEqual([]); // like Django on SQLite
  });

  it("LIKE wildcards and quotes in values are plain characters", () => {
    expect(ids(q({ field: "body", op: "contains", value: "%" })).sort()).toEqual([1, 2]);
    expect(ids(q({ field: "body", op: "icontains", value: "%_" }))).toEqual([2]);
    expect(ids(q({ field: "body", op: "contains", value: "_" }))).toEqual([2]);
    expect(ids(q({ field: "body", op: "contains", value: "\\" }))).toEqual([4]);
    expect(ids(q({ field: "body", op: "contains", value: "'" }))).toEqual([3]);
    expect(ids(q({ field: "body", op: "startswith", value: "it's" }))).toEqual([3]);
  });

  it("eq/ne with null are IS NULL / IS NOT NULL; a missing key reads as null", () => {
    expect(ids(q({ field: "priority", op: "eq", value: null })).sort()).toEqual([2, 4]);
    expect(ids(q({ field: "priority", op: "ne", value: null })).sort()).toEqual([1, 3]);
    expect(ids(q({ field: "priority", op: "isnull", value: true })).sort()).toEqual([2, 4]);
    expect(ids(q({ field: "priority", op: "isnull", value: false })).sort()).toEqual([1, 3]);
  });

  it("ne and not() keep NULL rows, like Django's exclude()", () => {
    expect(ids(q({ field: "priority", op: "ne", value: 1 })).sort()).toEqual([2, 3, 4]);
    expect(ids(q({ not: { field: "priority", op: "lt", value: 3 } })).sort()).toEqual([2, 3, 4]);
    expect(ids(q({ field: "priority", op: "lt", value: 3 }))).toEqual([1]);
  });

  it("in drops nulls; an empty list matches nothing and its negation everything", () => {
    expect(ids(q({ field: "priority", op: "in", value: [3, null, 7] }))).toEqual([3]);
    expect(ids(q({ field: "priority", op: "in", value: [] }))).toEqual([]);
    expect(ids(q({ field: "priority", op: "in", value: [null] }))).toEqual([]);
    expect(ids(q({ not: { field: "priority", op: "in", value: [] } })).sort()).toEqual([1, 2, 3, 4]);
  });

  it("booleans bind as 1/0 and numeric strings compare as numbers", () => {
    expect(ids(q({ field: "archived", op: "eq", value: false })).sort()).toEqual([1, 3, 4]);
    expect(ids(q({ field: "priority", op: "gte", value: "2" }))).toEqual([3]);
  });

  it("bookkeeping fields read their columns", () => {
    expect(ids(q({ field: "_djazzkit_id", op: "eq", value: id(3).toUpperCase() }))).toEqual([3]);
    expect(ids(q({ field: "_djazzkit_rev", op: "gt", value: 2 })).sort()).toEqual([3, 4]);
    expect(ids(q({ field: "_djazzkit_updated_at", op: "startswith", value: "2024-01-01T00:00:02" })).sort()).toEqual([3, 4]);
    expect(ids(q({ field: "_djazzkit_deleted", op: "eq", value: true }))).toEqual([]);
  });

  it("and [] is true, or [] is false", () => {
    expect(ids(q({ and: [] })).length).toBe(4);
    expect(ids(q({ or: [] }))).toEqual([]);
  });
});

describe("compileQuery: order and paging", () => {
  it("defaults to newest first with row_id breaking ties", () => {
    expect(ids(q())).toEqual([2, 3, 4, 1]);
  });

  it("orders by model fields with NULLs first ascending, then row_id", () => {
    expect(ids(q(undefined, { order_by: [["priority", "asc"]] }))).toEqual([2, 4, 1, 3]);
    expect(ids(q(undefined, { order_by: [["priority", "desc"]] }))).toEqual([3, 1, 2, 4]);
    expect(ids(q(undefined, { order_by: [["archived", "desc"], ["title", "asc"]] }))).toEqual([2, 1, 3, 4]);
  });

  it("limit and offset page deterministically and the count ignores them", () => {
    const page = (offset: number) => ids(q(undefined, { limit: 2, offset }));
    expect([...page(0), ...page(2), ...page(4)]).toEqual(ids(q()));
    const c = compileQuery(q(undefined, { limit: 1, offset: 3 }), NOTE);
    expect(db.prepare(c.countSql).get(...c.countParams)).toEqual({ total: 4 });
  });
});

describe("compileQuery: refusals", () => {
  it("unknown fields anywhere are unknown_field; a query for another model is unknown_model", () => {
    expect(code(() => compileQuery(q({ field: "colour", op: "eq", value: 1 }), NOTE))).toBe("unknown_field");
    expect(code(() => compileQuery(q(undefined, { order_by: [["colour", "asc"]] }), NOTE))).toBe("unknown_field");
    expect(code(() => compileQuery(q({ not: { or: [{ field: "__proto__", op: "eq", value: 1 }] } }), NOTE))).toBe("unknown_field");
    expect(code(() => compileQuery(q({ field: "constructor", op: "eq", value: 1 }), NOTE))).toBe("unknown_field");
    expect(code(() => compileQuery(q(), NOTE, "notes.Other"))).toBe("unknown_model");
  });

  it("type mismatches are invalid_query", () => {
    const bad: Condition[] = [
      { field: "priority", op: "in", value: 3 },
      { field: "priority", op: "eq", value: [3] },
      { field: "title", op: "contains", value: 3 },
      { field: "title", op: "contains", value: null },
      { field: "priority", op: "contains", value: "3" },
      { field: "tags", op: "icontains", value: "shop" },
      { field: "archived", op: "startswith", value: "t" },
      { field: "priority", op: "isnull", value: "yes" },
      { field: "priority", op: "lt", value: null },
      { field: "priority", op: "eq", value: "three" },
      { field: "priority", op: "eq", value: true },
      { field: "archived", op: "eq", value: 1 },
      { field: "title", op: "eq", value: 5 },
      { field: "title", op: "in", value: ["a", 5] },
    ];
    for (const where of bad) expect(code(() => compileQuery(q(where), NOTE)), JSON.stringify(where)).toBe("invalid_query");
  });

  it("refuses bad order directions and out-of-range paging even if the type was bypassed", () => {
    expect(code(() => compileQuery(q(undefined, { order_by: [["title", "up" as "asc"]] }), NOTE))).toBe("invalid_query");
    expect(code(() => compileQuery(q(undefined, { limit: 0 }), NOTE))).toBe("limit_out_of_range");
    expect(code(() => compileQuery(q(undefined, { offset: -1 }), NOTE))).toBe("offset_out_of_range");
  });

  it("an over-deep tree is query_too_complex", () => {
    let where: Condition = { field: "title", op: "eq", value: "x" };
    for (let i = 0; i < 20; i++) where = { not: where };
    expect(code(() => compileQuery(q(where), NOTE))).toBe("query_too_complex");
  });
});

describe("compileQuery: injection", () => {
  const hostileNames = [
    "title) OR 1=1 --", "title'--", 'title"', "title\"); DROP TABLE rows; --", "$.title", "title.x", "data", "row_id", "1",
  ];

  it("hostile field names are refused before any SQL is built", () => {
    for (const field of hostileNames) {
      expect(code(() => compileQuery(q({ field, op: "eq", value: 1 }), NOTE))).toBe("unknown_field");
      expect(code(() => compileQuery(q(undefined, { order_by: [[field, "asc"]] }), NOTE))).toBe("unknown_field");
    }
  });

  it("a spec that declares a hostile field name (manifest not validated) is still refused", () => {
    const evil: ModelSpec = { ...NOTE, fields: { ...NOTE.fields, 'x") OR 1=1 --': { type: "string", nullable: true } } };
    expect(code(() => compileQuery(q({ field: 'x") OR 1=1 --', op: "eq", value: 1 }), evil))).toBe("invalid_query");
  });

  it("hostile values and model names are inert: bound, never in the SQL text", () => {
    const values = ["' OR '1'='1", "milk'); DROP TABLE rows; --", "%", "_", "\\", "\" OR \"\"=\"", "$.title", "*", "[a-z]"];
    for (const value of values) {
      for (const op of ["eq", "ne", "contains", "icontains", "startswith", "lt"] as const) {
        const c = compileQuery(q({ field: "title", op, value }), NOTE);
        if (value.length > 3) expect(c.sql).not.toContain(value); // single characters occur in any SQL
        expect(c.params).toContain(value);
        db.prepare(c.sql).all(...c.params);
      }
    }
    const c = compileQuery({ model: "x' OR 1=1 --", limit: 10, offset: 0 }, NOTE, "x' OR 1=1 --");
    expect(c.sql).not.toContain("OR 1=1");
    expect(db.prepare(c.sql).all(...c.params)).toEqual([]);
    expect(ids(q()).length).toBe(4); // the table is intact
  });

  it("the SQL text only ever names the fixed columns", () => {
    const where = { or: Object.keys(NOTE.fields).map((field) => ({ field, op: "isnull", value: false })) } as Condition;
    const c = compileQuery(q(where, { order_by: Object.keys(NOTE.fields).slice(0, 8).map((f) => [f, "asc"] as [string, "asc"]) }), NOTE);
    for (const field of Object.keys(NOTE.fields)) expect(c.sql).not.toContain(field);
    expect(c.params).toContain('$."title"');
  });

  it("works end to end after parseQuery (the Worker's bound check)", () => {
    const parsed = parseQuery({ model: "notes.Note", where: { field: "title", op: "icontains", value: "MILK" } }, { maxLimit: 1000, maxOffset: 10000 });
    expect(ids(parsed).sort()).toEqual([1, 2]);
  });
});

describe("rowToRecord", () => {
  it("adds the bookkeeping fields to the body", () => {
    const row = db.prepare("SELECT row_id, rev, gen, deleted, data, updated_at FROM rows WHERE row_id = ?").get(id(3)) as Record<string, unknown>;
    expect(rowToRecord(row)).toEqual({
      title: "Call mum", body: "it's o'clock", archived: false, priority: 3, tags: { a: 1 }, author: 42,
      _djazzkit_id: id(3), _djazzkit_rev: 3, _djazzkit_deleted: false, _djazzkit_updated_at: "2024-01-01T00:00:02Z",
    });
  });

  it("a deleted row has only bookkeeping; bookkeeping wins over body keys", () => {
    const base = { row_id: id(5), rev: "1-x", gen: 2, updated_at: "t" };
    expect(rowToRecord({ ...base, deleted: 1, data: null })).toEqual({
      _djazzkit_id: id(5), _djazzkit_rev: 2, _djazzkit_deleted: true, _djazzkit_updated_at: "t",
    });
    expect(rowToRecord({ ...base, deleted: 0, data: '{"_djazzkit_rev":99}' })._djazzkit_rev).toBe(2);
  });

  it("a body with an own __proto__ key stays data and pollutes nothing", () => {
    const out = rowToRecord({ row_id: id(1), rev: "1-x", gen: 1, deleted: 0, updated_at: "t", data: '{"__proto__":{"polluted":true}}' });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("a corrupt row throws instead of producing a wrong record", () => {
    expect(() => rowToRecord({ row_id: 1, rev: "1-x", gen: 1, deleted: 0, updated_at: "t", data: null })).toThrow();
  });
});
