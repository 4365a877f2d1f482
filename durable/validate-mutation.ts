/**
 * Validation of one pushed mutation against the schema manifest (DESIGN 2.3, 3 step 1), and the
 * body of the revision it produces (docs/ARCHITECTURE.md "Row data semantics"). Pure.
 *
 * Checks run in a fixed order so a test can reach each code: structure (invalid_message),
 * anonymous (auth_required), model (unknown_model), scope/strategy (forbidden), row id
 * (invalid_field_value), data keys (unknown_field), values (invalid_field_value), owner (forbidden).
 *
 * Prototype safety: client keys are read with Object.keys/Object.hasOwn from the raw frame (never
 * from zod's copy, which assigns keys and would turn `__proto__` into a prototype), and output
 * objects are built with Object.fromEntries, which defines own properties only.
 */
import { RelayError } from "../schemas/errors.js";
import { isHeldInObject, type FieldSpec, type FieldType, type ModelSpec, type SchemaManifest } from "../schemas/manifest.js";
import { Mutation, type Operation, type RowData } from "../schemas/protocol.js";
import { describeIssue } from "../schemas/query.js";

export interface ValidMutation {
  mutation_id: string;
  model: string;
  spec: ModelSpec;
  /** Lowercase UUID. */
  row_id: string;
  operation: Operation;
  base_rev: string | null;
  /** Model fields only, values checked, owner set; null for delete. */
  data: RowData | null;
}

export type ValidationOutcome =
  | { ok: true; mutation: ValidMutation }
  | { ok: false; mutation_id: string | null; error: RelayError };

/** Nesting allowed inside a `json` field value; deeper values are refused without recursion. */
export const MAX_JSON_DEPTH = 32;

const BOOKKEEPING_PREFIX = "_djazzkit_";
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function validateMutation(raw: unknown, manifest: SchemaManifest, userId: string | null): ValidationOutcome {
  const parsed = Mutation.safeParse(raw);
  if (!parsed.success) {
    return fail(readMutationId(raw), new RelayError("invalid_message", `invalid mutation: ${describeIssue(parsed.error)}`));
  }
  const m = parsed.data;
  const id = m.mutation_id;
  if (userId === null) {
    return fail(id, new RelayError("auth_required", "anonymous sockets cannot push; authenticate first"));
  }
  if (!Object.hasOwn(manifest.models, m.model)) {
    return fail(id, new RelayError("unknown_model", `unknown model ${JSON.stringify(m.model)}`, { model: m.model }));
  }
  const spec = manifest.models[m.model]!;
  if (!isHeldInObject(spec)) {
    return fail(id, new RelayError("forbidden", `${m.model} is not a user-scoped synced model and cannot be pushed`, { model: m.model }));
  }
  if (!UUID_RE.test(m.row_id)) {
    return fail(id, new RelayError("invalid_field_value", "row_id must be a UUID", { field: "_djazzkit_id", expected: "uuid" }));
  }
  const base = { mutation_id: id, model: m.model, spec, row_id: m.row_id.toLowerCase(), operation: m.operation, base_rev: m.base_rev ?? null };
  if (m.operation === "delete") return { ok: true, mutation: { ...base, data: null } };

  // Read the client's keys from the raw frame: zod's parsed copy may have dropped `__proto__`.
  const rawData = (raw as { data?: unknown }).data;
  if (typeof rawData !== "object" || rawData === null || Array.isArray(rawData)) {
    return fail(id, new RelayError("invalid_message", `${m.operation} needs a data object`));
  }
  try {
    return { ok: true, mutation: { ...base, data: checkData(rawData as Record<string, unknown>, spec, userId) } };
  } catch (err) {
    if (err instanceof RelayError) return fail(id, err);
    throw err;
  }
}

/**
 * The full body of the new revision: create -> every manifest field (missing nullable -> null,
 * missing non-nullable -> invalid_field_value); update -> the patch over `base` (a missing base is
 * treated like a create); delete -> null.
 */
export function mergeBody(base: RowData | null, mutation: ValidMutation): RowData | null {
  if (mutation.operation === "delete") return null;
  const patch = mutation.data ?? {};
  if (mutation.operation === "update" && base !== null) {
    return Object.fromEntries([...Object.entries(base), ...Object.entries(patch)]);
  }
  const entries: Array<[string, unknown]> = [];
  for (const [field, fs] of Object.entries(mutation.spec.fields)) {
    if (Object.hasOwn(patch, field)) entries.push([field, patch[field]]);
    else if (fs.nullable) entries.push([field, null]);
    else throw new RelayError("invalid_field_value", `${field} is required`, { field, expected: fs.type });
  }
  return Object.fromEntries(entries);
}

/**
 * The value `owner_field` holds for `userId`: an integer when the field is one and the id is the
 * canonical decimal form of a safe integer. Only the canonical form: "0123" and "123" are two
 * principals, and coercing both to 123 would let the first write rows owned by the second.
 */
export function ownerValue(spec: ModelSpec, userId: string): string | number {
  const ownerSpec = spec.owner_field !== null && Object.hasOwn(spec.fields, spec.owner_field) ? spec.fields[spec.owner_field] : undefined;
  if (ownerSpec?.type === "integer" && /^(0|[1-9]\d*)$/.test(userId) && Number.isSafeInteger(Number(userId))) return Number(userId);
  return userId;
}

function checkData(data: Record<string, unknown>, spec: ModelSpec, userId: string): RowData {
  const entries: Array<[string, unknown]> = [];
  for (const key of Object.keys(data)) {
    if (key.startsWith(BOOKKEEPING_PREFIX) && !Object.hasOwn(spec.fields, key)) continue;
    if (!Object.hasOwn(spec.fields, key)) {
      throw new RelayError("unknown_field", `unknown field ${JSON.stringify(key)}`, { field: key });
    }
    if (key === spec.owner_field) continue; // forced below
    entries.push([key, checkValue(key, spec.fields[key]!, data[key])]);
  }
  const owner = spec.owner_field!;
  const forced = ownerValue(spec, userId);
  if (Object.hasOwn(data, owner)) {
    const given = data[owner];
    // null means "not set" (a client building a new row); any other value must name this user.
    const same = given === null || given === forced ||
      ((typeof given === "string" || typeof given === "number") && String(given) === String(forced));
    if (!same) throw new RelayError("forbidden", `${owner} must be the authenticated user`, { field: owner });
  }
  entries.push([owner, forced]);
  return Object.fromEntries(entries);
}

/** Check one value against its field spec; returns the normalised value (UUIDs lowercased). */
export function checkValue(field: string, fs: FieldSpec, value: unknown): unknown {
  if (value === null) {
    if (fs.nullable) return null;
    throw invalid(field, fs.type, "may not be null");
  }
  if (value === undefined) throw invalid(field, fs.type, "has no value");
  switch (fs.type) {
    case "string":
      if (typeof value === "string") return value;
      break;
    case "integer":
      if (Number.isSafeInteger(value)) return value;
      break;
    case "float":
      if (typeof value === "number" && Number.isFinite(value)) return value;
      break;
    case "decimal":
      if (typeof value === "number" && Number.isFinite(value)) return value;
      if (typeof value === "string" && value.length <= 100 && DECIMAL_RE.test(value)) return value;
      break;
    case "boolean":
      if (typeof value === "boolean") return value;
      break;
    case "datetime":
      if (typeof value === "string" && isDatetime(value)) return value;
      break;
    case "date":
      if (typeof value === "string" && isDate(value)) return value;
      break;
    case "uuid":
      if (typeof value === "string" && UUID_RE.test(value)) return value.toLowerCase();
      break;
    case "json":
      checkJson(field, value);
      return value;
  }
  throw invalid(field, fs.type, "has the wrong type");
}

function invalid(field: string, expected: FieldType, why: string): RelayError {
  return new RelayError("invalid_field_value", `${field} ${why} (expected ${expected})`, { field, expected });
}

function validDay(y: number, mo: number, d: number): boolean {
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  return d <= days;
}

export function isDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  return m !== null && validDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** ISO-8601 date and time (seconds, fraction and offset optional; `T` or a space between). */
export function isDatetime(s: string): boolean {
  const m = DATETIME_RE.exec(s);
  if (m === null || !validDay(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || (m[6] !== undefined && Number(m[6]) > 59)) return false;
  const tz = m[7];
  if (tz !== undefined && tz.toUpperCase() !== "Z") {
    const digits = tz.slice(1).replace(":", "");
    if (Number(digits.slice(0, 2)) > 23 || (digits.length > 2 && Number(digits.slice(2)) > 59)) return false;
  }
  return true;
}

/** Any JSON value, at most MAX_JSON_DEPTH deep; walked with an explicit stack. */
function checkJson(field: string, root: unknown): void {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: root, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v === "string" || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (Number.isFinite(v)) continue;
      throw invalid(field, "json", "is not JSON");
    }
    if (typeof v !== "object") throw invalid(field, "json", "is not JSON");
    if (depth > MAX_JSON_DEPTH) throw invalid(field, "json", `nests deeper than ${MAX_JSON_DEPTH}`);
    const proto = Object.getPrototypeOf(v);
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) throw invalid(field, "json", "is not JSON");
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push({ v: child, depth: depth + 1 });
  }
}

function readMutationId(raw: unknown): string | null {
  if (typeof raw !== "object" || raw === null || !Object.hasOwn(raw, "mutation_id")) return null;
  const id = (raw as { mutation_id: unknown }).mutation_id;
  return typeof id === "string" && id.length >= 1 && id.length <= 200 ? id : null;
}

function fail(mutation_id: string | null, error: RelayError): ValidationOutcome {
  return { ok: false, mutation_id, error };
}
