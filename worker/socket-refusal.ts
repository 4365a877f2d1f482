/**
 * Refusals a browser can read (issue 13). The WebSocket API hides the HTTP status of a refused
 * upgrade: a page only ever sees close code 1006. So a sync upgrade refused by the Origin policy
 * or for its credential is accepted by the Worker itself (a `WebSocketPair` here, never a
 * Durable Object), answered with one `error` frame carrying the stable code, and closed at once
 * with the protocol's close code and a short reason:
 *
 * | refusal                         | frame code           | close                     |
 * |---------------------------------|----------------------|---------------------------|
 * | Origin missing or not allowed   | `forbidden`          | 4403 `origin not allowed` |
 * | no usable credential            | `auth_required`      | 4401 `credential required`|
 * | expired credential              | `auth_expired`       | 4401 `credential expired` |
 * | origin / JWKS unreachable       | `origin_unavailable` | 1013 `try again later`    |
 *
 * Who gets it: a request that carries an `Origin` header (every browser sends one on a
 * WebSocket upgrade) or that offers the `djazzkit` subprotocol (the SDK always does). A client
 * with neither, such as curl or a server-side script, keeps the plain HTTP status and JSON body
 * (401 / 403 / 502), which it can read.
 *
 * Cost: the Worker holds no state for a refused socket. It sends one frame and closes in the
 * same step, before answering the upgrade, so the socket is already closing when the client
 * sees it; no object is created or woken, no timer or storage is involved. A refused socket is
 * therefore no more expensive than the HTTP refusal it replaces and cannot be held open.
 */
import type { Context } from "hono";
import { CloseCode, type ErrorCode, RelayError } from "../schemas/errors.js";
import { SUBPROTOCOL } from "../schemas/wire-format.js";
import { offeredSubprotocols } from "./credentials.js";
import type { Gate } from "./env.js";

/** Close code and short reason (a close reason is at most 123 bytes) per refusal code. */
const IN_BAND: Partial<Record<ErrorCode, { close: number; reason: string }>> = {
  forbidden: { close: CloseCode.originNotAllowed, reason: "origin not allowed" },
  auth_required: { close: CloseCode.unauthenticated, reason: "credential required" },
  auth_expired: { close: CloseCode.unauthenticated, reason: "credential expired" },
  origin_unavailable: { close: CloseCode.tryAgainLater, reason: "try again later" },
};

/** Longest `message` in the refusal frame; the code is what clients act on. */
const MAX_MESSAGE_CHARS = 200;

function isSyncUpgrade(c: Context<Gate>): boolean {
  return (
    c.req.method === "GET" &&
    new URL(c.req.url).pathname === "/djazzkit/sync" &&
    c.req.header("Upgrade")?.trim().toLowerCase() === "websocket"
  );
}

/** Whether the client is answered in-band (see the header comment for the rule). */
export function wantsInBandRefusal(headers: Headers): boolean {
  const origin = headers.get("Origin");
  return (origin !== null && origin !== "") || offeredSubprotocols(headers).includes(SUBPROTOCOL);
}

/** The in-band refusal for `err`, or null when this request is answered over HTTP. */
export function inBandRefusal(c: Context<Gate>, err: RelayError): Response | null {
  const how = IN_BAND[err.code];
  if (how === undefined || !isSyncUpgrade(c) || !wantsInBandRefusal(c.req.raw.headers)) return null;
  const pair = new WebSocketPair();
  const [client, server] = [pair[0], pair[1]];
  server.accept();
  server.send(JSON.stringify({ type: "error", code: err.code, message: err.message.slice(0, MAX_MESSAGE_CHARS) }));
  server.close(how.close, how.reason);
  // A browser fails the handshake unless the server picks one of the protocols it offered, and
  // must not be answered a protocol it did not offer.
  const headers: Record<string, string> = {};
  if (offeredSubprotocols(c.req.raw.headers).includes(SUBPROTOCOL)) headers["Sec-WebSocket-Protocol"] = SUBPROTOCOL;
  return new Response(null, { status: 101, webSocket: client, headers });
}
