/**
 * The query AST (PROTOCOL 4.2): its structure, and the bound checks applied at the Worker and
 * again where the query runs. Pure: no runtime bindings.
 */
import { z } from "zod";
import { RelayError } from "./errors.js";
import { BOOKKEEPING_FIELDS, type SchemaManifest } from "./manifest.js";

export const Operator = z.enum([
  "eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "icontains", "startswith", "isnull",
]);
export type Operator = z.infer<typeof Operator>;

export const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof Scalar>;

export const Comparison = z.strictObject({
  field: z.string().min(1).max(128),
  op: Operator,
  value: z.union([Scalar, z.array(Scalar)]),
});
export type Comparison = z.infer<typeof Comparison>;

export type Condition =
  | Comparison
  | { and: Condition[] }
  | { or: Condition[] }
  | { not: Condition };

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    Comparison,
    z.strictObject({ and: z.array(Condition) }),
    z.strictObject({ or: z.array(Condition) }),
    z.strictObject({ not: Condition }),
  ]),
);

export const OrderBy = z.array(z.tuple([z.string().min(1).max(128), z.enum(["asc", "desc"])])).max(8);

/** Structure only; numeric bounds are checked by `checkQueryBounds` so they map to their codes. */
export const Query = z.strictObject({
  model: z.string().min(1).max(200),
  where: Condition.optional(),
  order_by: OrderBy.optional(),
  limit: z.unknown().optional(),
  offset: z.unknown().optional(),
});
export type Query = z.infer<typeof Query>;
/** The same type under the name the relay's modules already use. */
export type QueryInput = Query;

/** A query after bounds were applied: limit and offset are integers in range. */
export type BoundedQuery = Omit<QueryInput, "limit" | "offset"> & { limit: number; offset: number };

export interface QueryBounds {
  maxLimit: number;
  maxOffset: number;
}

export const DEFAULT_LIMIT = 100;
export const DEFAULT_OFFSET = 0;
/** Complexity limits: deep or wide trees are refused before they reach SQL or the origin. */
export const MAX_QUERY_DEPTH = 8;
export const MAX_QUERY_CONDITIONS = 64;
export const MAX_IN_VALUES = 500;

/**
 * Parse a raw query value and apply every bound of 4.2. Throws RelayError with
 * invalid_query / limit_out_of_range / offset_out_of_range / query_too_complex.
 * Depth is measured before the structural parse so a hostile, very deep tree is
 * refused without recursing through it.
 */
export function parseQuery(raw: unknown, bounds: QueryBounds): BoundedQuery {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new RelayError("invalid_query", "query must be an object");
  }
  const where = (raw as { where?: unknown }).where;
  if (where !== undefined) checkComplexity(where);
  const parsed = Query.safeParse(raw);
  if (!parsed.success) {
    throw new RelayError("invalid_query", `invalid query: ${describeIssue(parsed.error)}`);
  }
  const q = parsed.data;
  const limit = q.limit === undefined ? DEFAULT_LIMIT : q.limit;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > bounds.maxLimit) {
    throw new RelayError("limit_out_of_range", `limit must be an integer in 1..${bounds.maxLimit}`, {
      max: bounds.maxLimit,
    });
  }
  const offset = q.offset === undefined ? DEFAULT_OFFSET : q.offset;
  if (typeof offset !== "number" || !Number.isInteger(offset) || offset < 0 || offset > bounds.maxOffset) {
    throw new RelayError("offset_out_of_range", `offset must be an integer in 0..${bounds.maxOffset}`, {
      max: bounds.maxOffset,
    });
  }
  return { ...q, limit, offset };
}

/** Walk a raw condition tree with an explicit stack: depth, condition count, `in` length. */
function checkComplexity(root: unknown): void {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: root, depth: 1 }];
  let conditions = 0;
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (depth > MAX_QUERY_DEPTH) {
      throw new RelayError("query_too_complex", `conditions nest deeper than ${MAX_QUERY_DEPTH}`);
    }
    if (typeof node !== "object" || node === null) continue; // structural parse reports it
    conditions += 1;
    if (conditions > MAX_QUERY_CONDITIONS) {
      throw new RelayError("query_too_complex", `more than ${MAX_QUERY_CONDITIONS} conditions`);
    }
    const n = node as Record<string, unknown>;
    for (const key of ["and", "or"] as const) {
      const list = Object.hasOwn(n, key) ? n[key] : undefined;
      if (Array.isArray(list)) {
        if (list.length > MAX_QUERY_CONDITIONS) {
          throw new RelayError("query_too_complex", `more than ${MAX_QUERY_CONDITIONS} conditions`);
        }
        for (const child of list) stack.push({ node: child, depth: depth + 1 });
      }
    }
    if (Object.hasOwn(n, "not")) stack.push({ node: n.not, depth: depth + 1 });
    if (Object.hasOwn(n, "value") && Array.isArray(n.value) && n.value.length > MAX_IN_VALUES) {
      throw new RelayError("query_too_complex", `an 'in' list is longer than ${MAX_IN_VALUES}`);
    }
  }
}

/** Check every field the query names against the manifest: unknown_model / unknown_field. */
export function checkQueryFields(q: BoundedQuery, manifest: SchemaManifest): void {
  const spec = manifest.models[q.model];
  if (!spec || !Object.hasOwn(manifest.models, q.model)) {
    throw new RelayError("unknown_model", `unknown model ${JSON.stringify(q.model)}`);
  }
  const known = (f: string) =>
    Object.hasOwn(spec.fields, f) || (BOOKKEEPING_FIELDS as readonly string[]).includes(f);
  for (const field of conditionFields(q.where)) {
    if (!known(field)) throw new RelayError("unknown_field", `unknown field ${JSON.stringify(field)} on ${q.model}`);
  }
  for (const [field] of q.order_by ?? []) {
    if (!known(field)) throw new RelayError("unknown_field", `unknown field ${JSON.stringify(field)} on ${q.model}`);
  }
}

/** Every field name a condition tree mentions. */
export function conditionFields(where: Condition | undefined): string[] {
  const out: string[] = [];
  const stack: Condition[] = where ? [where] : [];
  while (stack.length > 0) {
    const c = stack.pop()!;
    if ("field" in c) out.push(c.field);
    else if ("and" in c) stack.push(...c.and);
    else if ("or" in c) stack.push(...c.or);
    else stack.push(c.not);
  }
  return out;
}

export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  const path = issue.path.length > 0 ? issue.path.join(".") + ": " : "";
  return `${path}${issue.message}`;
}
