/**
 * CORS for the HTTP endpoints (query, rpc), so pages on an allowed origin can call them with
 * fetch(). Only origins listed in DJAZZKIT_WS_ALLOWED_ORIGINS get CORS headers; same-origin pages
 * need none. Uses Hono's cors middleware with the gate's own origin matching.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { Gate } from "./env.js";
import { originListed } from "./origin-policy.js";

export function allowedOriginsCors(): MiddlewareHandler<Gate> {
  const handler = cors({
    origin: (origin, c) => (origin && originListed(origin, c.var.settings.DJAZZKIT_WS_ALLOWED_ORIGINS) ? origin : null),
    allowMethods: ["POST", "OPTIONS"],
    allowHeaders: ["Authorization", "Content-Type"],
    credentials: true,
    maxAge: 600,
  });
  return async function allowedOriginsCors(c, next) {
    return handler(c, next);
  };
}
