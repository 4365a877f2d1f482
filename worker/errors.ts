/**
 * The single place where refusals become responses: every RelayError maps to JSON
 * `{code, message, details?}` with its status; a settings error is a 500 `internal` that names the
 * bad setting (the operator must fix wrangler.toml); anything else is a logged 500 without internals.
 * A sync upgrade refused for its Origin or credential is answered in-band instead, where the
 * client can read it (socket-refusal.ts).
 */
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { SettingsError } from "../schemas/config.js";
import { RelayError } from "../schemas/errors.js";
import type { Gate } from "./env.js";
import { inBandRefusal } from "./socket-refusal.js";

function errorResponse(c: Context<Gate>, err: RelayError): Response {
  const headers: Record<string, string> = {};
  if (err.status === 426) headers["Upgrade"] = "websocket";
  return c.json(err.toJSON(), err.status as ContentfulStatusCode, headers);
}

export const onGateError: ErrorHandler<Gate> = function onGateError(err, c) {
  if (err instanceof RelayError) return inBandRefusal(c, err) ?? errorResponse(c, err);
  if (err instanceof SettingsError) {
    console.error(`gate: ${err.message}`);
    return errorResponse(c, new RelayError("internal", err.message));
  }
  console.error("gate: unexpected error", err);
  return errorResponse(c, new RelayError("internal", "internal error"));
};

export const onNotFound: NotFoundHandler<Gate> = function onNotFound(c) {
  return errorResponse(c, new RelayError("invalid_message", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`, undefined, 404));
};
