/**
 * Corrective outbox entries: making the origin hold the relay's winner again after a batch
 * where a rejection changed the winner that an applied mutation had already written there.
 *
 * Each `POST apply` item carries the row's winner as of its commit. When one batch holds M1
 * (leaf L1, the winner) and a later M2 on another branch (payload winner L1), and the origin
 * rejects M1 but applies M2, the origin's row ends up holding L1's rejected body while the
 * relay undoes L1 and its winner becomes L2. `settleBatch` then queues a corrective entry for
 * the row: no author (no mutation_confirmed/rejected), id `relay:winner:<row_id>:<winner rev>:<row seq>`
 * (deterministic, so the origin's dedupe by mutation_id makes a resend harmless; the seq lets a
 * later correction back to the same revision through), the current
 * winner as both the mutation and the winner. It is rebuilt from the row when read, so it
 * never carries a revision undone in the meantime. Its body was validated when its own
 * mutation was applied; if the origin rejects it anyway nothing is undone (the revision
 * belongs to an applied mutation): the rejection is logged and the entry dropped.
 */
import type { ApplyMutation } from "../../schemas/origin.js";
import { RELAY_MUTATION_ID_PREFIX } from "../../schemas/protocol.js";
import { getRevision, getRow, type WinnerRow } from "../row-store.js";

/** In the relay's own id namespace, which no client may send. */
export const CORRECTIVE_PREFIX = `${RELAY_MUTATION_ID_PREFIX}winner:`;

/** The live losing leaves of a row with their bodies, as `POST apply` wants them. */
export function conflictBodies(sql: SqlStorage, winner: WinnerRow): { rev: string; data: ApplyMutation["data"] }[] {
  return winner.conflicts.map((rev) => ({ rev, data: getRevision(sql, winner.model, winner.row_id, rev)?.data ?? null }));
}

export function winnerState(winner: WinnerRow): ApplyMutation["winner"] {
  return { rev: winner.rev, data: winner.deleted ? null : winner.data, deleted: winner.deleted };
}

/** True when the row's current winner or conflict set is not what an applied item told the origin. */
export function originMissesWinner(sql: SqlStorage, sent: ApplyMutation): boolean {
  const now = getRow(sql, sent.model, sent.row_id);
  if (now === null) return false;
  if (now.rev !== sent.winner.rev || now.deleted !== sent.winner.deleted) return true;
  return JSON.stringify(now.conflicts) !== JSON.stringify(sent.conflicts.map((c) => c.rev));
}

/** The `POST apply` item that makes the origin hold the row's current winner (null: no row). */
export function correctiveApply(sql: SqlStorage, model: string, rowId: string): ApplyMutation | null {
  const now = getRow(sql, model, rowId);
  if (now === null) return null;
  return {
    mutation_id: `${CORRECTIVE_PREFIX}${rowId}:${now.rev}:${now.seq}`,
    model,
    row_id: rowId,
    operation: now.deleted ? "delete" : "update",
    rev: now.rev,
    parent_rev: getRevision(sql, model, rowId, now.rev)?.parent ?? null,
    data: now.deleted ? null : now.data,
    deleted: now.deleted,
    winner: winnerState(now),
    conflicts: conflictBodies(sql, now),
  };
}
