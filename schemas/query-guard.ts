/**
 * The query AST's structure checked by hand, for the browser SDK, which must not ship zod
 * (issue 10's bundle budget). It accepts exactly what `Query` in query.ts accepts, and refuses
 * with the same code; test/unit/query-guard.test.ts holds the two to that over random inputs.
 */
import { RelayError } from "./errors.js";
import { applyBounds, type BoundedQuery, checkComplexity, MAX_FIELD_CHARS, MAX_MODEL_LABEL_CHARS, MAX_ORDER_TERMS, OPERATORS, type QueryBounds } from "./query-bounds.js";
import type { Condition, QueryInput } from "./query.js";

const OPS: ReadonlySet<string> = new Set(OPERATORS);
const QUERY_KEYS: ReadonlySet<string> = new Set(["model", "where", "order_by", "limit", "offset"]);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isName = (v: unknown, max: number) => typeof v === "string" && v.length >= 1 && v.length <= max;
const isScalar = (v: unknown) => v === null || typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v));
const onlyKeys = (o: Record<string, unknown>, keys: readonly string[]) => Object.keys(o).every((k) => keys.includes(k));

function invalid(why: string): never {
  throw new RelayError("invalid_query", `invalid query: ${why}`);
}

/** Structure of one condition, iteratively (checkComplexity has bounded the depth already). */
function checkCondition(root: unknown): void {
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const c = stack.pop();
    if (!isObject(c)) invalid("a condition must be an object");
    if (Object.hasOwn(c, "field") || Object.hasOwn(c, "op") || Object.hasOwn(c, "value")) {
      if (!onlyKeys(c, ["field", "op", "value"])) invalid("unknown key in a comparison");
      if (!isName(c["field"], MAX_FIELD_CHARS)) invalid("field must be a name");
      if (typeof c["op"] !== "string" || !OPS.has(c["op"])) invalid("unknown operator");
      const v = c["value"];
      if (!(isScalar(v) || (Array.isArray(v) && v.every(isScalar)))) invalid("value must be a scalar or a list of scalars");
      continue;
    }
    const keys = Object.keys(c);
    if (keys.length !== 1) invalid("a condition is a comparison, and, or or not");
    const key = keys[0]!;
    if (key === "and" || key === "or") {
      const list = c[key];
      if (!Array.isArray(list)) invalid(`${key} needs a list`);
      stack.push(...list);
    } else if (key === "not") {
      stack.push(c["not"]);
    } else {
      invalid(`unknown key ${JSON.stringify(key)}`);
    }
  }
}

function checkOrder(order: unknown): void {
  if (!Array.isArray(order) || order.length > MAX_ORDER_TERMS) invalid(`order_by must be a list of at most ${MAX_ORDER_TERMS} terms`);
  for (const term of order) {
    if (!Array.isArray(term) || term.length !== 2 || !isName(term[0], MAX_FIELD_CHARS) || (term[1] !== "asc" && term[1] !== "desc")) {
      invalid("an order term is [field, \"asc\" | \"desc\"]");
    }
  }
}

/** parseQuery without zod: the same checks in the same order, the same error codes. */
export function parseQueryGuarded(raw: unknown, bounds: QueryBounds): BoundedQuery {
  if (!isObject(raw)) throw new RelayError("invalid_query", "query must be an object");
  if (raw["where"] !== undefined) checkComplexity(raw["where"]);
  for (const key of Object.keys(raw)) if (!QUERY_KEYS.has(key)) invalid(`unknown key ${JSON.stringify(key)}`);
  if (!isName(raw["model"], MAX_MODEL_LABEL_CHARS)) invalid("model must be a label");
  if (raw["where"] !== undefined) checkCondition(raw["where"]);
  if (raw["order_by"] !== undefined) checkOrder(raw["order_by"]);
  const q: QueryInput = { model: raw["model"] as string };
  if (raw["where"] !== undefined) q.where = raw["where"] as Condition;
  if (raw["order_by"] !== undefined) q.order_by = raw["order_by"] as [string, "asc" | "desc"][];
  if (Object.hasOwn(raw, "limit")) q.limit = raw["limit"];
  if (Object.hasOwn(raw, "offset")) q.offset = raw["offset"];
  return applyBounds(q, bounds);
}
