/**
 * Expression indexes for queries over the `rows` table, derived from the manifest. Pure: the
 * plan, and the query layout that reaches the indexes; storage/migrations.ts
 * (`queryIndexesFor`, `syncQueryIndexes`) creates and drops them, when the object starts with a
 * manifest at hand (the bundled one, or the origin's cached one) and before a query whenever
 * the manifest object changed (a schema refresh).
 *
 * The compiler (storage/query-sql.ts) reads a body field as `json_extract(data, ?)`, with the
 * path bound: SQLite then parses every row's JSON to filter and sort, and cannot stop after
 * `limit` rows. SQLite uses an expression index only when the query spells the indexed
 * expression exactly, and a partial index only when the query's WHERE names its condition; a
 * bound parameter matches neither. So for a model with indexes the object's layout
 * (`indexedLayout`) writes the model label and the indexed paths as the same literals the
 * indexes hold. The label passes MODEL_LABEL_RE and each field name FIELD_RE (letters, digits,
 * `_`, one dot in a label): no quote can reach the SQL text. Values and other paths stay bound.
 *
 * Which fields: compact, orderable fields of the models held in the object (`string` with a
 * `max_length`, `integer`, `float`, `date`, `datetime`, `uuid`), not the owner field (one value
 * per object), at most MAX_QUERY_INDEXES in all. Booleans and JSON split rows too coarsely to
 * be worth the write cost, and unbounded text would make wide index entries. One partial index
 * per model and field, on `(model, <expr>) WHERE model = '<label>' AND deleted = 0`, so a write
 * pays only for its own model's indexes. `model` leads, constant as it is, because without
 * statistics SQLite prefers the primary key's `model =` prefix to an index that offers only the
 * order; with it the index offers both.
 *
 * An index is a function of each row's body, kept by SQLite on every write: it is never stale,
 * whatever the manifest says. A manifest change only changes which indexes exist (created or
 * dropped), and so which literals the layout writes.
 */
import { isHeldInObject, type ModelSpec, type SchemaManifest } from "../../schemas/manifest.js";
import { MODEL_LABEL_RE } from "../../schemas/model-scope.js";
import { RELAY_LAYOUT, type Column, type QueryLayout } from "./query-sql.js";

/** Prefix of every query index's name (and version of its shape: a new shape, a new prefix). */
export const QUERY_INDEX_PREFIX = "rows_q1_";
/** Upper bound on query indexes per object: each costs every write of its model one more entry. */
export const MAX_QUERY_INDEXES = 8;
const FIELD_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface QueryIndex {
  /** `rows_q1_<label>.<field>` (unique: a label has exactly one dot, a field none); quoted in SQL. */
  name: string;
  model: string;
  field: string;
  /** The indexed expression, exactly as `indexedLayout` writes it in a query. */
  expr: string;
  /** The CREATE INDEX statement. */
  create: string;
}

/** The body expression of `field` with its path as a literal; `field` must pass FIELD_RE. */
export function fieldExpr(field: string): string {
  if (!FIELD_RE.test(field)) throw new Error(`not a plain field name: ${JSON.stringify(field)}`);
  return `json_extract(data, '$."${field}"')`;
}

function worthIndexing(spec: ModelSpec, field: string): boolean {
  if (field === spec.owner_field || !FIELD_RE.test(field)) return false;
  const f = spec.fields[field]!;
  switch (f.type) {
    case "string":
      return f.max_length !== undefined;
    case "integer": case "float": case "date": case "datetime": case "uuid":
      return true;
    default:
      return false;
  }
}

/** The literal of a model label; `model` must pass MODEL_LABEL_RE. */
export function modelLiteral(model: string): string {
  if (!MODEL_LABEL_RE.test(model)) throw new Error(`not a plain model label: ${JSON.stringify(model)}`);
  return `'${model}'`;
}

/** The query indexes this manifest asks for, in a stable order (models, then fields, as declared). */
export function queryIndexPlan(manifest: SchemaManifest): QueryIndex[] {
  const plan: QueryIndex[] = [];
  for (const [model, spec] of Object.entries(manifest.models)) {
    if (!isHeldInObject(spec) || !MODEL_LABEL_RE.test(model)) continue;
    for (const field of Object.keys(spec.fields)) {
      if (plan.length >= MAX_QUERY_INDEXES || !worthIndexing(spec, field)) continue;
      const name = `${QUERY_INDEX_PREFIX}${model}.${field}`;
      const expr = fieldExpr(field);
      plan.push({ name, model, field, expr, create: `CREATE INDEX "${name}" ON rows (model, ${expr}) WHERE model = ${modelLiteral(model)} AND deleted = 0` });
    }
  }
  return plan;
}

/** The indexed fields of each model in a plan. */
export function indexedFields(plan: readonly QueryIndex[]): ReadonlyMap<string, ReadonlySet<string>> {
  const out = new Map<string, Set<string>>();
  for (const i of plan) {
    let fields = out.get(i.model);
    if (!fields) out.set(i.model, (fields = new Set()));
    fields.add(i.field);
  }
  return out;
}

/**
 * RELAY_LAYOUT for a query of `model`, whose fields in `indexed` have indexes: the base filter
 * names the model as a literal and those fields read through their literal-path expression, so
 * the partial indexes apply. Same operators, coercions, kinds and results; compile with
 * RELAY_LAYOUT too for the parameter budget (the client's check), so both refuse the same queries.
 */
export function indexedLayout(model: string, indexed: ReadonlySet<string> | undefined): QueryLayout {
  if (indexed === undefined || indexed.size === 0 || !MODEL_LABEL_RE.test(model)) return RELAY_LAYOUT;
  return {
    ...RELAY_LAYOUT,
    base(m: string) {
      return m === model ? { sql: `model = ${modelLiteral(model)} AND deleted = 0`, params: [] } : RELAY_LAYOUT.base(m);
    },
    column(field: string, spec: ModelSpec): Column | undefined {
      const col = RELAY_LAYOUT.column(field, spec);
      if (col === undefined || !indexed.has(field) || !Object.hasOwn(spec.fields, field) || col.expr !== "json_extract(data, ?)") return col;
      return { expr: fieldExpr(field), params: [], kind: col.kind };
    },
  };
}
