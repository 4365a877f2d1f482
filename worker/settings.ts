/**
 * Settings middleware: parse the relay settings from `env` (once per env object, cached in
 * `loadSettings`) before anything else runs, so a bad value refuses every request with a
 * message naming the setting instead of silently running on a default.
 */
import type { MiddlewareHandler } from "hono";
import { loadSettings } from "../schemas/config.js";
import type { Gate } from "./env.js";

export function relaySettings(): MiddlewareHandler<Gate> {
  return async function relaySettings(c, next) {
    c.set("settings", loadSettings(c.env)); // throws SettingsError -> 500 internal in onError
    await next();
  };
}
