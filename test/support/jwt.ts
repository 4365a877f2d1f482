/**
 * The one test JWT minter: HS256 with the test secret by default, other algorithms and keys on
 * request, and the claims a test needs to get wrong on purpose (no `exp`, no `sub`, `nbf` in the
 * future, a foreign secret). Tokens no library would make (`alg: none`, a tampered signature)
 * are built by hand in the security tests.
 */
import { SignJWT, type JWTPayload } from "jose";
import { TEST_JWT_SECRET } from "./secrets.js";

export interface MintOptions {
  /** Signing algorithm; default HS256. */
  alg?: "HS256" | "HS384" | "HS512" | "RS256" | "ES256" | "EdDSA";
  /** HMAC secret (HS*); default TEST_JWT_SECRET. */
  secret?: string;
  /** Private key for the asymmetric algorithms, and its key id. */
  key?: Parameters<SignJWT["sign"]>[0];
  kid?: string;
  /** Seconds from now until `exp`; negative: already expired; null: no `exp`. Default one hour. */
  expiresInS?: number | null;
  /** Seconds from now until `nbf`. */
  notBeforeInS?: number;
  /** Extra claims (iss, aud, ...). */
  claims?: JWTPayload;
  /** Clock override (Unix seconds). */
  nowS?: number;
}

/** A signed JWT for `sub` (null: without `sub`). */
export async function mintJwt(sub: string | number | null, opts: MintOptions = {}): Promise<string> {
  const now = opts.nowS ?? Math.floor(Date.now() / 1000);
  const alg = opts.alg ?? "HS256";
  const jwt = new SignJWT({ ...opts.claims }).setIssuedAt(now);
  if (sub !== null) jwt.setSubject(String(sub));
  if (opts.expiresInS !== null) jwt.setExpirationTime(now + (opts.expiresInS ?? 3600));
  if (opts.notBeforeInS !== undefined) jwt.setNotBefore(now + opts.notBeforeInS);
  jwt.setProtectedHeader(opts.kid === undefined ? { alg, typ: "JWT" } : { alg, kid: opts.kid, typ: "JWT" });
  if (alg.startsWith("HS")) return jwt.sign(new TextEncoder().encode(opts.secret ?? TEST_JWT_SECRET));
  if (opts.key === undefined) throw new Error(`mintJwt: ${alg} needs a key`);
  return jwt.sign(opts.key);
}
