/**
 * The identity the Worker hands to a Durable Object after authenticating a request.
 * It travels in an internal header that the Worker always overwrites (a client-sent copy is
 * dropped), and Durable Objects are reachable only through the Worker, so a client cannot
 * forge it. The object stores it in the socket attachment.
 */
import { z } from "zod";

export const IDENTITY_HEADER = "X-Djazzkit-Internal-Identity";
/**
 * For a cookie identity only: the session cookie (`<name>=<value>`, nothing else of the Cookie
 * header), so the object can re-check the session with the origin while the socket is open
 * (issue 8 item 4). Always overwritten or removed by the Worker, like IDENTITY_HEADER.
 */
export const SESSION_HEADER = "X-Djazzkit-Internal-Session";

/**
 * Why a credential the client presented did not count, so the socket is anonymous (issue 8):
 * `missing` a session cookie that could not be used (no allowed `Origin`, or no origin and
 * relay secret to check it with), `rejected` an invalid token or an unknown session,
 * `expired` an expired token.
 */
export const CredentialRefusal = z.enum(["missing", "rejected", "expired"]);
export type CredentialRefusal = z.infer<typeof CredentialRefusal>;

export const Identity = z.object({
  /** The user id (`sub` of a JWT, or the origin's answer for a cookie); null when anonymous. */
  user_id: z.string().min(1).max(256).nullable(),
  /** Unix seconds after which the credential is no longer valid (JWT `exp`). */
  expires_at: z.number().int().nullable(),
  /** How the identity was established. */
  method: z.enum(["jwt", "cookie", "anonymous"]),
  /** Anonymous only: the presented credential that was refused, and why. */
  credential: CredentialRefusal.optional(),
});
export type Identity = z.infer<typeof Identity>;

export const ANONYMOUS: Identity = { user_id: null, expires_at: null, method: "anonymous" };

/** What a client is told about its socket's identity (`sync_ready`, `auth_ok`). */
export function socketIdentity(identity: Identity): { user_id: string | null; anonymous: boolean } {
  return { user_id: identity.user_id, anonymous: identity.user_id === null };
}

/** Durable Object name for a user; anonymous sockets share one object that holds no rows. */
export function objectNameFor(identity: Identity): string {
  return identity.user_id === null ? "anonymous" : `user:${identity.user_id}`;
}
