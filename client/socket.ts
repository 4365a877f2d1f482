/**
 * The transport seam: the SDK never constructs a WebSocket itself. Browsers pass the global
 * `WebSocket`, Node passes `ws`; both satisfy `WebSocketLike`.
 */
import { CloseCode } from "../schemas/errors.js";

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

/** Subprotocols offered on connect (DESIGN 5): browsers cannot set an Authorization header. */
export function subprotocolsFor(token: string | undefined): string[] {
  // Without a token offer nothing: a client that offers a subprotocol fails the handshake
  // when the server selects none, and the relay only answers `djazzkit` to a bearer offer.
  return token ? ["djazzkit", `djazzkit.bearer.${token}`] : [];
}

/** What the client does after the socket closed with `code`. */
export type ClosePolicy = "retry" | "wait_for_token" | "stop";

export function closePolicy(code: number): ClosePolicy {
  if (code === CloseCode.unauthenticated) return "wait_for_token";
  if (code === CloseCode.originNotAllowed || code === CloseCode.policyViolation) return "stop";
  // 1012 restarting, 1013 try again later, 1006 abnormal, 1011 internal and anything else:
  // transient from the client's point of view.
  return "retry";
}

/** Close codes the client uses when it abandons a socket (4000-4999 is application space). */
export const CLIENT_HEARTBEAT_CLOSE = 4000;
export const CLIENT_CONNECT_TIMEOUT_CLOSE = 4001;
