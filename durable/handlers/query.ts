/**
 * Queries (PROTOCOL 4.2): the `query` frame and the `runQuery` RPC behind POST /djazzkit/query.
 * The bounds are checked again here (the Worker checked them too), then the query runs over
 * the user's winners when the object holds the model, and goes to the origin link otherwise
 * (standalone: forbidden, since shared and remote rows live only at an origin and there is none).
 */
import { RelayError } from "../../schemas/errors.js";
import type { Identity } from "../../schemas/identity.js";
import { isHeldInObject } from "../../schemas/manifest.js";
import type { QueryMessage } from "../../schemas/protocol.js";
import { checkQueryFields, parseQuery } from "../../schemas/query.js";
import { requireUser } from "./model-access.js";
import type { ObjectContext, SocketCall } from "../object-context.js";
import type { QueryOutcome } from "../../schemas/contract.js";
import { compileQuery } from "../storage/query-sql.js";
import { indexedLayout } from "../storage/query-indexes.js";
import { queryIndexesFor } from "../storage/migrations.js";
import { rowToRecord } from "../storage/query-rows.js";
import { send, sendError } from "../send.js";

/** Run a raw or bounded query for `identity`; never throws a RelayError (it becomes the outcome). */
export async function runQueryFor(oc: ObjectContext, identity: Identity, raw: unknown): Promise<QueryOutcome> {
  try {
    const q = parseQuery(raw, {
      maxLimit: oc.settings.DJAZZKIT_QUERY_MAX_LIMIT,
      maxOffset: oc.settings.DJAZZKIT_QUERY_MAX_OFFSET,
    });
    const manifest = await oc.manifests.current();
    checkQueryFields(q, manifest);
    const spec = manifest.models[q.model]!;
    // Shared/remote models live at the origin; an anonymous caller owns no rows here, so with an
    // origin its queries go there too (the origin decides what anonymous users may read).
    if (!isHeldInObject(spec) || (identity.user_id === null && oc.origin.remote)) return await oc.origin.remoteQuery(identity, q);
    requireUser(identity);
    compileQuery(q, spec); // RELAY_LAYOUT's checks and parameter budget, as the client applies them
    const compiled = compileQuery(q, spec, q.model, indexedLayout(q.model, queryIndexesFor(oc.ctx.storage, manifest).get(q.model)));
    const rows = oc.sql
      .exec(compiled.sql, ...compiled.params)
      .toArray()
      .map((r) => rowToRecord(r));
    // A page cut short by the end of the matches says the total (same synchronous step, so no
    // write came between); otherwise it is counted.
    if (rows.length < q.limit && (rows.length > 0 || q.offset === 0)) return { ok: true, rows, total: q.offset + rows.length };
    const count = oc.sql.exec<{ total: number }>(compiled.countSql, ...compiled.countParams).one();
    return { ok: true, rows, total: Number(Object.values(count)[0]) };
  } catch (err) {
    if (err instanceof RelayError) return { ok: false, error: err.toJSON() };
    throw err;
  }
}

export async function handleQuery(oc: ObjectContext, sock: SocketCall, msg: QueryMessage): Promise<void> {
  const outcome = await runQueryFor(oc, sock.state.identity, msg.query);
  if (outcome.ok) {
    const frame = { type: "query_result" as const, request_id: msg.request_id, rows: outcome.rows };
    send(sock.ws, outcome.total === undefined ? frame : { ...frame, total: outcome.total });
  } else {
    sendError(sock.ws, outcome.error.code, outcome.error.message, { request_id: msg.request_id, details: outcome.error.details });
  }
}
