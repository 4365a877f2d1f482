/**
 * Bearer JWT verification at the edge (PROTOCOL 5), with `jose`. Pure apart from the JWKS fetch:
 * the Durable Object can reuse it for the `auth` frame.
 *
 * - HMAC tokens (HS256/384/512) are verified with DJAZZKIT_JWT_SECRET, asymmetric ones with the
 *   keys at DJAZZKIT_JWKS_URL; a token is never checked against the other family's key (no
 *   RS256/HS256 confusion).
 * - The allow-list is DJAZZKIT_JWT_ALGORITHMS, else HS256 when a secret is set plus RS256, ES256
 *   and EdDSA when a JWKS URL is set. `alg: none` is refused before jose sees it (jose never
 *   accepts it for `jwtVerify` either).
 * - `sub` (the user id) and `exp` are required; `exp`, `nbf`, and `iss` / `aud` when configured,
 *   are enforced. An expired token is `auth_expired`; anything else wrong is `auth_required`.
 */
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTVerifyOptions } from "jose";
import type { Settings } from "../schemas/config.js";
import { RelayError } from "../schemas/errors.js";
import { Identity } from "../schemas/identity.js";

const HMAC_ALGS = new Set(["HS256", "HS384", "HS512"]);
/** Leeway for clock skew between the token issuer and the edge when checking exp/nbf. */
export const CLOCK_TOLERANCE_S = 5;
/** How long fetched JWKS keys are trusted before a refresh (jose refetches early on an unknown `kid`). */
const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
const JWKS_TIMEOUT_MS = 5_000;

type JwtSettings = Pick<
  Settings,
  "DJAZZKIT_JWT_SECRET" | "DJAZZKIT_JWKS_URL" | "DJAZZKIT_JWT_ALGORITHMS" | "DJAZZKIT_JWT_ISSUER" | "DJAZZKIT_JWT_AUDIENCE"
>;

/** The algorithms accepted under these settings. */
export function allowedAlgorithms(settings: JwtSettings): string[] {
  if (settings.DJAZZKIT_JWT_ALGORITHMS) return settings.DJAZZKIT_JWT_ALGORITHMS;
  const out: string[] = [];
  if (settings.DJAZZKIT_JWT_SECRET) out.push("HS256");
  if (settings.DJAZZKIT_JWKS_URL) out.push("RS256", "ES256", "EdDSA");
  return out;
}

// One remote key set per URL per isolate, so keys are fetched once, not per request.
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
function remoteKeys(url: string): ReturnType<typeof createRemoteJWKSet> {
  let set = keySets.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { cacheMaxAge: JWKS_CACHE_MAX_AGE_MS, timeoutDuration: JWKS_TIMEOUT_MS });
    if (keySets.size >= 8) keySets.clear();
    keySets.set(url, set);
  }
  return set;
}

const encoder = new TextEncoder();

// The HMAC key per secret and algorithm, imported once per isolate instead of by jose on every
// verification (a WebCrypto importKey per request on the query and socket paths).
const hmacKeys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string, alg: string): Promise<CryptoKey> {
  const id = `${alg}\n${secret}`;
  let key = hmacKeys.get(id);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: `SHA-${alg.slice(2)}` }, false, ["verify"]);
    if (hmacKeys.size >= 8) hmacKeys.clear();
    hmacKeys.set(id, key);
  }
  return key;
}

function refuse(message: string): never {
  throw new RelayError("auth_required", message);
}

/** Verify a bearer token and return the identity it proves. Throws RelayError. */
export async function verifyJwt(token: string, settings: JwtSettings): Promise<Identity> {
  let alg: string | undefined;
  try {
    alg = decodeProtectedHeader(token).alg;
  } catch {
    refuse("bearer token is not a JWT");
  }
  if (!alg || alg.toLowerCase() === "none") refuse("unsigned tokens are not accepted");
  const allowed = allowedAlgorithms(settings);
  if (!allowed.includes(alg)) refuse(`JWT algorithm ${alg} is not allowed`);

  const hmac = HMAC_ALGS.has(alg);
  const options: JWTVerifyOptions = {
    algorithms: allowed.filter((a) => HMAC_ALGS.has(a) === hmac),
    requiredClaims: ["sub", "exp"],
    clockTolerance: CLOCK_TOLERANCE_S,
  };
  if (settings.DJAZZKIT_JWT_ISSUER) options.issuer = settings.DJAZZKIT_JWT_ISSUER;
  if (settings.DJAZZKIT_JWT_AUDIENCE) options.audience = settings.DJAZZKIT_JWT_AUDIENCE;

  let payload;
  try {
    if (hmac) {
      if (!settings.DJAZZKIT_JWT_SECRET) refuse(`no secret configured for ${alg} tokens`);
      ({ payload } = await jwtVerify(token, await hmacKey(settings.DJAZZKIT_JWT_SECRET, alg), options));
    } else {
      if (!settings.DJAZZKIT_JWKS_URL) refuse(`no JWKS configured for ${alg} tokens`);
      ({ payload } = await jwtVerify(token, remoteKeys(settings.DJAZZKIT_JWKS_URL), options));
    }
  } catch (err) {
    throw toRelayError(err, !hmac);
  }
  const identity = Identity.safeParse({ user_id: payload.sub, expires_at: payload.exp ?? null, method: "jwt" });
  if (!identity.success) refuse("JWT sub is not a usable user id");
  return identity.data;
}

function toRelayError(err: unknown, viaJwks: boolean): RelayError {
  if (err instanceof RelayError) return err;
  if (err instanceof errors.JWTExpired) return new RelayError("auth_expired", "credential expired");
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid) {
    return new RelayError("origin_unavailable", "the JWKS endpoint could not be read");
  }
  if (err instanceof errors.JOSEError) return new RelayError("auth_required", `invalid token: ${err.code}`);
  if (viaJwks) {
    // fetch() of the JWKS URL failed (network): not the client's fault, so not a downgrade either.
    console.error("gate: JWKS fetch failed", err);
    return new RelayError("origin_unavailable", "the JWKS endpoint could not be reached");
  }
  return new RelayError("auth_required", "invalid token");
}
