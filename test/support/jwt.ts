/**
 * HS256 test JWTs, verifiable by the relay with DJAZZKIT_JWT_SECRET. Forged tokens (`alg: none`,
 * wrong key) are built by hand in the security tests, not here.
 */
import { SignJWT } from "jose";

/** The secret the e2e relays are started with (>= 32 bytes, as HS256 wants). */
export const TEST_JWT_SECRET = "e2e-jwt-secret-at-least-32-bytes-long!!";

export interface MintOptions {
  secret?: string;
  /** Seconds from now until `exp` (negative: already expired). Default one hour. */
  expiresInS?: number;
  /** Extra claims (iss, aud, ...). */
  claims?: Record<string, unknown>;
  /** Clock override (Unix seconds) for `iat`/`exp`. */
  nowS?: number;
}

export async function mintJwt(sub: string | number, opts: MintOptions = {}): Promise<string> {
  const now = opts.nowS ?? Math.floor(Date.now() / 1000);
  return new SignJWT({ ...opts.claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(String(sub))
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expiresInS ?? 3600))
    .sign(new TextEncoder().encode(opts.secret ?? TEST_JWT_SECRET));
}
