/**
 * Bounded request bodies: at most DJAZZKIT_MAX_MESSAGE_BYTES (the same cap as a socket frame),
 * enforced by Hono's body limit before the body is parsed, so an oversized body costs no JSON work.
 */
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { RelayError } from "../schemas/errors.js";
import type { Gate } from "./env.js";

export function boundedBody(): MiddlewareHandler<Gate> {
  return async function boundedBody(c, next) {
    const maxSize = c.var.settings.DJAZZKIT_MAX_MESSAGE_BYTES;
    const limit = bodyLimit({
      maxSize,
      onError: () => {
        throw new RelayError("message_too_large", `body larger than ${maxSize} bytes`);
      },
    });
    return limit(c, next);
  };
}

/** The body as JSON; a parse failure is `invalid_message`. */
export async function readJson(c: Context<Gate>): Promise<unknown> {
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RelayError("invalid_message", "body is not valid JSON");
  }
}
