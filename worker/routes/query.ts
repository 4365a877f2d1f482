/**
 * `POST /djazzkit/query`: the body is a query AST (PROTOCOL 4.2). Its structure and bounds are
 * checked here, before the object is contacted; the object checks fields and runs it.
 */
import type { Handler } from "hono";
import type { QueryOutcome } from "../../schemas/contract.js";
import { parseQuery } from "../../schemas/query.js";
import { readJson } from "../body.js";
import type { Gate } from "../env.js";
import { userObject } from "../user-object.js";
import { fromWire } from "./wire-error.js";

export function runQuery(): Handler<Gate> {
  return async function runQuery(c) {
    const { settings, identity } = c.var;
    const query = parseQuery(await readJson(c), {
      maxLimit: settings.DJAZZKIT_QUERY_MAX_LIMIT,
      maxOffset: settings.DJAZZKIT_QUERY_MAX_OFFSET,
    });
    // Cast: the RPC stub's inferred type collapses `unknown` row values to never.
    const outcome = (await userObject(c.env, identity).runQuery(identity, query)) as QueryOutcome;
    if (!outcome.ok) throw fromWire(outcome.error);
    return c.json(outcome.total === undefined ? { rows: outcome.rows } : { rows: outcome.rows, total: outcome.total });
  };
}
