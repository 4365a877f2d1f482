/**
 * Credentials of open sockets (issue 8 item 4). A socket's credential is checked when it opens
 * and when it sends a frame; that is not enough on its own: a socket that only listens would
 * keep receiving `changes` after its JWT expired or after its Django session ended. So:
 *
 * - every socket with an expiry (`identity.expires_at`, the JWT `exp`) is closed with 4401 (after
 *   an `auth_expired` frame) at that time, by the object's alarm, without waiting for a frame;
 * - a broadcast never goes to an expired socket (`broadcast.ts` asks `closeIfExpired` first);
 * - a cookie socket's session is re-checked with the origin (`POST auth`) every
 *   DJAZZKIT_SESSION_RECHECK_S; once the origin no longer knows it (or names another user) the
 *   socket gets `auth_expired` and 4401. An origin that cannot answer is not a verdict: the
 *   socket stays and the session is asked again one interval later.
 *
 * Deadlines come from the attachments, and the alarm survives hibernation, so a hibernated
 * object wakes for them. An `auth` frame that renews the credential moves the deadline.
 * Session cookies are kept in `meta` rows `session:<sha-256 of the cookie>` while a socket uses
 * them, and deleted at the next check after their last socket closed.
 */
import { CloseCode } from "../schemas/errors.js";
import { isExpired, type SocketAttachment, tryReadAttachment, writeAttachment } from "./attachment.js";
import { closeSocket, sendError } from "./send.js";
import { getMeta, setMeta } from "./storage/meta.js";

const SESSION_PREFIX = "session:";

/** Asks the origin who a session cookie belongs to: the user id, or null when it is not a session. Throws when the origin cannot answer. */
export type SessionCheck = (cookie: string) => Promise<string | null>;

/** The `meta` key of a session cookie: a hash, so the row name reveals nothing. */
export async function sessionKey(cookie: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(cookie));
  return Array.from(new Uint8Array(digest).slice(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Keep a socket's session cookie (under its `sessionKey`) for later re-checks; returns the attachment's `session`. */
export function rememberSession(sql: SqlStorage, key: string, cookie: string, nowMs: number): NonNullable<SocketAttachment["session"]> {
  setMeta(sql, SESSION_PREFIX + key, cookie);
  return { key, checked_at_ms: nowMs };
}

/** Close a socket whose credential has expired (an `auth_expired` frame, then 4401); true when it did. */
export function closeIfExpired(ws: WebSocket, state: SocketAttachment, nowMs: number): boolean {
  if (!isExpired(state, nowMs)) return false;
  sendError(ws, "auth_expired", "credential expired; reconnect with a fresh one");
  closeSocket(ws, CloseCode.unauthenticated, "credential expired");
  return true;
}

/** The earliest credential deadline among the open sockets (expiry or session re-check); Infinity when none. */
export function credentialDueMs(ctx: DurableObjectState, recheckMs: number): number {
  let due = Infinity;
  for (const ws of ctx.getWebSockets()) {
    if (ws.readyState !== WebSocket.READY_STATE_OPEN) continue; // already closing: nothing left to enforce
    const state = tryReadAttachment(ws);
    if (state === null) continue;
    if (state.identity.expires_at !== null) due = Math.min(due, state.identity.expires_at * 1000);
    if (state.session !== undefined) due = Math.min(due, state.session.checked_at_ms + recheckMs);
  }
  return due;
}

/** Close expired sockets and re-check due sessions (the alarm's part for credentials). */
export async function enforceCredentials(
  ctx: DurableObjectState,
  opts: { recheckMs: number; check: SessionCheck | null },
  nowMs: number = Date.now(),
): Promise<void> {
  const sql = ctx.storage.sql;
  const due = new Map<string, WebSocket[]>();
  for (const ws of ctx.getWebSockets()) {
    const state = tryReadAttachment(ws);
    if (state === null || closeIfExpired(ws, state, nowMs)) continue;
    const session = state.session;
    if (session === undefined) continue;
    if (nowMs >= session.checked_at_ms + opts.recheckMs) due.set(session.key, [...(due.get(session.key) ?? []), ws]);
  }
  for (const [key, sockets] of due) {
    const cookie = getMeta(sql, SESSION_PREFIX + key);
    let owner: string | null | undefined; // undefined: the origin could not answer
    if (cookie === null || opts.check === null) owner = null;
    else {
      try {
        owner = await opts.check(cookie);
      } catch (err) {
        console.error("session re-check failed; asking again after the interval", err instanceof Error ? err.message : err);
        owner = undefined;
      }
    }
    for (const ws of sockets) {
      const state = tryReadAttachment(ws); // re-read: an `auth` frame may have changed it meanwhile
      if (state === null || state.session?.key !== key) continue;
      if (owner === undefined || owner === state.identity.user_id) {
        writeAttachment(ws, { ...state, session: { key, checked_at_ms: Date.now() } });
      } else {
        sendError(ws, "auth_expired", "the session ended; sign in again");
        closeSocket(ws, CloseCode.unauthenticated, "session ended");
      }
    }
  }
  // Forget cookies no open socket uses any more. Computed after the awaits above, in one
  // synchronous step, and fetch() stores a cookie and accepts its socket in one step too, so a
  // socket accepted meanwhile keeps its cookie.
  const inUse = new Set<string>();
  for (const ws of ctx.getWebSockets()) {
    const key = tryReadAttachment(ws)?.session?.key;
    if (key !== undefined) inUse.add(key);
  }
  for (const row of sql.exec<{ key: string }>(`SELECT key FROM meta WHERE key LIKE 'session:%'`).toArray()) {
    if (!inUse.has(row.key.slice(SESSION_PREFIX.length))) sql.exec(`DELETE FROM meta WHERE key = ?`, row.key);
  }
}
