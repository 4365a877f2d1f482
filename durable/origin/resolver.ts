/**
 * The origin's `conflict_resolver` (PROTOCOL 2.2): after a write commits and leaves a row of a
 * model with `has_resolver` in conflict, ask `POST resolve` (outside any transaction and
 * outside the write queue); a non-null answer is applied as a resolution (`planResolution`:
 * the answer as a child of the winner, a tombstone under every other live leaf) through the
 * write queue and broadcast; `null` keeps the conflict. The resolution is an ordinary mutation
 * of the relay (id `relay:resolver:<hash>`, in the namespace no client may send; no author socket) and goes to the origin through the
 * outbox like any other. If the row changed while the origin was thinking (another write
 * moved its winner or conflicts), the answer is dropped: that write asks again.
 * A failing resolver call is logged and leaves the conflict in place.
 */
import { RelayError } from "../../schemas/errors.js";
import type { SchemaManifest } from "../../schemas/manifest.js";
import { RELAY_MUTATION_ID_PREFIX, type RowData } from "../../schemas/protocol.js";
import { storeWrites } from "../writes/commit.js";
import type { OriginLink } from "./link.js";
import { parseRev, revisionId } from "../../revtree/index.js";
import { getRevision, getRow } from "../storage/row-store.js";
import type { WinnerRow } from "../storage/rows-record.js";
import { ownerUserId } from "../storage/owner.js";
import { runWrite } from "../writes/run.js";
import { validateMutation } from "../writes/validate.js";
import { planRowResolution } from "../writes/plan.js";
import type { WriteQueue } from "../writes/queue.js";
import type { OriginClient } from "../../origin-client/client.js";

export interface ResolverDeps {
  ctx: DurableObjectState;
  client: OriginClient;
  writes: WriteQueue;
  link: OriginLink;
  revsLimit: number;
}

function sameState(a: WinnerRow | null, b: WinnerRow): boolean {
  return a !== null && a.rev === b.rev && a.deleted === b.deleted && JSON.stringify(a.conflicts) === JSON.stringify(b.conflicts);
}

/** Ask the resolver about one row; true when a resolution was applied. */
export async function resolveRow(deps: ResolverDeps, manifest: SchemaManifest, model: string, rowId: string): Promise<boolean> {
  const sql = deps.ctx.storage.sql;
  const user = ownerUserId(sql);
  const spec = Object.hasOwn(manifest.models, model) ? manifest.models[model] : undefined;
  const asked = getRow(sql, model, rowId);
  if (user === null || spec === undefined || !spec.has_resolver || asked === null || asked.deleted || asked.conflicts.length === 0) {
    return false;
  }
  let answer: RowData | null;
  try {
    answer = await deps.client.resolve({
      user,
      model,
      row_id: rowId,
      winner: { rev: asked.rev, data: asked.data },
      conflicts: asked.conflicts.map((rev) => ({ rev, data: getRevision(sql, model, rowId, rev)?.data ?? null })),
    });
  } catch (err) {
    console.error(`resolver: ${model} ${rowId} left in conflict`, err instanceof Error ? err.message : err);
    return false;
  }
  if (answer === null) return false;
  // Deterministic per asked state (content hash of model, row, winner and conflicts).
  const key = await revisionId(false, null, { model, row_id: rowId, winner: asked.rev, conflicts: asked.conflicts });
  const mutationId = `${RELAY_MUTATION_ID_PREFIX}resolver:${parseRev(key).hash}`;
  const v = validateMutation({ mutation_id: mutationId, model, row_id: rowId, operation: "update", data: answer }, manifest, user);
  if (!v.ok) {
    console.error(`resolver: the origin's answer for ${model} ${rowId} is not a valid row: ${v.error.message}`);
    return false;
  }
  return runWrite<boolean, boolean>(deps, async () => {
    const row = getRow(sql, model, rowId);
    if (!sameState(row, asked)) return { skip: false };
    let plan;
    try {
      plan = await planRowResolution(sql, v.mutation);
    } catch (err) {
      if (!(err instanceof RelayError)) throw err;
      console.error(`resolver: the origin's answer for ${model} ${rowId} cannot be applied: ${err.message}`);
      return { skip: false };
    }
    const planned = [{
      mutation_id: mutationId, model, row_id: rowId, operation: "update" as const, node: plan[0]!, extra: plan.slice(1),
      result: { mutation_id: mutationId, status: "applied" as const, rev: plan[0]!.rev },
    }];
    const opts = { revsLimit: deps.revsLimit, nowIso: new Date().toISOString(), clientId: null };
    return { commit: (s: SqlStorage) => ({ changed: storeWrites(s, deps.link, planned, opts), value: true }) };
  });
}
