/**
 * The identity the Worker hands to a Durable Object after authenticating a request.
 * It travels in an internal header that the Worker always overwrites (a client-sent copy is
 * dropped), and Durable Objects are reachable only through the Worker, so a client cannot
 * forge it. The object stores it in the socket attachment.
 */
import { z } from "zod";

export const IDENTITY_HEADER = "X-Djazzkit-Internal-Identity";

export const Identity = z.object({
  /** The user id (`sub` of a JWT, or the origin's answer for a cookie); null when anonymous. */
  user_id: z.string().min(1).max(256).nullable(),
  /** Unix seconds after which the credential is no longer valid (JWT `exp`). */
  expires_at: z.number().int().nullable(),
  /** How the identity was established. */
  method: z.enum(["jwt", "cookie", "anonymous"]),
});
export type Identity = z.infer<typeof Identity>;

export const ANONYMOUS: Identity = { user_id: null, expires_at: null, method: "anonymous" };

/** Durable Object name for a user; anonymous sockets share one object that holds no rows. */
export function objectNameFor(identity: Identity): string {
  return identity.user_id === null ? "anonymous" : `user:${identity.user_id}`;
}
