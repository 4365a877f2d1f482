/**
 * Origin policy of the sync socket (PROTOCOL 5) and the cookie rule against cross-site WebSocket
 * hijacking. Patterns come from DJAZZKIT_WS_ALLOWED_ORIGINS: `scheme://host[:port]` matches that
 * origin exactly; `scheme://*.host[:port]` matches subdomains of host (any depth), never host itself.
 */
import type { MiddlewareHandler } from "hono";
import { RelayError } from "../schemas/errors.js";
import type { Gate } from "./env.js";

interface ParsedOrigin {
  protocol: string;
  hostname: string;
  port: string;
}

function parseOrigin(value: string): ParsedOrigin | null {
  try {
    const u = new URL(value);
    if (u.origin === "null") return null;
    return { protocol: u.protocol, hostname: u.hostname, port: u.port };
  } catch {
    return null;
  }
}

function matchesPattern(origin: ParsedOrigin, pattern: string): boolean {
  const wildcard = pattern.includes("://*.");
  const p = parseOrigin(wildcard ? pattern.replace("://*.", "://") : pattern);
  if (!p || p.protocol !== origin.protocol || p.port !== origin.port) return false;
  if (!wildcard) return origin.hostname === p.hostname;
  // Subdomains only: "a.example.com" matches "*.example.com", "example.com" and "badexample.com" do not.
  return origin.hostname.endsWith("." + p.hostname) && origin.hostname.length > p.hostname.length + 1;
}

/** Whether `origin` (an Origin header value) matches one of the configured patterns. */
export function originListed(origin: string, patterns: readonly string[]): boolean {
  const parsed = parseOrigin(origin);
  return parsed !== null && patterns.some((p) => matchesPattern(parsed, p));
}

/** Whether `origin` is the relay's own origin (the page was served by this host). */
export function isOwnOrigin(origin: string, requestUrl: string): boolean {
  const parsed = parseOrigin(origin);
  return parsed !== null && new URL(requestUrl).origin === new URL(origin).origin;
}

/**
 * A session cookie is ambient authority: a browser attaches it to a socket opened by any site.
 * It is honoured only when the request's Origin is explicitly listed or is the relay's own
 * origin; a missing, `null`, unlisted or foreign Origin makes the cookie count as absent.
 */
export function cookieOriginTrusted(origin: string | undefined, requestUrl: string, patterns: readonly string[]): boolean {
  if (!origin) return false;
  return isOwnOrigin(origin, requestUrl) || originListed(origin, patterns);
}

/**
 * Socket Origin policy, before any credential is looked at:
 * - no Origin: refused (403) when DJAZZKIT_WS_REQUIRE_ORIGIN is true;
 * - an Origin, with DJAZZKIT_WS_ALLOWED_ORIGINS set: refused (403) unless listed or the relay's own;
 * - an Origin, with the list empty: allowed (cookies still need a trusted Origin).
 */
export function originPolicy(): MiddlewareHandler<Gate> {
  return async function originPolicy(c, next) {
    const settings = c.var.settings;
    const origin = c.req.header("Origin");
    if (origin === undefined || origin === "") {
      if (settings.DJAZZKIT_WS_REQUIRE_ORIGIN) {
        throw new RelayError("forbidden", "an Origin header is required");
      }
    } else if (
      settings.DJAZZKIT_WS_ALLOWED_ORIGINS.length > 0 &&
      !originListed(origin, settings.DJAZZKIT_WS_ALLOWED_ORIGINS) &&
      !isOwnOrigin(origin, c.req.url)
    ) {
      throw new RelayError("forbidden", `Origin ${JSON.stringify(origin)} is not allowed`);
    }
    await next();
  };
}
