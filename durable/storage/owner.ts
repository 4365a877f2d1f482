/**
 * The object belongs to one user (the Worker names it `user:<id>`, or `anonymous`). The first
 * identity seen is recorded in `meta`; an identity for another user is refused, so a routing
 * mistake can never mix two users' rows.
 */
import { RelayError } from "../../schemas/errors.js";
import { objectNameFor, type Identity } from "../../schemas/identity.js";
import { getMeta, setMeta } from "./meta.js";

export function bindOwner(sql: SqlStorage, identity: Identity): void {
  const name = objectNameFor(identity);
  const bound = getMeta(sql, "owner");
  if (bound === null) setMeta(sql, "owner", name);
  else if (bound !== name) throw new RelayError("forbidden", "this object belongs to another user");
}

/** The user id this object belongs to, or null (anonymous object, or never bound yet). */
export function ownerUserId(sql: SqlStorage): string | null {
  const bound = getMeta(sql, "owner");
  return bound !== null && bound.startsWith("user:") ? bound.slice("user:".length) : null;
}
