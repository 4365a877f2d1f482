/**
 * Request signing of the origin contract (PROTOCOL 6), both directions:
 * `X-Djazzkit-Signature: v2=<hex HMAC-SHA256>` over
 * `<timestamp>.<nonce>.<METHOD>.<path and query>.<body>`, with `X-Djazzkit-Timestamp` in Unix
 * seconds and `X-Djazzkit-Nonce` a fresh random string per call (16 to 64 of `[A-Za-z0-9_-]`).
 * Everything a call acts on is inside the signed string: the user travels in the body or the
 * signed query string, never in a header of its own. Django accepts a nonce once within the
 * window; the relay checks pokes' nonces are signed but keeps none (a replayed poke only pulls).
 * Pure WebCrypto: runs in workerd, Node 20 and browsers.
 */
import { NONCE_HEADER, SIGNATURE_HEADER, SIGNATURE_WINDOW_S, TIMESTAMP_HEADER } from "./origin.js";

const encoder = new TextEncoder();
const keyCache = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keyCache.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    if (keyCache.size > 16) keyCache.clear();
    keyCache.set(secret, key);
  }
  return key;
}

function toHex(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

function fromHex(hex: string): Uint8Array<ArrayBuffer> | null {
  if (!/^([0-9a-f]{2})+$/i.test(hex)) return null;
  const out = new Uint8Array(new ArrayBuffer(hex.length / 2));
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const NONCE_RE = /^[A-Za-z0-9_-]{16,64}$/;

/** A fresh nonce: 32 hex characters of WebCrypto randomness. */
export function newNonce(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)).buffer);
}

/** The exact string that is signed. `pathAndQuery` is the URL's pathname plus search. */
export function signingString(timestamp: string, nonce: string, method: string, pathAndQuery: string, body: string): string {
  return `${timestamp}.${nonce}.${method.toUpperCase()}.${pathAndQuery}.${body}`;
}

/** Compute the `X-Djazzkit-Signature` header value. */
export async function sign(secret: string, timestamp: string, nonce: string, method: string, pathAndQuery: string, body: string): Promise<string> {
  const key = await hmacKey(secret);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(signingString(timestamp, nonce, method, pathAndQuery, body)));
  return `v2=${toHex(mac)}`;
}

/** Headers for a signed call made now, with a fresh nonce (every call, retries included, gets its own). */
export async function signedHeaders(
  secret: string,
  method: string,
  pathAndQuery: string,
  body: string,
  nowMs: number = Date.now(),
  nonce: string = newNonce(),
): Promise<Record<string, string>> {
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    [TIMESTAMP_HEADER]: timestamp,
    [NONCE_HEADER]: nonce,
    [SIGNATURE_HEADER]: await sign(secret, timestamp, nonce, method, pathAndQuery, body),
  };
}

export type VerifyOutcome = { ok: true } | { ok: false; reason: "missing" | "malformed" | "stale" | "bad_signature" };

/**
 * Verify a signed call: constant-time comparison (WebCrypto verify), timestamp within
 * SIGNATURE_WINDOW_S of `nowMs` either way (a replay outside the window is refused).
 */
export async function verify(
  secret: string,
  timestamp: string | null,
  nonce: string | null,
  signature: string | null,
  method: string,
  pathAndQuery: string,
  body: string,
  nowMs: number = Date.now(),
): Promise<VerifyOutcome> {
  if (!timestamp || !signature || !nonce) return { ok: false, reason: "missing" };
  if (!/^\d{1,12}$/.test(timestamp) || !NONCE_RE.test(nonce)) return { ok: false, reason: "malformed" };
  const m = /^v2=([0-9a-f]{64})$/i.exec(signature.trim());
  const mac = m ? fromHex(m[1]!) : null;
  if (!mac) return { ok: false, reason: "malformed" };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SIGNATURE_WINDOW_S) return { ok: false, reason: "stale" };
  const key = await hmacKey(secret);
  const good = await crypto.subtle.verify("HMAC", key, mac, encoder.encode(signingString(timestamp, nonce, method, pathAndQuery, body)));
  return good ? { ok: true } : { ok: false, reason: "bad_signature" };
}
