/**
 * What the model layer checks before a write leaves the client, with the relay's codes and
 * messages (durable/writes/validate.ts): unknown fields are `unknown_field`, bad values
 * `invalid_field_value` through the same rule the relay runs (schemas/field-value.ts), and a
 * create gets the manifest's constant defaults filled in, as the relay would. Pure.
 */
import { fieldValueProblem } from "../../schemas/field-value.js";
import type { FieldSpec, ModelSpec } from "../../schemas/manifest.js";
import { ModelError } from "./errors.js";

const BOOKKEEPING_PREFIX = "_djazzkit_";

/** A field's starting value on a new instance: its constant default, else null when nullable. */
export function initialValue(fs: FieldSpec): { value: unknown } | undefined {
  if (fs.default !== undefined) return { value: structuredClone(fs.default) };
  if (fs.nullable) return { value: null };
  return undefined;
}

/**
 * The data a create sends: every manifest field (defaults filled, nullable ones null), each
 * value checked. The owner field may be absent or null: the relay sets it to the user.
 */
export function prepareCreate(spec: ModelSpec, label: string, data: Readonly<Record<string, unknown>>): Record<string, unknown> {
  rejectUnknown(spec, label, data);
  const out: Array<[string, unknown]> = [];
  for (const [field, fs] of Object.entries(spec.fields)) {
    const given = Object.hasOwn(data, field) ? data[field] : undefined;
    if (field === spec.owner_field) {
      if (given !== undefined && given !== null) out.push([field, check(field, fs, given)]);
      continue;
    }
    if (given !== undefined) {
      out.push([field, check(field, fs, given)]);
      continue;
    }
    const initial = initialValue(fs);
    if (initial === undefined) {
      throw new ModelError("invalid_field_value", `${field} is required`, { field, expected: fs.type });
    }
    out.push([field, initial.value]);
  }
  return Object.fromEntries(out);
}

/** An update's patch: known fields only, each value checked. */
export function preparePatch(spec: ModelSpec, label: string, patch: Readonly<Record<string, unknown>>): Record<string, unknown> {
  rejectUnknown(spec, label, patch);
  const out: Array<[string, unknown]> = [];
  for (const field of Object.keys(patch)) {
    if (field.startsWith(BOOKKEEPING_PREFIX)) continue;
    out.push([field, check(field, spec.fields[field]!, patch[field])]);
  }
  return Object.fromEntries(out);
}

function rejectUnknown(spec: ModelSpec, label: string, data: Readonly<Record<string, unknown>>): void {
  for (const key of Object.keys(data)) {
    if (key.startsWith(BOOKKEEPING_PREFIX) || Object.hasOwn(spec.fields, key)) continue;
    throw new ModelError("unknown_field", `unknown field ${JSON.stringify(key)} on ${label}`, { field: key });
  }
}

function check(field: string, fs: FieldSpec, value: unknown): unknown {
  const problem = fieldValueProblem(fs, value);
  if (problem !== null) {
    throw new ModelError("invalid_field_value", `${field} ${problem.why} (expected ${problem.expected})`, { field, expected: problem.expected });
  }
  return fs.type === "uuid" && typeof value === "string" ? value.toLowerCase() : value;
}
