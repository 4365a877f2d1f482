/**
 * Which models a socket may read or write in this object: user-scope `sync` models with an
 * owner field (`isHeldInObject`), for an authenticated user. Shared and remote models live at
 * the origin (PROTOCOL 2.3).
 */
import { RelayError } from "../../schemas/errors.js";
import type { Identity } from "../../schemas/identity.js";
import { isHeldInObject, type ModelSpec, type SchemaManifest } from "../../schemas/manifest.js";

/** The spec of a model the object holds, or a RelayError (unknown_model / forbidden / auth_required). */
export function heldModel(manifest: SchemaManifest, model: string, identity: Identity): ModelSpec {
  const spec = Object.hasOwn(manifest.models, model) ? manifest.models[model] : undefined;
  if (spec === undefined) throw new RelayError("unknown_model", `unknown model ${JSON.stringify(model)}`);
  if (!isHeldInObject(spec)) {
    throw new RelayError("forbidden", `${model} is a ${spec.scope}/${spec.strategy} model: its rows live at the origin, not in the relay`);
  }
  requireUser(identity);
  return spec;
}

/** The authenticated user id; anonymous sockets own no rows (auth_required). */
export function requireUser(identity: Identity): string {
  if (identity.user_id === null) throw new RelayError("auth_required", "sign in to read or write your rows");
  return identity.user_id;
}

/**
 * The user id of a socket that may write: authenticated (auth_required) and not parked by a
 * schema mismatch (schema_mismatch, until a sync_start with the server's version).
 */
export function requireWriter(state: { identity: Identity; sync: string }): string {
  const userId = requireUser(state.identity);
  if (state.sync === "mismatch") {
    throw new RelayError("schema_mismatch", "this socket's schema version does not match; send sync_start with the server's version");
  }
  return userId;
}
