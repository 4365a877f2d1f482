/** The typed model layer that generated code builds on (client/codegen writes the classes). */
export type { ConflictVersion, ModelBackend, ReplicaRow } from "./backend.js";
export { setModelBackend, modelBackend } from "./backend-registry.js";
export type { ConflictView, Version } from "./conflicts.js";
export { DoesNotExist, ModelError, MultipleObjectsReturned, type ModelErrorCode } from "./errors.js";
export { Q, QExpr, type Lookups, type OrderName, type RowLookups } from "./filters.js";
export { lookupCondition, lookupsCondition } from "./lookups.js";
export { Manager } from "./manager.js";
export { instantiate, Model, type FieldsOf, type ModelClass, type ModelInit } from "./model.js";
export { QuerySet, type Filter } from "./queryset.js";
export type { DateString, DateTimeString, DecimalString, FieldSpec, InstanceFields, JsonValue, Manifest, ModelMeta, ModelSpec, UUIDString } from "./types.js";
export { prepareCreate, preparePatch } from "./write-checks.js";
