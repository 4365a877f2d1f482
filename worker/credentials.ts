/**
 * Where a request's credential comes from (PROTOCOL 5), in order of precedence:
 * 1. `Authorization: Bearer <token>`;
 * 2. the WebSocket subprotocol list `djazzkit, djazzkit.bearer.<token>` (browsers cannot set headers);
 * 3. Django's session cookie, only when the Origin is trusted for cookies (see origin-policy.ts).
 * Only the first credential present is used: an invalid bearer is not rescued by a cookie.
 */
import { RelayError } from "../schemas/errors.js";
import { BEARER_SUBPROTOCOL_PREFIX } from "../schemas/wire-format.js";
import { MAX_TOKEN_CHARS } from "./limits.js";

export type Credential =
  | { kind: "bearer"; token: string; via: "header" | "subprotocol" }
  | { kind: "cookie"; cookie: string };

/** The subprotocols a WebSocket client offered, in order. */
export function offeredSubprotocols(headers: Headers): string[] {
  const raw = headers.get("Sec-WebSocket-Protocol");
  if (!raw) return [];
  return raw.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
}

function checkedToken(token: string): string {
  if (token.length === 0 || token.length > MAX_TOKEN_CHARS) {
    throw new RelayError("auth_required", "bearer token is empty or too long");
  }
  return token;
}

/** The `<name>=<value>` pair of the named cookie (non-empty value), or null. */
export function sessionCookiePair(cookieHeader: string | null, name: string): string | null {
  if (cookieHeader === null) return null;
  for (const part of cookieHeader.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name && part.slice(eq + 1).trim().length > 0) {
      return `${name}=${part.slice(eq + 1).trim()}`;
    }
  }
  return null;
}

function hasCookie(cookieHeader: string, name: string): boolean {
  return sessionCookiePair(cookieHeader, name) !== null;
}

export interface CredentialOptions {
  /** The session cookie's name; a Cookie header without it is not a credential. */
  sessionCookieName: string;
  /** Whether the request's Origin may use a cookie (cookieOriginTrusted). */
  cookieTrusted: boolean;
}

/**
 * The request's credential, or null when it carries none that may be used.
 * Throws `auth_required` for a malformed Authorization header (treated like an invalid token).
 */
export function extractCredential(headers: Headers, options: CredentialOptions): Credential | null {
  const authorization = headers.get("Authorization");
  if (authorization !== null && authorization.trim() !== "") {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization.trim());
    if (!m) throw new RelayError("auth_required", "Authorization must be 'Bearer <token>'");
    return { kind: "bearer", token: checkedToken(m[1]!), via: "header" };
  }
  const fromProtocol = offeredSubprotocols(headers).find((p) => p.startsWith(BEARER_SUBPROTOCOL_PREFIX));
  if (fromProtocol !== undefined) {
    return { kind: "bearer", token: checkedToken(fromProtocol.slice(BEARER_SUBPROTOCOL_PREFIX.length)), via: "subprotocol" };
  }
  const cookie = headers.get("Cookie");
  if (cookie !== null && options.cookieTrusted && hasCookie(cookie, options.sessionCookieName)) {
    return { kind: "cookie", cookie };
  }
  return null;
}
