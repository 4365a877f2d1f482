/**
 * Request-line and header sanity: the cheapest refusals, before any parsing or crypto.
 * The platform accepts up to 16 KiB of URL and 128 KiB of headers; a sync client needs far less,
 * so anything bigger is refused here rather than fed to JWT parsing or the origin.
 */
import type { MiddlewareHandler } from "hono";
import { RelayError } from "../schemas/errors.js";
import type { Gate } from "./env.js";

/** Longest URL accepted (bytes of the full URL string). */
export const MAX_URL_BYTES = 4096;
/** Largest total of header names and values accepted (a JWT in a subprotocol fits easily). */
export const MAX_HEADER_BYTES = 32 * 1024;
/** Longest bearer token accepted before any decoding. */
export const MAX_TOKEN_CHARS = 8192;

function headerBytes(headers: Headers): number {
  let total = 0;
  for (const [name, value] of headers) total += name.length + value.length + 4;
  return total;
}

/** Refuse over-long URLs and header sets with `message_too_large` (414 / 431). */
export function requestSanity(): MiddlewareHandler<Gate> {
  return async function requestSanity(c, next) {
    if (c.req.url.length > MAX_URL_BYTES) {
      throw new RelayError("message_too_large", `URL longer than ${MAX_URL_BYTES} bytes`, undefined, 414);
    }
    if (headerBytes(c.req.raw.headers) > MAX_HEADER_BYTES) {
      throw new RelayError("message_too_large", `headers larger than ${MAX_HEADER_BYTES} bytes`, undefined, 431);
    }
    await next();
  };
}

/** The sync endpoint only speaks WebSocket: a GET with `Upgrade: websocket`, else 426. */
export function requireWebSocketUpgrade(): MiddlewareHandler<Gate> {
  return async function requireWebSocketUpgrade(c, next) {
    const upgrade = c.req.header("Upgrade")?.trim().toLowerCase();
    if (c.req.method !== "GET" || upgrade !== "websocket") {
      throw new RelayError("invalid_message", "expected a WebSocket upgrade (GET with Upgrade: websocket)", undefined, 426);
    }
    await next();
  };
}
