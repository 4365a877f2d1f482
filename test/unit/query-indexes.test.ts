/**
 * The query indexes (durable/storage/query-indexes.ts): which fields the manifest gets indexes
 * for, that the layout reaching them answers exactly what the bound-path layout answers (rows,
 * order, total) over random rows and queries with the indexes in place, that SQLite really
 * uses them, and that only plain model labels and field names ever reach the SQL text.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import manifestJson from "../../djazzkit.schema.json";
import { fieldExpr, indexedFields, indexedLayout, MAX_QUERY_INDEXES, modelLiteral, queryIndexPlan } from "../../durable/storage/query-indexes.js";
import { compileQuery, RELAY_LAYOUT, type CompiledQuery } from "../../durable/storage/query-sql.js";
import { RelayError } from "../../schemas/errors.js";
import { SchemaManifest, type ModelSpec } from "../../schemas/manifest.js";
import type { BoundedQuery } from "../../schemas/query.js";
import { FIELDS, MODEL, queryArb, type Row, rowsArb, SPEC } from "./query-arbitraries.js";
import { openRowsTable } from "./rows-table.js";

const SAMPLE = SchemaManifest.parse(manifestJson);

const db = openRowsTable();
const insert = db.prepare("INSERT INTO rows (model, row_id, rev, gen, deleted, data, updated_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
const load = db.transaction((rows: Row[]) => {
  db.exec("DELETE FROM rows");
  rows.forEach((r, i) => insert.run(r.model, r.row_id, `${r.gen}-x`, r.gen, r.deleted ? 1 : 0, r.deleted ? null : JSON.stringify(r.data), r.updated_at, i + 1));
});

function run(c: CompiledQuery): { ids: string[]; total: number } {
  const ids = (db.prepare(c.sql).all(...c.params) as Array<{ row_id: string }>).map((r) => r.row_id);
  return { ids, total: (db.prepare(c.countSql).get(...c.countParams) as { total: number }).total };
}

describe("queryIndexPlan", () => {
  it("indexes the compact fields of held models, per model, never the owner, booleans, JSON or unbounded text", () => {
    const plan = queryIndexPlan(SAMPLE);
    // notes.Note: title (max_length), priority (integer); notes.Task: title, due (date).
    // Not: body (no max_length), done/archived (boolean), tags (json), owner/author (owner
    // fields), notes.Announcement (shared, remote: never held in the object).
    expect(plan.map((i) => `${i.model}.${i.field}`)).toEqual(["notes.Note.title", "notes.Note.priority", "notes.Task.title", "notes.Task.due"]);
    for (const i of plan) {
      expect(i.name).toBe(`rows_q1_${i.model}.${i.field}`);
      expect(i.create).toBe(`CREATE INDEX "rows_q1_${i.model}.${i.field}" ON rows (model, json_extract(data, '$."${i.field}"')) WHERE model = '${i.model}' AND deleted = 0`);
    }
    expect(indexedFields(plan)).toEqual(new Map([["notes.Note", new Set(["title", "priority"])], ["notes.Task", new Set(["title", "due"])]]));
  });

  it(`takes at most ${MAX_QUERY_INDEXES}`, () => {
    const fields = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, { type: "integer" as const, nullable: true }]));
    const wide = { schema_version: "0000000000000000", models: { "a.B": { ...SPEC, owner_field: "f0", fields } } };
    expect(queryIndexPlan(wide).map((i) => i.field)).toEqual(Array.from({ length: MAX_QUERY_INDEXES }, (_, i) => `f${i + 1}`));
    // Labels or field names that could not be written as literals get no index.
    const odd = { schema_version: "0000000000000000", models: { "a.B": { ...SPEC, fields: { "x'y": { type: "integer" as const, nullable: true } } } } };
    expect(queryIndexPlan(odd)).toEqual([]);
  });
});

describe("indexedLayout", () => {
  const all = new Set(Object.keys(FIELDS));
  const indexed = indexedLayout(MODEL, all);
  for (const f of all) db.exec(`CREATE INDEX "rows_q1_${MODEL}.${f}" ON rows (model, ${fieldExpr(f)}) WHERE model = '${MODEL}' AND deleted = 0`);

  it("answers exactly what the bound-path layout answers, with the indexes in place", () => {
    fc.assert(
      fc.property(rowsArb, fc.array(queryArb, { minLength: 1, maxLength: 6 }), (rows, queries) => {
        load(rows);
        for (const q of queries) {
          let want: ReturnType<typeof run> | string;
          try {
            want = run(compileQuery(q, SPEC));
          } catch (e) {
            want = (e as RelayError).code;
          }
          let got: ReturnType<typeof run> | string;
          try {
            got = run(compileQuery(q, SPEC, MODEL, indexed));
          } catch (e) {
            got = (e as RelayError).code;
          }
          expect(got, JSON.stringify(q)).toEqual(want);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("lets SQLite walk the order-by field's index instead of scanning and sorting every row", () => {
    const q: BoundedQuery = {
      model: MODEL,
      where: { and: [{ field: "flag", op: "eq", value: false }, { field: "title", op: "icontains", value: "a" }] },
      order_by: [["title", "asc"]],
      limit: 50,
      offset: 0,
    };
    const plan = (c: CompiledQuery) => (db.prepare(`EXPLAIN QUERY PLAN ${c.sql}`).all(...c.params) as Array<{ detail: string }>).map((r) => r.detail).join("; ");
    const viaIndex = plan(compileQuery(q, SPEC, MODEL, indexed));
    expect(viaIndex).toContain(`USING INDEX rows_q1_${MODEL}.title`);
    expect(viaIndex).not.toContain("TEMP B-TREE FOR ORDER BY"); // only ties on title are sorted
    // A bound path never matches an index expression: every live row is read and sorted.
    expect(plan(compileQuery(q, SPEC))).toContain("USE TEMP B-TREE FOR ORDER BY");
  });

  it("inlines only the plain model label and declared plain field names; values and other paths stay bound", () => {
    const c = compileQuery({ model: MODEL, where: { field: "title", op: "eq", value: "x' OR 1=1 --" }, order_by: [["amount", "asc"]], limit: 5, offset: 0 }, SPEC, MODEL, indexed);
    expect(c.sql).toContain(`json_extract(data, '$."title"') = ?`);
    expect(c.sql).toContain("CAST(json_extract(data, ?) AS REAL)"); // decimal: not the indexed expression
    expect(c.sql).toContain(`model = '${MODEL}' AND deleted = 0`);
    expect(c.sql).not.toContain("OR 1=1");
    expect(c.params).toContain("x' OR 1=1 --");
    expect(c.params).not.toContain(MODEL);
    for (const bad of ["x' OR 1=1 --.y", "a.b.c", "a", "a.'b"]) {
      expect(() => modelLiteral(bad)).toThrow(/plain model label/);
      expect(indexedLayout(bad, all)).toBe(RELAY_LAYOUT);
    }
    for (const bad of ['x"', "x'", "a.b", "1a", "", "x) --"]) expect(() => fieldExpr(bad)).toThrow(/plain field name/);
    // A spec declaring a hostile name (manifests are validated, but not here) is still refused.
    const evil: ModelSpec = { ...SPEC, fields: { ...SPEC.fields, "x') --": { type: "string", nullable: true } } };
    const layout = indexedLayout(MODEL, new Set(["x') --"]));
    let code = "";
    try {
      compileQuery({ model: MODEL, where: { field: "x') --", op: "eq", value: 1 }, limit: 1, offset: 0 }, evil, MODEL, layout);
    } catch (e) {
      code = (e as RelayError).code;
    }
    expect(code).toBe("invalid_query");
  });

  it("with no indexed field it is the relay layout itself", () => {
    expect(indexedLayout(MODEL, new Set())).toBe(RELAY_LAYOUT);
    expect(indexedLayout(MODEL, undefined)).toBe(RELAY_LAYOUT);
  });
});
