/**
 * Per-socket state, kept in the WebSocket attachment (`serializeAttachment`) so it survives
 * hibernation. Read and written through this schema only; an attachment that does not parse is
 * treated as a broken socket.
 *
 * The attachment stays the source of truth; this module also keeps the last state read or
 * written per WebSocket object in memory, so a frame or a broadcast to many sockets does not
 * deserialize and schema-check every attachment again (issue 12: ~7 µs a socket). That is
 * hibernation-safe: the runtime hands a rebuilt object new WebSocket objects, whose state is
 * then read (and checked) from their attachments; every write goes through `writeAttachment`,
 * which updates both. A cached state is frozen, so no caller can change it without writing.
 */
import { z } from "zod";
import { Identity } from "../schemas/identity.js";
import { Bucket } from "./rate-limit.js";

export const SyncState = z.enum([
  /** Connected, no sync_start yet: may push, query, check conflicts; gets no broadcasts. */
  "idle",
  /** Catch-up done: receives every broadcast `changes`. */
  "live",
  /** The last sync_start named another schema version: nothing syncs, pushes are refused. */
  "mismatch",
]);
export type SyncState = z.infer<typeof SyncState>;

export const SocketAttachment = z.object({
  identity: Identity,
  client_id: z.string().nullable(),
  /** The schema version the client named in its last sync_start. */
  schema_version: z.string().nullable(),
  sync: SyncState,
  /** Token bucket of the per-socket rate limit (`rate-limit.ts`). */
  bucket: Bucket.optional(),
  opened_at_ms: z.number(),
  /**
   * Cookie sockets only: the session to re-check with the origin (credential-watch.ts). `key`
   * names the `meta` row holding the cookie (kept out of the attachment, whose size is capped).
   */
  session: z.object({ key: z.string(), checked_at_ms: z.number() }).optional(),
});
export type SocketAttachment = z.infer<typeof SocketAttachment>;

export function newAttachment(identity: Identity, nowMs: number): SocketAttachment {
  return { identity, client_id: null, schema_version: null, sync: "idle", opened_at_ms: nowMs };
}

/** The state last read or written per socket object (weak: a closed socket's entry goes with it). */
const known = new WeakMap<WebSocket, Readonly<SocketAttachment>>();

/** The socket's state, or null when it has none (not one of ours, or broken). */
export function tryReadAttachment(ws: WebSocket): Readonly<SocketAttachment> | null {
  const hit = known.get(ws);
  if (hit !== undefined) return hit;
  const parsed = SocketAttachment.safeParse(ws.deserializeAttachment());
  if (!parsed.success) return null;
  const state = Object.freeze(parsed.data);
  known.set(ws, state);
  return state;
}

export function writeAttachment(ws: WebSocket, state: SocketAttachment): void {
  ws.serializeAttachment(state);
  known.set(ws, Object.freeze({ ...state }));
}

/**
 * Forget the in-memory copy of a socket's state, so the next read decodes and checks its
 * attachment again, as a rebuilt object would (tests that change an attachment behind the
 * object's back, as a runtime restart could).
 */
export function forgetAttachment(ws: WebSocket): void {
  known.delete(ws);
}

/** True when the socket's credential has expired (Unix seconds in `identity.expires_at`). */
export function isExpired(state: Readonly<SocketAttachment>, nowMs: number): boolean {
  const exp = state.identity.expires_at;
  return exp !== null && exp * 1000 <= nowMs;
}
