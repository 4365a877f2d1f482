/** Shared imports of the model-layer unit tests. */
import type { Lookups } from "@djazzkit/core";
import type { NoteFields } from "../support/generated/models.js";
export { Q, ModelError, DoesNotExist, MultipleObjectsReturned, setModelBackend } from "@djazzkit/core";
/** Lookups on Note, for tests that build them dynamically. */
export type NoteFieldsQ = Lookups<NoteFields>;
