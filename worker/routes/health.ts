/** `GET /djazzkit/health`: liveness, and whether the relay runs with a Django origin. Touches no object. */
import type { Handler } from "hono";
import type { Gate } from "../env.js";

export function health(): Handler<Gate> {
  return async function health(c) {
    return c.json({ ok: true, mode: c.var.settings.DJAZZKIT_ORIGIN_URL ? "origin" : "standalone" });
  };
}
