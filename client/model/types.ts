/**
 * Value types of generated models (client/codegen maps every manifest field type to one of
 * these), and the static description a generated class carries. Types only.
 */
import type { FieldSpec, Manifest, ModelSpec } from "../../schemas/manifest.js";

export type { FieldSpec, Manifest, ModelSpec };

/** Any JSON value: what a `json` field holds. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A `date` field: `YYYY-MM-DD` (Django's `date.isoformat()`). */
export type DateString = string;
/** A `datetime` field: ISO 8601, e.g. `2024-05-01T12:30:00Z` or with an offset (Django's `isoformat()`). */
export type DateTimeString = string;
/** A `decimal` field: the exact decimal as a string, e.g. `"12.50"` (Django serialises `Decimal` so; a number is accepted on write). */
export type DecimalString = string;
/** A `uuid` field: 36 characters, lowercase hex with dashes, e.g. `3f0b6f0e-9d3c-4b8e-8a57-1d2c3b4a5f60`. */
export type UUIDString = string;

/** What every generated class declares statically. */
export interface ModelMeta {
  /** The Django label, "app.Model". */
  readonly label: string;
  /** The model's manifest entry, as generated (fields with defaults, max_length, choices). */
  readonly spec: ModelSpec;
}

/** Instance members of Model that a field of the same name cannot shadow (reach it with `get`/`set`). */
export const RESERVED_MEMBERS = [
  "id", "pk", "save", "delete", "refresh", "get", "set", "toJSON", "constructor", "$fields", "__proto__",
  "_conflicts", "_djazzkit_rev", "_djazzkit_deleted", "_djazzkit_updated_at", "_djazzkit_pending", "_djazzkit_id",
] as const;
export type ReservedMember = (typeof RESERVED_MEMBERS)[number];

/** The fields a generated instance exposes as properties: all but the reserved member names. */
export type InstanceFields<F> = Omit<F, ReservedMember>;
