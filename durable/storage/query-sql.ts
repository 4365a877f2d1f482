/**
 * The query AST (PROTOCOL 4.2) compiled to SQLite over the object's `rows` table (winners only,
 * deleted rows excluded; docs/ARCHITECTURE.md "The rows table"). Pure.
 *
 * Injection: every value and every JSON path is a bound parameter. The only identifiers in the
 * SQL text are the fixed bookkeeping column names below; model field names reach SQL only as the
 * bound path `$."name"`, after `checkQueryFields` proved them manifest fields and FIELD_RE proved
 * them plain identifiers.
 *
 * Semantics follow Django's ORM on SQLite:
 * - Every comparison is two-valued (NULL becomes false), so `not` is Django's exclude(): a row
 *   whose field is NULL matches `not {lt: 3}` and `ne 3`, and never matches `lt 3`.
 * - `eq null` is IS NULL, `ne null` IS NOT NULL; `lt`..`gte` with null are invalid_query.
 * - `in` drops nulls (as Django does); an empty list matches nothing.
 * - `contains` and `startswith` are case-sensitive (instr, not LIKE, which folds ASCII case in
 *   SQLite); `icontains` folds ASCII case only, like Django's LIKE on SQLite. Text operators
 *   apply to text fields (string, date, datetime, uuid) only.
 * - Values are coerced to the field's type: numeric fields take numbers or numeric strings,
 *   booleans bind as 1/0 (json_extract yields 1/0 for JSON true/false), uuids are lowercased
 *   (validateMutation stores them so). `decimal` fields are compared as REAL, since they may be
 *   stored as JSON numbers or numeric strings.
 * - `{and: []}` is true and `{or: []}` false. NULLs sort first ascending (SQLite, Django on SQLite).
 * - The default order is newest first (`_djazzkit_updated_at desc`); `row_id` always breaks ties,
 *   so pages with limit/offset are deterministic.
 */
import { RelayError } from "../../schemas/errors.js";
import type { ModelSpec } from "../../schemas/manifest.js";
import { checkQueryFields, MAX_QUERY_DEPTH, type BoundedQuery } from "../../schemas/query-bounds.js";
import type { Comparison, Condition, Scalar } from "../../schemas/query.js";

export type SqlValue = string | number | null;

export interface CompiledQuery {
  sql: string;
  params: SqlValue[];
  countSql: string;
  countParams: SqlValue[];
}


/** How a column compares: decides value coercion and which operators apply. */
export type Kind = "text" | "uuid" | "number" | "boolean" | "json";
export interface Column {
  expr: string;
  params: SqlValue[];
  kind: Kind;
}
export interface Fragment {
  sql: string;
  params: SqlValue[];
}

/**
 * Bound parameters one statement may carry in a Durable Object's SQLite: 100 (measured in
 * workerd: the 101st gives "too many SQL variables"; DO platform limits). A query needing more is
 * query_too_complex. `in` lists take one parameter each (a JSON array read with json_each).
 */
export const MAX_SQL_PARAMS = 100;

const SELECT_COLUMNS = "row_id, rev, gen, deleted, data, updated_at";
const FIELD_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const NUMERIC_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

const BOOKKEEPING_COLUMNS: Record<string, Column> = {
  _djazzkit_id: { expr: "row_id", params: [], kind: "uuid" },
  _djazzkit_rev: { expr: "gen", params: [], kind: "number" },
  _djazzkit_updated_at: { expr: "updated_at", params: [], kind: "text" },
  _djazzkit_deleted: { expr: "deleted", params: [], kind: "boolean" },
};

/**
 * Where the rows of a model live. The relay keeps every model in one `rows` table with the body
 * as JSON (RELAY_LAYOUT); the client's replica keeps one table per model with typed columns
 * (client/replica/local-layout.ts). The operators, coercions, errors and order are the same
 * code for both: only the column expressions and the FROM clause differ.
 */
export interface QueryLayout {
  /** `FROM` target, already quoted. */
  from(model: string): string;
  /** The filter every query starts with: this model's live rows. */
  base(model: string): Fragment;
  /** Columns the SELECT returns. */
  select: string;
  /** The row id column (the last order term, so pages are deterministic). */
  idColumn: string;
  /** How a field reads, or undefined when this layout cannot read it (invalid_query). */
  column(field: string, spec: ModelSpec): Column | undefined;
}

export const RELAY_LAYOUT: QueryLayout = {
  from: () => "rows",
  base: (model) => ({ sql: "model = ? AND deleted = 0", params: [model] }),
  select: SELECT_COLUMNS,
  idColumn: "row_id",
  column: relayColumn,
};

export function compileQuery(q: BoundedQuery, spec: ModelSpec, model: string = q.model, layout: QueryLayout = RELAY_LAYOUT): CompiledQuery {
  // `spec` is the manifest entry of `model`; a query naming another model is unknown_model.
  checkQueryFields(q, { schema_version: "0000000000000000", models: Object.fromEntries([[model, spec]]) });
  if (!Number.isSafeInteger(q.limit) || q.limit < 1) throw new RelayError("limit_out_of_range", "limit must be a positive integer");
  if (!Number.isSafeInteger(q.offset) || q.offset < 0) throw new RelayError("offset_out_of_range", "offset must be a non-negative integer");

  const column = (field: string): Column => {
    const col = layout.column(field, spec);
    if (!col) throw new RelayError("invalid_query", `field ${JSON.stringify(field)} cannot be queried`);
    return col;
  };
  const where = q.where === undefined ? { sql: "1", params: [] } : compileCondition(q.where, column, 1);
  const order: Fragment = { sql: "", params: [] };
  const terms: string[] = [];
  for (const [field, dir] of q.order_by ?? [["_djazzkit_updated_at", "desc"]]) {
    if (dir !== "asc" && dir !== "desc") throw new RelayError("invalid_query", "order direction must be asc or desc");
    const col = column(field);
    terms.push(`${col.expr} ${dir === "asc" ? "ASC" : "DESC"}`);
    order.params.push(...col.params);
  }
  terms.push(`${layout.idColumn} ASC`);

  const base = layout.base(model);
  const filter = `${base.sql} AND (${where.sql})`;
  const params = [...base.params, ...where.params, ...order.params, q.limit, q.offset];
  if (params.length > MAX_SQL_PARAMS) {
    throw new RelayError("query_too_complex", `the query needs ${params.length} SQL parameters; at most ${MAX_SQL_PARAMS}`);
  }
  return {
    sql: `SELECT ${layout.select} FROM ${layout.from(model)} WHERE ${filter} ORDER BY ${terms.join(", ")} LIMIT ? OFFSET ?`,
    params,
    countSql: `SELECT count(*) AS total FROM ${layout.from(model)} WHERE ${filter}`,
    countParams: [...base.params, ...where.params],
  };
}


function relayColumn(field: string, spec: ModelSpec): Column | undefined {
  if (Object.hasOwn(BOOKKEEPING_COLUMNS, field)) return BOOKKEEPING_COLUMNS[field]!;
  if (!Object.hasOwn(spec.fields, field) || !FIELD_RE.test(field)) return undefined;
  const path = `$."${field}"`;
  switch (spec.fields[field]!.type) {
    case "string": case "date": case "datetime":
      return { expr: "json_extract(data, ?)", params: [path], kind: "text" };
    case "uuid":
      return { expr: "json_extract(data, ?)", params: [path], kind: "uuid" };
    case "integer": case "float":
      return { expr: "json_extract(data, ?)", params: [path], kind: "number" };
    case "decimal":
      return { expr: "CAST(json_extract(data, ?) AS REAL)", params: [path], kind: "number" };
    case "boolean":
      return { expr: "json_extract(data, ?)", params: [path], kind: "boolean" };
    case "json":
      return { expr: "json_extract(data, ?)", params: [path], kind: "json" };
  }
}

type ColumnOf = (field: string) => Column;

function compileCondition(c: Condition, column: ColumnOf, depth: number): Fragment {
  if (depth > MAX_QUERY_DEPTH) throw new RelayError("query_too_complex", `conditions nest deeper than ${MAX_QUERY_DEPTH}`);
  if ("field" in c) return compileComparison(c, column);
  if ("and" in c || "or" in c) {
    const isAnd = "and" in c;
    const parts = (isAnd ? (c as { and: Condition[] }).and : (c as { or: Condition[] }).or).map((x) => compileCondition(x, column, depth + 1));
    if (parts.length === 0) return { sql: isAnd ? "1" : "0", params: [] };
    return { sql: `(${parts.map((p) => p.sql).join(isAnd ? " AND " : " OR ")})`, params: parts.flatMap((p) => p.params) };
  }
  const inner = compileCondition(c.not, column, depth + 1);
  return { sql: `(NOT ${inner.sql})`, params: inner.params };
}

function compileComparison(c: Comparison, column: ColumnOf): Fragment {
  const col = column(c.field);
  const { op, value } = c;
  const at = (sql: string, ...params: SqlValue[]): Fragment => ({ sql, params: [...col.params, ...params] });
  // Null-capable SQL made two-valued (see the header).
  const known = (sql: string, ...params: SqlValue[]): Fragment => at(`COALESCE(${sql}, 0)`, ...params);
  if (op === "isnull") {
    if (typeof value !== "boolean") throw invalidQuery(c, "isnull needs true or false");
    return at(`(${col.expr} IS ${value ? "" : "NOT "}NULL)`);
  }
  if (op === "in") {
    if (!Array.isArray(value)) throw invalidQuery(c, "in needs a list");
    const items = value.filter((v) => v !== null).map((v) => coerce(c, col.kind, v));
    if (items.length === 0) return { sql: "0", params: [] };
    // One JSON parameter for the whole list: the object's SQLite allows only MAX_SQL_PARAMS.
    return known(`${col.expr} IN (SELECT value FROM json_each(?))`, JSON.stringify(items));
  }
  if (Array.isArray(value)) throw invalidQuery(c, `${op} needs a single value`);
  switch (op) {
    case "eq":
      return value === null ? at(`(${col.expr} IS NULL)`) : known(`${col.expr} = ?`, coerce(c, col.kind, value));
    case "ne":
      return value === null ? at(`(${col.expr} IS NOT NULL)`) : at(`(${col.expr} IS NOT ?)`, coerce(c, col.kind, value));
    case "lt": case "lte": case "gt": case "gte": {
      if (value === null) throw invalidQuery(c, `${op} cannot compare with null`);
      const sqlOp = { lt: "<", lte: "<=", gt: ">", gte: ">=" }[op];
      return known(`${col.expr} ${sqlOp} ?`, coerce(c, col.kind, value));
    }
    case "contains": case "icontains": case "startswith": {
      if (col.kind !== "text" && col.kind !== "uuid") throw invalidQuery(c, `${op} applies to text fields only`);
      if (typeof value !== "string") throw invalidQuery(c, `${op} needs a string`);
      const needle = col.kind === "uuid" ? value.toLowerCase() : value;
      if (op === "contains") return known(`instr(${col.expr}, ?) > 0`, needle);
      if (op === "startswith") return known(`instr(${col.expr}, ?) = 1`, needle);
      return known(`instr(lower(${col.expr}), lower(?)) > 0`, needle);
    }
  }
}

/** A query value as the parameter a field of this kind compares with (never null here). */
function coerce(c: Comparison, kind: Kind, v: Scalar): string | number {
  switch (kind) {
    case "text":
      if (typeof v === "string") return v;
      break;
    case "uuid":
      if (typeof v === "string") return v.toLowerCase();
      break;
    case "number":
      if (typeof v === "number" && Number.isFinite(v)) return v;
      if (typeof v === "string" && v.length <= 100 && NUMERIC_RE.test(v) && Number.isFinite(Number(v))) return Number(v);
      break;
    case "boolean":
      if (typeof v === "boolean") return v ? 1 : 0;
      break;
    case "json":
      if (typeof v === "boolean") return v ? 1 : 0;
      if (typeof v === "string" || (typeof v === "number" && Number.isFinite(v))) return v;
      break;
  }
  throw invalidQuery(c, `value ${JSON.stringify(v)} does not fit a ${kind} field`);
}

function invalidQuery(c: Comparison, why: string): RelayError {
  return new RelayError("invalid_query", `${c.field} ${c.op}: ${why}`, { field: c.field, op: c.op });
}
