/**
 * Corrective outbox entries: making the origin hold the relay's winner again when the last
 * item it applied for a row told it another state (origin/held.ts decides when).
 *
 * How that happens: each `POST apply` item carries the row's state as the origin may hold it
 * (origin/view.ts: settled revisions plus the item's own). When one batch applies two writes
 * of a row, the second item's view could not include the first one's revision (it was not
 * settled when the batch was read), so the origin ends on the second item's view while the
 * relay's winner may be the first write. Rejections never need a correction of their own: no
 * item ever names another item's unsettled revision, so a rejected one was never sent as state.
 *
 * A correction has no author (no mutation_confirmed/rejected), id `relay:winner:<row_id>:<rev>:<row
 * seq>` (deterministic, so the origin's dedupe by mutation_id makes a resend harmless; the seq
 * lets a later correction back to the same revision through), and the row's settled view as
 * both the mutation and the winner. It is rebuilt from the row when read, so it never carries
 * a revision written or undone in the meantime, and never a write the origin has not settled.
 * If the origin refuses it nothing is undone (its revisions belong to applied mutations): the
 * refusal is logged and remembered so the same state is not sent again.
 */
import type { ApplyMutation } from "../../schemas/origin.js";
import { RELAY_MUTATION_ID_PREFIX } from "../../schemas/protocol.js";
import { getRow } from "../storage/row-store.js";
import { applyState, originView } from "./view.js";

/** In the relay's own id namespace, which no client may send. */
export const CORRECTIVE_PREFIX = `${RELAY_MUTATION_ID_PREFIX}winner:`;

/** The `POST apply` item that makes the origin hold the row's settled state (null: nothing settled). */
export function correctiveApply(sql: SqlStorage, model: string, rowId: string): ApplyMutation | null {
  const view = originView(sql, model, rowId, null);
  const row = getRow(sql, model, rowId);
  if (view === null || row === null) return null;
  const w = view.winner;
  return {
    mutation_id: `${CORRECTIVE_PREFIX}${rowId}:${w.rev}:${row.seq}`,
    model,
    row_id: rowId,
    operation: w.deleted ? "delete" : "update",
    rev: w.rev,
    parent_rev: w.parent,
    data: w.deleted ? null : w.data,
    deleted: w.deleted,
    ...applyState(view),
  };
}
