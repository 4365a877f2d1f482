/**
 * Authentication middleware: turns the request's credential into an Identity, or applies
 * DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK. Runs after the Origin policy and before any Durable
 * Object is contacted.
 *
 * | credential                     | fallback on          | fallback off             |
 * |--------------------------------|----------------------|--------------------------|
 * | none (or untrusted cookie)     | anonymous            | 401 auth_required        |
 * | invalid (signature, alg, nbf)  | anonymous            | 401 auth_required        |
 * | expired                        | anonymous            | 401 auth_expired         |
 * | valid                          | the user             | the user                 |
 * An origin or JWKS outage is a 502 either way: an unverifiable credential is not an invalid one.
 *
 * An anonymous identity admitted by the fallback says why a presented credential did not count
 * (`identity.credential`, sent to the client in `sync_ready`): `expired`, `rejected`, or
 * `missing` for a session cookie that could not be used (untrusted Origin, or standalone).
 */
import type { MiddlewareHandler } from "hono";
import { RelayError } from "../schemas/errors.js";
import { ANONYMOUS, type CredentialRefusal, type Identity } from "../schemas/identity.js";
import { extractCredential, sessionCookiePair, type Credential } from "./credentials.js";
import type { Gate } from "./env.js";
import { verifyJwt } from "../auth/jwt.js";
import { cookieOriginTrusted } from "./origin-policy.js";
import type { Settings } from "../schemas/config.js";
import { verifySessionCookie } from "./session.js";

function identify(credential: Credential, settings: Settings): Promise<Identity> {
  return credential.kind === "bearer"
    ? verifyJwt(credential.token, settings)
    : verifySessionCookie(credential.cookie, settings);
}

/** Why a request admitted anonymously did not get its user; undefined when it presented nothing. */
function whyRefused(
  code: "auth_required" | "auth_expired",
  credential: Credential | null | "malformed",
  sentSessionCookie: boolean,
  settings: Settings,
): CredentialRefusal | undefined {
  if (code === "auth_expired") return "expired";
  if (credential === null) return sentSessionCookie ? "missing" : undefined;
  if (credential !== "malformed" && credential.kind === "cookie" && (!settings.DJAZZKIT_ORIGIN_URL || !settings.DJAZZKIT_RELAY_SECRET)) {
    return "missing";
  }
  return "rejected";
}

export function authenticate(): MiddlewareHandler<Gate> {
  return async function authenticate(c, next) {
    const settings = c.var.settings;
    const session = sessionCookiePair(c.req.header("Cookie") ?? null, settings.DJAZZKIT_SESSION_COOKIE_NAME);
    let identity: Identity;
    let credential: Credential | null | "malformed" = null;
    try {
      credential = "malformed";
      credential = extractCredential(c.req.raw.headers, {
        sessionCookieName: settings.DJAZZKIT_SESSION_COOKIE_NAME,
        cookieTrusted: cookieOriginTrusted(c.req.header("Origin"), c.req.url, settings.DJAZZKIT_WS_ALLOWED_ORIGINS),
      });
      if (credential === null) throw new RelayError("auth_required", "no credential presented");
      identity = await identify(credential, settings);
    } catch (err) {
      const refusal = err instanceof RelayError && (err.code === "auth_required" || err.code === "auth_expired");
      if (!refusal || !settings.DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK) throw err;
      const why = whyRefused(err.code, credential, session !== null, settings);
      identity = why === undefined ? ANONYMOUS : { ...ANONYMOUS, credential: why };
    }
    c.set("identity", identity);
    c.set("session", identity.method === "cookie" && session !== null ? session : undefined);
    await next();
  };
}
