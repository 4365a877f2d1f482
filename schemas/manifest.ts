/**
 * The schema manifest: exactly the origin's `GET schema` answer (PROTOCOL 6). In standalone mode
 * the same document is read from `djazzkit.schema.json`.
 */
import { z } from "zod";
import { MODEL_LABEL_RE } from "./model-scope.js";

/** Value types a synced field may have. Foreign keys report the type of the target's key. */
export const FieldType = z.enum([
  "string",
  "integer",
  "float",
  "decimal",
  "boolean",
  "datetime",
  "date",
  "uuid",
  "json",
]);
export type FieldType = z.infer<typeof FieldType>;

/** A value a `choices` list may hold: JSON scalars (Django's choices of a synced field). */
export const ChoiceValue = z.union([z.string(), z.number(), z.boolean()]);
export type ChoiceValue = z.infer<typeof ChoiceValue>;

/** One Django choice: `[value, human label]` (grouped choices arrive flattened). */
export const Choice = z.tuple([ChoiceValue, z.string()]);
export type Choice = z.infer<typeof Choice>;

/**
 * What a client needs to write a valid value (PROTOCOL 8, "Manifest"). Every key beyond `type`
 * and `nullable` is optional and absent when Django has nothing to say:
 * - `default`: the field's default when it is a constant (callables are left out), in the
 *   field's JSON form; `null` when Django declares `default=None`;
 * - `max_length`: the most characters (Unicode code points, as Django counts) a string holds;
 * - `choices`: the only values accepted, besides null on a nullable field and Django's empty
 *   values ("", [], {}) that its own choice check skips.
 */
export const FieldSpec = z.object({
  type: FieldType,
  nullable: z.boolean(),
  default: z.json().optional(),
  max_length: z.number().int().positive().optional(),
  choices: z.array(Choice).min(1).optional(),
});
export type FieldSpec = z.infer<typeof FieldSpec>;

export const Scope = z.enum(["user", "shared"]);
export type Scope = z.infer<typeof Scope>;

export const ConflictMode = z.enum(["lww", "revision_tree"]);
export type ConflictMode = z.infer<typeof ConflictMode>;

export const Strategy = z.enum(["sync", "remote"]);
export type Strategy = z.infer<typeof Strategy>;

/** A Django label, "app.Model". */
export const ModelLabel = z.string().regex(MODEL_LABEL_RE);
export type ModelLabel = z.infer<typeof ModelLabel>;

/** A field name that is safe to use as an identifier anywhere (manifest-only identifiers). */
export const FieldName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,62}$/);
export type FieldName = z.infer<typeof FieldName>;

export const ModelSpec = z.object({
  table: z.string(),
  scope: Scope,
  owner_field: FieldName.nullable(),
  conflict_mode: ConflictMode,
  strategy: Strategy,
  has_resolver: z.boolean(),
  fields: z.record(FieldName, FieldSpec),
});
export type ModelSpec = z.infer<typeof ModelSpec>;

export const SchemaVersion = z.string().regex(/^[0-9a-f]{16}$/);
export type SchemaVersion = z.infer<typeof SchemaVersion>;

export const SchemaManifest = z.object({
  schema_version: SchemaVersion,
  models: z.record(ModelLabel, ModelSpec),
});
export type SchemaManifest = z.infer<typeof SchemaManifest>;
/** The same schema under the short name the client's model layer uses (client/model/backend.ts). */
export const Manifest = SchemaManifest;
export type Manifest = z.infer<typeof Manifest>;

export { BOOKKEEPING_FIELDS, type BookkeepingField, isHeldInObject } from "./model-scope.js";
