/**
 * Validation of one pushed mutation against the schema manifest (PROTOCOL 2.3, 3 step 1), and the
 * body of the revision it produces (docs/ARCHITECTURE.md "Row data semantics"). Pure.
 *
 * Checks run in a fixed order so a test can reach each code: structure (invalid_message),
 * anonymous (auth_required), model (unknown_model), scope/strategy (forbidden), a user id that
 * cannot own the model's rows (forbidden), row id (invalid_field_value), data keys (unknown_field), values (invalid_field_value), owner (forbidden).
 *
 * Prototype safety: client keys are read with Object.keys/Object.hasOwn from the raw frame (never
 * from zod's copy, which assigns keys and would turn `__proto__` into a prototype), and output
 * objects are built with Object.fromEntries, which defines own properties only.
 */
import { RelayError } from "../../schemas/errors.js";
import { fieldValueProblem, UUID_RE } from "../../schemas/field-value.js";
import { isHeldInObject, type FieldSpec, type ModelSpec, type SchemaManifest } from "../../schemas/manifest.js";
import { Mutation, type Operation, type RowData } from "../../schemas/protocol.js";
import { describeIssue } from "../../schemas/query.js";

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


const BOOKKEEPING_PREFIX = "_djazzkit_";

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
  if (!ownerCanBe(spec, userId)) {
    return fail(id, new RelayError("forbidden", `user id ${JSON.stringify(userId)} is not the canonical spelling of an integer and cannot own ${m.model} rows`, { field: spec.owner_field }));
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
 * The full body of the new revision: create -> every manifest field (missing -> the field's
 * constant `default` when the manifest has one, else null when nullable, else
 * invalid_field_value); update -> the patch over `base` (a missing base is
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
    else if (fs.default !== undefined) entries.push([field, fs.default]);
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
  if (ownerIsInteger(spec) && isCanonicalInteger(userId)) return Number(userId);
  return userId;
}

/** The canonical decimal spelling of a safe integer, as Django's `str(pk)` writes it. */
export function isCanonicalInteger(userId: string): boolean {
  return /^(0|-?[1-9][0-9]*)$/.test(userId) && Number.isSafeInteger(Number(userId));
}

function ownerIsInteger(spec: ModelSpec): boolean {
  const ownerSpec = spec.owner_field !== null && Object.hasOwn(spec.fields, spec.owner_field) ? spec.fields[spec.owner_field] : undefined;
  return ownerSpec?.type === "integer";
}

/**
 * Whether `userId` can own rows of this model at all. An integer owner field takes only the
 * canonical spelling of an integer (issue 8, item 3): "01", "+1", "1_0" or "١" would be
 * acked here and then either refused by the origin later or, worse, read by it as user 1.
 */
export function ownerCanBe(spec: ModelSpec, userId: string): boolean {
  return !ownerIsInteger(spec) || isCanonicalInteger(userId);
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

/**
 * Check one value against its field spec (type, null, max_length, choices: the shared rule in
 * schemas/field-value.ts); returns the normalised value (UUIDs lowercased).
 */
export function checkValue(field: string, fs: FieldSpec, value: unknown): unknown {
  const problem = fieldValueProblem(fs, value);
  if (problem !== null) {
    throw new RelayError("invalid_field_value", `${field} ${problem.why} (expected ${problem.expected})`, { field, expected: problem.expected });
  }
  return fs.type === "uuid" && typeof value === "string" ? value.toLowerCase() : value;
}

function readMutationId(raw: unknown): string | null {
  if (typeof raw !== "object" || raw === null || !Object.hasOwn(raw, "mutation_id")) return null;
  const id = (raw as { mutation_id: unknown }).mutation_id;
  return typeof id === "string" && id.length >= 1 && id.length <= 200 ? id : null;
}

function fail(mutation_id: string | null, error: RelayError): ValidationOutcome {
  return { ok: false, mutation_id, error };
}
