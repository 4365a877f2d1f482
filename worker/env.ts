/** Bindings and vars of the Worker and the Durable Object (wrangler.toml). */
import type { UserObject } from "../durable/user-object.js";
import type { Settings } from "../schemas/config.js";
import type { Identity } from "../schemas/identity.js";

export interface Env {
  USER_OBJECT: DurableObjectNamespace<UserObject>;
  DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK?: string;
  DJAZZKIT_WS_REQUIRE_ORIGIN?: string;
  DJAZZKIT_WS_ALLOWED_ORIGINS?: string;
  DJAZZKIT_QUERY_MAX_LIMIT?: string;
  DJAZZKIT_QUERY_MAX_OFFSET?: string;
  DJAZZKIT_ORIGIN_URL?: string;
  DJAZZKIT_JWT_SECRET?: string;
  DJAZZKIT_JWKS_URL?: string;
  DJAZZKIT_JWT_ALGORITHMS?: string;
  DJAZZKIT_JWT_ISSUER?: string;
  DJAZZKIT_JWT_AUDIENCE?: string;
  DJAZZKIT_RELAY_SECRET?: string;
  DJAZZKIT_SESSION_COOKIE_NAME?: string;
  DJAZZKIT_SCHEMA_TTL_S?: string;
  DJAZZKIT_REVS_LIMIT?: string;
  DJAZZKIT_MAX_MESSAGE_BYTES?: string;
  DJAZZKIT_MAX_MUTATIONS_PER_PUSH?: string;
  DJAZZKIT_MAX_SOCKETS_PER_USER?: string;
  DJAZZKIT_RATE_LIMIT_PER_S?: string;
  DJAZZKIT_RATE_LIMIT_BURST?: string;
  DJAZZKIT_MAX_QUEUED_WRITES?: string;
  DJAZZKIT_ORIGIN_TIMEOUT_MS?: string;
  DJAZZKIT_ORIGIN_PREFIX?: string;
  DJAZZKIT_OUTBOX_BATCH?: string;
}

/** Hono environment of the gate: bindings, plus what the middleware chain establishes per request. */
export interface Gate {
  Bindings: Env;
  Variables: {
    /** Parsed once per `env` by `relaySettings()`. */
    settings: Settings;
    /** Set by `authenticate()`; anonymous when the fallback admitted a request without a credential. */
    identity: Identity;
  };
}
