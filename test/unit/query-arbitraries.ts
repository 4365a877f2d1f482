/**
 * Random rows and random query ASTs over one model with a field of every type (plus rows of
 * another model and tombstones), shared by the compiler's property tests: the reference
 * evaluator (query-sql-property) and the client replica against the relay (local-query-differential).
 */
import fc from "fast-check";
import type { FieldType, ModelSpec } from "../../schemas/manifest.js";
import type { BoundedQuery, Comparison, Condition, Operator, Scalar } from "../../schemas/query.js";

export const MODEL = "lab.Thing";
export const FIELDS: Record<string, FieldType> = {
  title: "string", day: "date", at: "datetime", ref: "uuid", n: "integer", x: "float",
  amount: "decimal", flag: "boolean", meta: "json", author: "integer",
};
export const SPEC: ModelSpec = {
  table: "lab_thing", scope: "user", owner_field: "author", conflict_mode: "lww", strategy: "sync", has_resolver: false,
  fields: Object.fromEntries(Object.entries(FIELDS).map(([f, type]) => [f, { type, nullable: f !== "author" }])),
};
const BOOKKEEPING: Record<string, FieldType> = {
  _djazzkit_id: "uuid", _djazzkit_rev: "integer", _djazzkit_updated_at: "datetime", _djazzkit_deleted: "boolean",
};
export const ALL_FIELDS = [...Object.keys(FIELDS), ...Object.keys(BOOKKEEPING)];
export const typeOf = (f: string): FieldType => FIELDS[f] ?? BOOKKEEPING[f]!;
export const isText = (t: FieldType) => t === "string" || t === "date" || t === "datetime" || t === "uuid";

// ---- random rows -----------------------------------------------------------------------

export const text = fc.string({ unit: fc.constantFrom("a", "A", "b", "%", "_", "\\", "'", "\"", "é", "É", " "), maxLength: 3 });
const UUIDS = ["0a1b2c3d-0000-4000-8000-00000000000a", "0a1b2c3d-0000-4000-8000-00000000000b", "ffffffff-0000-4000-8000-000000000000"];
const quarter = fc.integer({ min: -12, max: 12 }).map((n) => n / 4);
const stored: Record<FieldType, fc.Arbitrary<unknown>> = {
  string: text,
  date: fc.constantFrom("2024-01-01", "2024-02-29", "2023-12-31"),
  datetime: fc.constantFrom("2024-01-01T00:00:00Z", "2024-01-01T09:30:00Z", "2025-06-01T12:00:00Z"),
  uuid: fc.constantFrom(...UUIDS),
  integer: fc.integer({ min: -3, max: 3 }),
  float: quarter,
  decimal: fc.oneof(quarter, quarter.map((q) => q.toFixed(2))),
  boolean: fc.boolean(),
  json: fc.oneof(fc.constant(null), fc.boolean(), fc.integer({ min: -2, max: 2 }), text, fc.constant([1, 2]), fc.constant({ a: 1 })),
};

export interface Row { model: string; row_id: string; gen: number; deleted: boolean; updated_at: string; data: Record<string, unknown> }
const rowArb: fc.Arbitrary<Row> = fc.record({
  model: fc.constantFrom(MODEL, MODEL, MODEL, "lab.Other"),
  row_id: fc.uuid(),
  gen: fc.integer({ min: 1, max: 4 }),
  deleted: fc.integer({ min: 0, max: 9 }).map((n) => n < 3),
  updated_at: stored.datetime as fc.Arbitrary<string>,
  data: fc.record(
    Object.fromEntries(Object.entries(FIELDS).map(([f, t]) => [f, fc.option(stored[t], { nil: null, freq: 4 })])),
    { requiredKeys: ["author"] },
  ),
});
export const rowsArb = fc.uniqueArray(rowArb, { selector: (r) => `${r.model}/${r.row_id}`, maxLength: 25 });

// ---- random queries --------------------------------------------------------------------

const queryValue: Record<FieldType, fc.Arbitrary<Scalar>> = {
  string: text,
  date: fc.oneof(stored.date as fc.Arbitrary<string>, text),
  datetime: fc.oneof(stored.datetime as fc.Arbitrary<string>, fc.constantFrom("2024", "2024-01-01T05")),
  uuid: fc.constantFrom(...UUIDS, UUIDS[0]!.toUpperCase(), "0a1b2c3d", "000A"),
  integer: fc.oneof(fc.integer({ min: -4, max: 4 }), fc.integer({ min: -4, max: 4 }).map(String)),
  float: fc.oneof(quarter, quarter.map(String)),
  decimal: fc.oneof(quarter, quarter.map((q) => q.toFixed(1))),
  boolean: fc.boolean(),
  json: fc.oneof(fc.boolean(), fc.integer({ min: -2, max: 2 }), text, fc.constant("[1,2]")),
};
export const leafArb: fc.Arbitrary<Comparison> = fc.constantFrom(...ALL_FIELDS).chain((field) => {
  const t = typeOf(field);
  const ops: Operator[] = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "isnull"];
  if (isText(t)) ops.push("contains", "icontains", "startswith");
  const v = queryValue[t];
  return fc.constantFrom(...ops).chain((op): fc.Arbitrary<Comparison> => {
    const value: fc.Arbitrary<Comparison["value"]> =
      op === "eq" || op === "ne" ? fc.option(v, { nil: null, freq: 5 })
      : op === "in" ? fc.array(fc.option(v, { nil: null, freq: 6 }), { maxLength: 4 })
      : op === "isnull" ? fc.boolean()
      : op === "contains" || op === "icontains" || op === "startswith" ? (t === "uuid" ? v : text)
      : v;
    return value.map((value) => ({ field, op, value }));
  });
});
export const { cond: condArb } = fc.letrec<{ cond: Condition }>((tie) => ({
  cond: fc.oneof(
    { maxDepth: 4, depthIdentifier: "cond" },
    leafArb,
    fc.record({ and: fc.array(tie("cond"), { maxLength: 3 }) }),
    fc.record({ or: fc.array(tie("cond"), { maxLength: 3 }) }),
    fc.record({ not: tie("cond") }),
  ),
}));
export const queryArb: fc.Arbitrary<BoundedQuery> = fc.record(
  {
    model: fc.constant(MODEL),
    where: condArb,
    order_by: fc.array(fc.tuple(fc.constantFrom(...ALL_FIELDS), fc.constantFrom("asc" as const, "desc" as const)), { maxLength: 3 }),
    limit: fc.integer({ min: 1, max: 30 }),
    offset: fc.integer({ min: 0, max: 30 }),
  },
  { requiredKeys: ["model", "limit", "offset"] },
);
