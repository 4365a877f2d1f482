/**
 * Sending typed frames. A send to a socket that is closing throws in workerd; that must never
 * disturb the caller (nor the other sockets of a broadcast), so it is swallowed here.
 */
import type { ErrorCode } from "../schemas/errors.js";
import { RelayError } from "../schemas/errors.js";
import type { RelayMessage } from "../schemas/protocol.js";

export function sendRaw(ws: WebSocket, text: string): boolean {
  try {
    ws.send(text);
    return true;
  } catch {
    return false;
  }
}

export function send(ws: WebSocket, msg: RelayMessage): boolean {
  return sendRaw(ws, JSON.stringify(msg));
}

export function sendError(
  ws: WebSocket,
  code: ErrorCode,
  message: string,
  opts: { request_id?: string | undefined; details?: Record<string, unknown> | undefined } = {},
): void {
  const frame: RelayMessage = { type: "error", code, message };
  if (opts.request_id !== undefined) frame.request_id = opts.request_id;
  if (opts.details !== undefined) frame.details = opts.details;
  send(ws, frame);
}

/** Answer a RelayError thrown by a handler with its code. */
export function sendRelayError(ws: WebSocket, err: RelayError, requestId?: string): void {
  sendError(ws, err.code, err.message, { request_id: requestId, details: err.details });
}

/** Close a socket, ignoring a socket that is already closed. */
export function closeSocket(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closed or closing
  }
}
