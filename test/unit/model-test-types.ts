/** Shared imports of the model-layer unit tests. */
import type { Lookups } from "../../client/model/index.js";
import type { NoteFields } from "../support/generated/sample-models.js";
export { Q, ModelError, DoesNotExist, MultipleObjectsReturned, setModelBackend } from "../../client/model/index.js";
/** Lookups on Note, for tests that build them dynamically. */
export type NoteFieldsQ = Lookups<NoteFields>;
