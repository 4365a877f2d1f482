/**
 * The query AST's bounds (PROTOCOL 4.2), free of zod: the relay's parseQuery (query.ts) and the
 * client's (query-guard.ts) both end here, so limits, offsets, complexity and field checks are
 * one piece of code with one set of error codes.
 */
import { RelayError } from "./errors.js";
import type { SchemaManifest } from "./manifest.js";
import { BOOKKEEPING_FIELDS } from "./model-scope.js";
import type { Condition, QueryInput } from "./query.js";

export const OPERATORS = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "icontains", "startswith", "isnull"] as const;
export const MAX_FIELD_CHARS = 128;
export const MAX_ORDER_TERMS = 8;
export const MAX_MODEL_LABEL_CHARS = 200;

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

/** Applies limit and offset bounds to a structurally valid query: limit_out_of_range / offset_out_of_range. */
export function applyBounds(q: QueryInput, bounds: QueryBounds): BoundedQuery {
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
export function checkComplexity(root: unknown): void {
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

