/** Bindings and vars of the Worker (wrangler.toml): the settings, plus the object namespace. */
import type { UserObject } from "../durable/index.js";
import type { Settings, SettingsVars } from "../schemas/config.js";
import type { Identity } from "../schemas/identity.js";

export interface Env extends SettingsVars {
  USER_OBJECT: DurableObjectNamespace<UserObject>;
}

/** Hono environment of the gate: bindings, plus what the middleware chain establishes per request. */
export interface Gate {
  Bindings: Env;
  Variables: {
    /** Parsed once per `env` by `relaySettings()`. */
    settings: Settings;
    /** Set by `authenticate()`; anonymous when the fallback admitted a request without a credential. */
    identity: Identity;
    /** For a cookie identity: the session cookie `<name>=<value>` the object re-checks (SESSION_HEADER). */
    session: string | undefined;
  };
}
