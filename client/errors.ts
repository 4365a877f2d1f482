/**
 * The one error type of the SDK. Relay errors keep the relay's stable code (PROTOCOL 4.1);
 * failures the client detects itself use a few client-side codes.
 */
import type { ErrorCode } from "../schemas/errors.js";

/** Codes the client raises on its own, never sent by the relay. */
export type ClientSideCode =
  | "timeout" // no answer to a request within its timeout
  | "disconnected" // the socket dropped after the request was sent; the answer is lost
  | "closed" // close() was called before the request or mutation finished
  | "unreachable"; // sockets keep closing 1006 before any frame: the relay cannot be reached, or refused the handshake

export type ClientErrorCode = ErrorCode | ClientSideCode;

export class RelayClientError extends Error {
  readonly code: ClientErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ClientErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "RelayClientError";
    this.code = code;
    this.details = details;
  }
}
