/**
 * The query AST (PROTOCOL 4.2): its structure, and the bound checks applied at the Worker and
 * again where the query runs. Pure: no runtime bindings.
 */
import { z } from "zod";
import { RelayError } from "./errors.js";
import { applyBounds, MAX_FIELD_CHARS, MAX_MODEL_LABEL_CHARS, MAX_ORDER_TERMS, OPERATORS, type BoundedQuery, checkComplexity, type QueryBounds } from "./query-bounds.js";

export const Operator = z.enum(OPERATORS);
export type Operator = z.infer<typeof Operator>;

export const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
export type Scalar = z.infer<typeof Scalar>;

export const Comparison = z.strictObject({
  field: z.string().min(1).max(MAX_FIELD_CHARS),
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

export const OrderBy = z.array(z.tuple([z.string().min(1).max(MAX_FIELD_CHARS), z.enum(["asc", "desc"])])).max(MAX_ORDER_TERMS);
export type OrderBy = z.infer<typeof OrderBy>;

/** Structure only; numeric bounds are checked by `checkQueryBounds` so they map to their codes. */
export const Query = z.strictObject({
  model: z.string().min(1).max(MAX_MODEL_LABEL_CHARS),
  where: Condition.optional(),
  order_by: OrderBy.optional(),
  limit: z.unknown().optional(),
  offset: z.unknown().optional(),
});
export type Query = z.infer<typeof Query>;
/** The same type under the name the relay's modules already use. */
export type QueryInput = Query;

export {
  type BoundedQuery, type QueryBounds, DEFAULT_LIMIT, DEFAULT_OFFSET, MAX_QUERY_DEPTH, MAX_QUERY_CONDITIONS, MAX_IN_VALUES,
  checkComplexity, applyBounds, checkQueryFields, conditionFields,
} from "./query-bounds.js";

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
  return applyBounds(parsed.data, bounds);
}

export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid";
  const path = issue.path.length > 0 ? issue.path.join(".") + ": " : "";
  return `${path}${issue.message}`;
}
