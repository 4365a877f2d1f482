/**
 * The transport seam: the SDK never constructs a WebSocket itself. Browsers pass the global
 * `WebSocket`, Node passes `ws`; both satisfy `WebSocketLike`.
 */
import { CloseCode } from "../schemas/errors.js";
import { BEARER_SUBPROTOCOL_PREFIX, SUBPROTOCOL } from "../schemas/wire-format.js";

/** The subset of the WHATWG WebSocket the client uses (the `ws` package implements it too). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type SocketFactory = (url: string, protocols: string[]) => WebSocketLike;

export const WS_OPEN = 1;

/**
 * Subprotocols offered on connect (PROTOCOL 5): browsers cannot set an Authorization header, so a
 * token travels as `djazzkit.bearer.<token>`. `djazzkit` is always offered: the relay answers it
 * (never the token-bearing entry), and it marks this client as one that reads refusals in-band
 * (an `error` frame, then close 4401 / 4403) rather than as an HTTP status it cannot see.
 */
export function subprotocolsFor(token: string | undefined): string[] {
  return token ? [SUBPROTOCOL, `${BEARER_SUBPROTOCOL_PREFIX}${token}`] : [SUBPROTOCOL];
}

/**
 * What the client does after the socket closed with `code`:
 * - `retry`: transient (1006, 1011, 1012, 1013, ...): reconnect after a full-jitter backoff;
 * - `refresh_token`: 4401 with a token callback, the first in a row: ask it again and retry at once;
 * - `wait_for_token`: 4401 again (or without a callback): wait until the app supplies a token;
 * - `stop`: 4403 (Origin not allowed) or 1008 (policy): not retried.
 */
export type ClosePolicy = "retry" | "refresh_token" | "wait_for_token" | "stop";

export interface CloseContext {
  /** The client can ask the app for a fresh token (`token` is a callback). */
  canRefreshToken: boolean;
  /** 4401 closes in a row, this one included, with no accepted sync in between. */
  unauthorizedInARow: number;
}

export function closePolicy(code: number, context: CloseContext = { canRefreshToken: false, unauthorizedInARow: 1 }): ClosePolicy {
  if (code === CloseCode.unauthenticated) {
    return context.canRefreshToken && context.unauthorizedInARow <= 1 ? "refresh_token" : "wait_for_token";
  }
  if (code === CloseCode.originNotAllowed || code === CloseCode.policyViolation) return "stop";
  // 1012 restarting, 1013 try again later, 1006 abnormal, 1011 internal and anything else:
  // transient from the client's point of view.
  return "retry";
}

/** Close codes the client uses when it abandons a socket (4000-4999 is application space). */
export const CLIENT_HEARTBEAT_CLOSE = 4000;
export const CLIENT_CONNECT_TIMEOUT_CLOSE = 4001;
/** The abnormal closure a browser reports for any failed handshake, a refused one included. */
export const ABNORMAL_CLOSE = 1006;
