/** `POST /djazzkit/rpc/:name` with body `{args}`: the same call as the socket's `rpc` frame. */
import type { Handler } from "hono";
import type { RpcOutcome } from "../../schemas/contract.js";
import { RelayError } from "../../schemas/errors.js";
import { Rpc } from "../../schemas/protocol.js";
import { describeIssue } from "../../schemas/query.js";
import { readJson } from "../body.js";
import type { Gate } from "../env.js";
import { userObject } from "../user-object.js";
import { fromWire } from "./wire-error.js";

/** The HTTP body is the `rpc` frame's `args` part; the name comes from the path. */
const RpcBody = Rpc.pick({ args: true }).strict();

export function callRpc(): Handler<Gate> {
  return async function callRpc(c) {
    const identity = c.var.identity;
    const name = Rpc.shape.name.safeParse(c.req.param("name"));
    if (!name.success) throw new RelayError("invalid_message", `invalid RPC name: ${describeIssue(name.error)}`);
    const hasBody = (c.req.header("Content-Length") ?? "") !== "0" && c.req.raw.body !== null;
    const raw = hasBody ? await readJson(c) : {};
    const body = RpcBody.safeParse(raw);
    if (!body.success) throw new RelayError("invalid_message", `invalid RPC body: ${describeIssue(body.error)}`);
    // Cast: the RPC stub's inferred type collapses `unknown` results to never.
    const outcome = (await userObject(c.env, identity).callRpc(identity, name.data, body.data.args ?? null)) as RpcOutcome;
    if (!outcome.ok) throw fromWire(outcome.error);
    return c.json({ result: outcome.result });
  };
}
