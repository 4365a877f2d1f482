/**
 * Field values between their JSON form (what the relay sends and the app sees: dates, decimals
 * and uuids as strings, `json` as any JSON value) and the replica's typed columns.
 */
import type { FieldType, ModelSpec } from "../../schemas/manifest.js";
import type { SqlValue } from "./sql-database.js";

export function encodeValue(type: FieldType, value: unknown): SqlValue {
  if (value === undefined || value === null) return null;
  switch (type) {
    case "boolean":
      return value === true ? 1 : value === false ? 0 : encodeOther(value);
    case "json":
      return JSON.stringify(value);
    default:
      return encodeOther(value);
  }
}

/** A value of an unexpected JSON type is kept as it is rather than lost (the relay validated it). */
function encodeOther(value: unknown): SqlValue {
  if (typeof value === "string" || typeof value === "number") return value;
  if (typeof value === "boolean") return value ? 1 : 0;
  return JSON.stringify(value);
}

export function decodeValue(type: FieldType, value: SqlValue): unknown {
  if (value === null) return null;
  switch (type) {
    case "boolean":
      return value === 1 ? true : value === 0 ? false : value;
    case "json":
      return typeof value === "string" ? JSON.parse(value) : value;
    case "integer": case "float":
      return typeof value === "bigint" ? Number(value) : value;
    default:
      return value;
  }
}

/** A body (model fields only) as column values, in the manifest's field order. */
export function encodeBody(spec: ModelSpec, body: Record<string, unknown>): SqlValue[] {
  return Object.entries(spec.fields).map(([name, f]) => encodeValue(f.type, Object.hasOwn(body, name) ? body[name] : null));
}

export function decodeBody(spec: ModelSpec, row: Record<string, SqlValue>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(spec.fields)) out[name] = decodeValue(f.type, row[name] ?? null);
  return out;
}
