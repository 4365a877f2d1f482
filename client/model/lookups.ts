/**
 * Django field lookups (`title__icontains`, `priority__gte`, `tags__isnull`, `id__in`, ...) to
 * the relay's query AST (schemas/query.ts). Pure. The AST's semantics already follow Django's ORM
 * (durable/storage/query-sql.ts header): `eq null` is IS NULL, `in` drops nulls and `[]` matches nothing,
 * `not` is exclude() (a NULL field matches `not {eq: 3}`).
 *
 * Lookups the AST cannot express (`iexact`, `endswith`, `regex`, date parts, ...) and lookups
 * through relations (`author__username`) are refused here with `invalid_query` / `unknown_field`,
 * the codes the relay would answer, instead of silently matching something else.
 */
import type { Comparison, Condition, Scalar } from "../../schemas/query.js";
import type { ModelSpec } from "../../schemas/manifest.js";
import { ModelError } from "./errors.js";

/** Supported lookup suffixes and the AST operator each becomes (`range` becomes gte + lte). */
const OPERATORS = {
  exact: "eq", in: "in", gt: "gt", gte: "gte", lt: "lt", lte: "lte",
  contains: "contains", icontains: "icontains", startswith: "startswith", isnull: "isnull",
} as const;
export type SupportedLookup = keyof typeof OPERATORS | "range";

/** Django lookups with no AST operator: a clear refusal beats treating `x__iexact` as a field name. */
const UNSUPPORTED = new Set([
  "iexact", "istartswith", "endswith", "iendswith", "regex", "iregex", "search", "date", "time", "year", "iso_year",
  "month", "day", "week", "week_day", "iso_week_day", "quarter", "hour", "minute", "second", "contained_by",
  "overlap", "has_key", "has_keys", "has_any_keys", "trigram_similar", "unaccent",
]);

/** Row-level names usable in lookups and ordering besides the model's fields. */
const ROW_ALIASES: Record<string, string> = { id: "_djazzkit_id", pk: "_djazzkit_id" };
/** Field types the relay's text lookups apply to (durable/storage/query-sql.ts). */
const TEXT_TYPES = new Set(["string", "date", "datetime", "uuid"]);
const BOOKKEEPING = new Set(["_djazzkit_id", "_djazzkit_rev", "_djazzkit_updated_at"]);

/** The AST field a lookup or ordering name refers to: a model field, `id`/`pk`, or bookkeeping. */
export function resolveField(name: string, spec: ModelSpec, label: string): string {
  if (Object.hasOwn(spec.fields, name)) return name;
  if (Object.hasOwn(ROW_ALIASES, name)) return ROW_ALIASES[name]!;
  if (BOOKKEEPING.has(name)) return name;
  const related = name.includes("__") ? " (lookups do not follow relations)" : "";
  throw new ModelError("unknown_field", `unknown field ${JSON.stringify(name)} on ${label}${related}`, { field: name });
}

/** Split `field__lookup`; a name without a known suffix is an exact match on the whole name. */
export function splitLookup(key: string): { field: string; lookup: SupportedLookup } {
  const cut = key.lastIndexOf("__");
  if (cut > 0) {
    const suffix = key.slice(cut + 2);
    if (Object.hasOwn(OPERATORS, suffix) || suffix === "range") return { field: key.slice(0, cut), lookup: suffix as SupportedLookup };
    if (UNSUPPORTED.has(suffix)) {
      throw new ModelError("invalid_query", `the ${suffix} lookup is not supported (${key})`, { lookup: suffix });
    }
  }
  return { field: key, lookup: "exact" };
}

/** One `key: value` lookup as an AST condition. */
export function lookupCondition(key: string, value: unknown, spec: ModelSpec, label: string): Condition {
  const { field: name, lookup } = splitLookup(key);
  const field = resolveField(name, spec, label);
  const bad = (why: string) => new ModelError("invalid_query", `${key}: ${why}`, { field: name, lookup });
  switch (lookup) {
    case "exact":
      return value === null ? cmp(field, "isnull", true) : cmp(field, "eq", scalar(value, bad));
    case "isnull":
      if (typeof value !== "boolean") throw bad("isnull takes true or false");
      return cmp(field, "isnull", value);
    case "in":
      if (!Array.isArray(value)) throw bad("in takes a list");
      return cmp(field, "in", value.map((v) => scalar(v, bad)));
    case "range": {
      if (!Array.isArray(value) || value.length !== 2) throw bad("range takes [low, high]");
      return { and: [cmp(field, "gte", scalar(value[0], bad)), cmp(field, "lte", scalar(value[1], bad))] };
    }
    case "contains": case "icontains": case "startswith":
      if (!TEXT_TYPES.has(field === "_djazzkit_id" ? "uuid" : spec.fields[field]?.type ?? "")) throw bad(`${lookup} applies to text fields only`);
      return cmp(field, OPERATORS[lookup], scalar(value, bad));
    default:
      return cmp(field, OPERATORS[lookup], scalar(value, bad));
  }
}

/** Several lookups AND-ed, in the order given (Django's `filter(a=1, b=2)`). */
export function lookupsCondition(lookups: Readonly<Record<string, unknown>>, spec: ModelSpec, label: string): Condition {
  const parts = Object.keys(lookups).map((k) => lookupCondition(k, lookups[k], spec, label));
  return parts.length === 1 ? parts[0]! : { and: parts };
}

/** AND of conditions with nested ANDs flattened, so chained filters do not deepen the tree. */
export function andAll(conditions: readonly Condition[]): Condition | undefined {
  const flat: Condition[] = [];
  for (const c of conditions) {
    if ("and" in c) flat.push(...c.and);
    else flat.push(c);
  }
  if (flat.length === 0) return undefined;
  return flat.length === 1 ? flat[0]! : { and: flat };
}

/** `orderBy("-priority", "title")` names to the AST's `order_by`. */
export function orderTerms(names: readonly string[], spec: ModelSpec, label: string): Array<[string, "asc" | "desc"]> {
  return names.map((n) => {
    const desc = n.startsWith("-");
    return [resolveField(desc ? n.slice(1) : n, spec, label), desc ? "desc" : "asc"];
  });
}

function cmp(field: string, op: Comparison["op"], value: Comparison["value"]): Comparison {
  return { field, op, value };
}

function scalar(v: unknown, bad: (why: string) => ModelError): Scalar {
  if (v === null || typeof v === "string" || typeof v === "boolean") return v;
  if (typeof v === "number" && Number.isFinite(v)) return v;
  throw bad("values are strings, finite numbers, booleans or null");
}
