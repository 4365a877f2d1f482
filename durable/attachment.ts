/**
 * Per-socket state, kept in the WebSocket attachment (`serializeAttachment`) so it survives
 * hibernation: the object keeps no in-memory map of sockets. Read and written through this
 * schema only; an attachment that does not parse is treated as a broken socket.
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

/** The socket's state, or null when it has none (not one of ours, or broken). */
export function tryReadAttachment(ws: WebSocket): SocketAttachment | null {
  const parsed = SocketAttachment.safeParse(ws.deserializeAttachment());
  return parsed.success ? parsed.data : null;
}

export function writeAttachment(ws: WebSocket, state: SocketAttachment): void {
  ws.serializeAttachment(state);
}

/** True when the socket's credential has expired (Unix seconds in `identity.expires_at`). */
export function isExpired(state: SocketAttachment, nowMs: number): boolean {
  const exp = state.identity.expires_at;
  return exp !== null && exp * 1000 <= nowMs;
}
