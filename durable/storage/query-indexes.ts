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
 * expression exactly, and a bound parameter never matches a literal; so for an indexed field
 * the object's layout (`indexedLayout`) writes the path as the same literal the index holds.
 * That literal is built only from a name the manifest declares and FIELD_RE proves a plain
 * identifier (no quote can reach the SQL text); values and every other path stay bound.
 *
 * Which fields: compact, orderable fields of the models held in the object (`string` with a
 * `max_length`, `integer`, `float`, `date`, `datetime`, `uuid`), not the owner field (one value
 * per object), at most MAX_QUERY_INDEXES in all. Booleans and JSON split rows too coarsely to
 * be worth the write cost, and unbounded text would make wide index entries. One index per
 * field name (models sharing a name share it), on `(model, <expr>) WHERE deleted = 0`, the
 * shape of every query's base filter, so `model = ?` stays bound.
 *
 * An index is a function of each row's body, kept by SQLite on every write: it is never stale,
 * whatever the manifest says. A manifest change only changes which indexes exist (created or
 * dropped before the next query), and so which paths the layout inlines.
 */
import { isHeldInObject, type ModelSpec, type SchemaManifest } from "../../schemas/manifest.js";
import { RELAY_LAYOUT, type Column, type QueryLayout } from "./query-sql.js";

/** Prefix of every query index's name (and version of its shape: a new shape, a new prefix). */
export const QUERY_INDEX_PREFIX = "rows_q1_";
/** Upper bound on query indexes per object: each costs every write to `rows` one more entry. */
export const MAX_QUERY_INDEXES = 8;
const FIELD_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface QueryIndex {
  name: string;
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

/** The query indexes this manifest asks for, in a stable order (models, then fields, as declared). */
export function queryIndexPlan(manifest: SchemaManifest): QueryIndex[] {
  const fields: string[] = [];
  for (const spec of Object.values(manifest.models)) {
    if (!isHeldInObject(spec)) continue;
    for (const field of Object.keys(spec.fields)) {
      if (fields.length < MAX_QUERY_INDEXES && !fields.includes(field) && worthIndexing(spec, field)) fields.push(field);
    }
  }
  return fields.map((field) => {
    const name = `${QUERY_INDEX_PREFIX}${field}`;
    const expr = fieldExpr(field);
    return { name, field, expr, create: `CREATE INDEX ${name} ON rows (model, ${expr}) WHERE deleted = 0` };
  });
}

/**
 * RELAY_LAYOUT, with the fields in `indexed` read through their literal-path expression so the
 * indexes apply. Same operators, coercions, kinds and results; compile with RELAY_LAYOUT too
 * for the parameter budget (the client's check), so both refuse the same queries.
 */
export function indexedLayout(indexed: ReadonlySet<string>): QueryLayout {
  if (indexed.size === 0) return RELAY_LAYOUT;
  return {
    ...RELAY_LAYOUT,
    column(field: string, spec: ModelSpec): Column | undefined {
      const col = RELAY_LAYOUT.column(field, spec);
      if (col === undefined || !indexed.has(field) || !Object.hasOwn(spec.fields, field) || col.expr !== "json_extract(data, ?)") return col;
      return { expr: fieldExpr(field), params: [], kind: col.kind };
    },
  };
}
