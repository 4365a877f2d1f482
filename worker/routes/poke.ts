/**
 * `POST /djazzkit/origin/poke {user_ids}`: the origin says these users' rows changed (PROTOCOL 3.4).
 * Signed like every origin call (PROTOCOL 6) over the exact raw body, path+query and the call's
 * nonce, within the 300 s window. Without DJAZZKIT_RELAY_SECRET the endpoint does not exist: an unsigned poke is
 * never accepted. A replay inside the window only causes an extra pull, which is harmless.
 */
import type { Handler } from "hono";
import { RelayError } from "../../schemas/errors.js";
import { ANONYMOUS } from "../../schemas/identity.js";
import { NONCE_HEADER, PokeRequest, SIGNATURE_HEADER, TIMESTAMP_HEADER } from "../../schemas/origin.js";
import { describeIssue } from "../../schemas/query.js";
import { verify } from "../../schemas/signature.js";
import type { Gate } from "../env.js";
import { userObject } from "../user-object.js";

export function poke(): Handler<Gate> {
  return async function poke(c) {
    const secret = c.var.settings.DJAZZKIT_RELAY_SECRET;
    if (!secret) {
      throw new RelayError("forbidden", "origin pokes are disabled: DJAZZKIT_RELAY_SECRET is not set", undefined, 404);
    }
    const body = await c.req.text();
    const url = new URL(c.req.url);
    const check = await verify(
      secret,
      c.req.header(TIMESTAMP_HEADER) ?? null,
      c.req.header(NONCE_HEADER) ?? null,
      c.req.header(SIGNATURE_HEADER) ?? null,
      "POST",
      url.pathname + url.search,
      body,
    );
    if (!check.ok) throw new RelayError("forbidden", `poke signature refused: ${check.reason}`, { reason: check.reason }, 401);

    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch {
      throw new RelayError("invalid_message", "body is not valid JSON");
    }
    const parsed = PokeRequest.safeParse(raw);
    if (!parsed.success) throw new RelayError("invalid_message", `invalid poke: ${describeIssue(parsed.error)}`);

    const userIds = [...new Set(parsed.data.user_ids)];
    const results = await Promise.allSettled(
      userIds.map((user_id) => userObject(c.env, { ...ANONYMOUS, user_id }).poke()),
    );
    const failed = results.filter((r) => r.status === "rejected").length;
    if (failed > 0) {
      console.error(`poke: ${failed} of ${userIds.length} objects failed`, results.find((r) => r.status === "rejected"));
      // The origin should retry; objects that did get the poke only pull once more.
      throw new RelayError("internal", `${failed} of ${userIds.length} pokes failed`, { poked: userIds.length - failed, failed });
    }
    return c.json({ poked: userIds.length });
  };
}
