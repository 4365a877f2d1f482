/**
 * Django session cookies, checked through the origin (`POST <origin><prefix>auth`, PROTOCOL 6)
 * with the origin client, like every relay-to-origin call (signed, forwarding only the Cookie). Answers are cached
 * briefly per cookie so a reconnect storm does not become an origin storm; the cache key is a
 * hash, so session ids are not kept in memory in the clear.
 */
import type { Settings } from "../schemas/config.js";
import { RelayError } from "../schemas/errors.js";
import { Identity } from "../schemas/identity.js";
import { OriginClient, OriginError } from "../origin-client/client.js";

/** How long an origin answer (yes or no) about one cookie is reused. */
export const SESSION_CACHE_TTL_MS = 30_000;
/** Bound on cached cookies per isolate; the oldest entries go first. */
export const SESSION_CACHE_MAX_ENTRIES = 1000;

type CacheEntry = { at: number; identity: Identity | null };
const cache = new Map<string, CacheEntry>();

async function cacheKey(originUrl: string, cookie: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${originUrl}\n${cookie}`));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

function remember(key: string, identity: Identity | null, now: number): void {
  cache.delete(key);
  while (cache.size >= SESSION_CACHE_MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest === undefined) break;
    cache.delete(oldest);
  }
  cache.set(key, { at: now, identity });
}

type SessionSettings = Pick<Settings, "DJAZZKIT_ORIGIN_URL" | "DJAZZKIT_ORIGIN_PREFIX" | "DJAZZKIT_RELAY_SECRET" | "DJAZZKIT_ORIGIN_TIMEOUT_MS">;

/**
 * The identity a session cookie proves. Throws `auth_required` when the origin says no (or no
 * origin is configured to ask), `origin_unavailable` when the origin cannot answer.
 */
export async function verifySessionCookie(cookie: string, settings: SessionSettings, now: number = Date.now()): Promise<Identity> {
  const originUrl = settings.DJAZZKIT_ORIGIN_URL;
  const secret = settings.DJAZZKIT_RELAY_SECRET;
  if (!originUrl || !secret) {
    // Standalone, or no shared secret to sign the call with: nobody can vouch for the cookie.
    throw new RelayError("auth_required", "session cookies need a configured origin and DJAZZKIT_RELAY_SECRET");
  }
  const key = await cacheKey(originUrl, cookie);
  const hit = cache.get(key);
  if (hit && now - hit.at < SESSION_CACHE_TTL_MS) return answer(hit.identity);

  // The one implementation of `POST auth`: the origin client's (signed, forwarding only the Cookie).
  const client = new OriginClient({
    baseUrl: originUrl,
    prefix: settings.DJAZZKIT_ORIGIN_PREFIX,
    secret,
    timeoutMs: settings.DJAZZKIT_ORIGIN_TIMEOUT_MS,
    now: () => now,
  });
  let userId: string | null;
  try {
    userId = await client.auth({ Cookie: cookie });
  } catch (err) {
    const why = err instanceof OriginError ? err.message : "the origin could not be reached";
    throw new RelayError("origin_unavailable", `the session could not be checked: ${why}`);
  }
  if (userId === null) {
    remember(key, null, now);
    return answer(null);
  }
  const checked = Identity.safeParse({ user_id: userId, expires_at: null, method: "cookie" });
  if (!checked.success) throw new RelayError("origin_unavailable", "the origin's session answer has no usable user id");
  const identity = checked.data;
  remember(key, identity, now);
  return identity;
}

function answer(identity: Identity | null): Identity {
  if (!identity) throw new RelayError("auth_required", "the session is not valid");
  return identity;
}
