/**
 * Decoding an inbound WebSocket frame into a `ClientMessage`, refusing anything hostile with a
 * typed error before a handler sees it: binary frames, frames over DJAZZKIT_MAX_MESSAGE_BYTES
 * (the caller closes with 1009, frame too large), text that is not JSON, JSON nested deeper than
 * MAX_JSON_DEPTH (later stages such as canonical JSON and SQLite's json functions recurse),
 * `__proto__` keys (prototype-pollution bait; JSON.parse makes them own keys, but any later
 * `Object.assign` would not), and objects that fail the protocol schemas.
 */
import { CloseCode, type ErrorCode } from "../schemas/errors.js";
import { ClientMessage } from "../schemas/protocol.js";
import { describeIssue } from "../schemas/query.js";

/** Deepest nesting of arrays/objects accepted in a frame (a query AST needs ~20). */
export const MAX_JSON_DEPTH = 64;

export type DecodedFrame =
  | { ok: true; msg: ClientMessage }
  | { ok: false; code: ErrorCode; message: string; requestId?: string; close?: number };

const encoder = new TextEncoder();

/** UTF-8 size of a string without encoding it when it is clearly small enough. */
function utf8Bytes(text: string, limit: number): number {
  if (text.length * 3 <= limit) return text.length; // even all-3-byte text fits
  return encoder.encode(text).byteLength;
}

/** Walks parsed JSON with an explicit stack: depth and forbidden keys. */
function checkShape(root: unknown): string | null {
  const stack: Array<{ v: unknown; d: number }> = [{ v: root, d: 1 }];
  while (stack.length > 0) {
    const { v, d } = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    if (d > MAX_JSON_DEPTH) return `JSON nested deeper than ${MAX_JSON_DEPTH} levels`;
    if (Array.isArray(v)) {
      for (const item of v) stack.push({ v: item, d: d + 1 });
    } else {
      for (const key of Object.keys(v)) {
        if (key === "__proto__") return "the key __proto__ is not allowed";
        stack.push({ v: (v as Record<string, unknown>)[key], d: d + 1 });
      }
    }
  }
  return null;
}

function requestIdOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const id = Object.hasOwn(value, "request_id") ? (value as { request_id?: unknown }).request_id : undefined;
  return typeof id === "string" && id.length > 0 && id.length <= 128 ? id : undefined;
}

/** Largest frame (in UTF-16 code units) `peekRequestId` will parse. */
export const PEEK_MAX_CHARS = 64 * 1024;

/**
 * The `request_id` of a frame refused before decoding (the per-socket rate limit), so the
 * client learns which request to retry. Cheap and total: only text frames under
 * PEEK_MAX_CHARS are parsed, only a short string id is returned, and nothing here throws.
 */
export function peekRequestId(message: string | ArrayBuffer): string | undefined {
  if (typeof message !== "string" || message.length > PEEK_MAX_CHARS || !message.includes("request_id")) return undefined;
  try {
    return requestIdOf(JSON.parse(message));
  } catch {
    return undefined;
  }
}

export function decodeFrame(message: string | ArrayBuffer, maxBytes: number): DecodedFrame {
  if (typeof message !== "string") {
    return { ok: false, code: "invalid_message", message: "binary frames are not accepted; send JSON text" };
  }
  const bytes = utf8Bytes(message, maxBytes);
  if (bytes > maxBytes) {
    return { ok: false, code: "message_too_large", message: `frame of ${bytes} bytes exceeds ${maxBytes}`, close: CloseCode.frameTooLarge };
  }
  let value: unknown;
  try {
    value = JSON.parse(message);
  } catch {
    return { ok: false, code: "invalid_message", message: "frame is not JSON" };
  }
  const requestId = requestIdOf(value);
  const shape = checkShape(value);
  if (shape !== null) return withId({ ok: false, code: "invalid_message", message: shape }, requestId);
  const parsed = ClientMessage.safeParse(value);
  if (!parsed.success) {
    return withId({ ok: false, code: "invalid_message", message: `invalid frame: ${describeIssue(parsed.error)}` }, requestId);
  }
  return { ok: true, msg: parsed.data };
}

function withId(frame: DecodedFrame & { ok: false }, requestId: string | undefined): DecodedFrame {
  return requestId === undefined ? frame : { ...frame, requestId };
}
