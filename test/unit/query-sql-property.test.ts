/**
 * Differential test: compiled SQL run on a real SQLite (better-sqlite3) must select, count and
 * order exactly what a straightforward JavaScript evaluator of the same AST selects, over random
 * rows and random queries. The evaluator is written from the semantics documented at the top of
 * durable/storage/query-sql.ts (Django's ORM on SQLite), not from the SQL.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileQuery } from "../../durable/storage/query-sql.js";
import type { BoundedQuery, Condition, Scalar } from "../../schemas/query.js";
import { condArb, FIELDS, leafArb, MODEL, queryArb, type Row, rowsArb, SPEC, typeOf } from "./query-arbitraries.js";
import { openRowsTable } from "./rows-table.js";

// ---- the reference evaluator -----------------------------------------------------------

type Val = null | number | string;
/** What SQLite sees for a JSON value read with json_extract. */
function sqlOf(v: unknown): Val {
  if (v === null || v === undefined) return null;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" || typeof v === "string") return v;
  return JSON.stringify(v);
}
/** SQLite's order of values: NULL, then numbers, then text by UTF-8 bytes. */
function cmp(a: Val, b: Val): number {
  const rank = (v: Val) => (v === null ? 0 : typeof v === "number" ? 1 : 2);
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return 0;
}
function fieldVal(r: Row, f: string): Val {
  if (f === "_djazzkit_id") return r.row_id;
  if (f === "_djazzkit_rev") return r.gen;
  if (f === "_djazzkit_updated_at") return r.updated_at;
  if (f === "_djazzkit_deleted") return r.deleted ? 1 : 0;
  const v = sqlOf(r.data[f]);
  return FIELDS[f] === "decimal" && v !== null ? Number(v) : v;
}
/** The documented coercion of a query value to the field's type. */
function coerced(f: string, v: Scalar): Val {
  const t = typeOf(f);
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "string" && t === "uuid") return v.toLowerCase();
  if (typeof v === "string" && (t === "integer" || t === "float" || t === "decimal")) return Number(v);
  return v;
}
const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function holds(r: Row, c: Condition): boolean {
  if ("and" in c) return c.and.every((x) => holds(r, x));
  if ("or" in c) return c.or.some((x) => holds(r, x));
  if ("not" in c) return !holds(r, c.not);
  const v = fieldVal(r, c.field);
  const q = c.value;
  switch (c.op) {
    case "isnull": return q === true ? v === null : v !== null;
    case "eq": return q === null ? v === null : v !== null && cmp(v, coerced(c.field, q as Scalar)) === 0;
    case "ne": return !holds(r, { ...c, op: "eq" });
    case "in": return v !== null && (q as Scalar[]).some((x) => x !== null && cmp(v, coerced(c.field, x)) === 0);
    case "lt": return v !== null && cmp(v, coerced(c.field, q as Scalar)) < 0;
    case "lte": return v !== null && cmp(v, coerced(c.field, q as Scalar)) <= 0;
    case "gt": return v !== null && cmp(v, coerced(c.field, q as Scalar)) > 0;
    case "gte": return v !== null && cmp(v, coerced(c.field, q as Scalar)) >= 0;
  }
  if (typeof v !== "string") return false;
  const needle = coerced(c.field, q as string) as string;
  if (c.op === "contains") return v.includes(needle);
  if (c.op === "startswith") return v.startsWith(needle);
  return asciiLower(v).includes(asciiLower(needle));
}

function evaluate(rows: Row[], q: BoundedQuery): { ids: string[]; total: number } {
  const hits = rows.filter((r) => r.model === q.model && !r.deleted && (q.where === undefined || holds(r, q.where)));
  const order = q.order_by ?? [["_djazzkit_updated_at", "desc"]];
  hits.sort((a, b) => {
    for (const [f, dir] of order) {
      const d = cmp(fieldVal(a, f), fieldVal(b, f));
      if (d !== 0) return dir === "asc" ? d : -d;
    }
    return cmp(a.row_id, b.row_id);
  });
  return { ids: hits.slice(q.offset, q.offset + q.limit).map((r) => r.row_id), total: hits.length };
}

// ---- the real SQLite -------------------------------------------------------------------

const db = openRowsTable();
const insert = db.prepare("INSERT INTO rows (model, row_id, rev, gen, deleted, data, updated_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
const load = db.transaction((rows: Row[]) => {
  db.exec("DELETE FROM rows");
  rows.forEach((r, i) => {
    const body = r.deleted ? null : JSON.stringify(r.data);
    insert.run(r.model, r.row_id, `${r.gen}-${"0".repeat(32)}`, r.gen, r.deleted ? 1 : 0, body, r.updated_at, i + 1);
  });
});

function run(q: BoundedQuery): { ids: string[]; total: number } {
  const c = compileQuery(q, SPEC);
  const ids = (db.prepare(c.sql).all(...c.params) as Array<{ row_id: string }>).map((r) => r.row_id);
  const total = (db.prepare(c.countSql).get(...c.countParams) as { total: number }).total;
  return { ids, total };
}

describe("compiled queries agree with the reference evaluator on a real SQLite", () => {
  it("selection, count, order and paging match for random rows and random queries", () => {
    fc.assert(
      fc.property(rowsArb, fc.array(queryArb, { minLength: 1, maxLength: 6 }), (rows, queries) => {
        load(rows);
        for (const q of queries) expect(run(q)).toEqual(evaluate(rows, q));
      }),
      { numRuns: 400 },
    );
  });

  it("each operator alone matches the evaluator on every field", () => {
    fc.assert(
      fc.property(rowsArb, fc.array(leafArb, { minLength: 1, maxLength: 20 }), (rows, leaves) => {
        load(rows);
        for (const where of leaves) {
          const q: BoundedQuery = { model: MODEL, where, limit: 1000, offset: 0 };
          expect(run(q)).toEqual(evaluate(rows, q));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("not(c) selects exactly the live rows c does not (two-valued logic, Django exclude)", () => {
    fc.assert(
      fc.property(rowsArb, condArb, (rows, where) => {
        load(rows);
        const all = run({ model: MODEL, limit: 1000, offset: 0 }).total;
        const yes = run({ model: MODEL, where, limit: 1000, offset: 0 }).total;
        const no = run({ model: MODEL, where: { not: where }, limit: 1000, offset: 0 }).total;
        expect(yes + no).toBe(all);
      }),
      { numRuns: 200 },
    );
  });
});
