/**
 * What the origin holds for each row the relay wrote (table `origin_rows`, migration 2), and
 * the rule that keeps it equal to the relay's winner (issue 8 item 2, PROTOCOL 8):
 *
 *   after a batch settles, every row it touched that has no write left in the outbox must be
 *   held by the origin exactly as the relay's winner and conflict set; otherwise a winner
 *   correction is queued (winner-correction.ts).
 *
 * The record is the state of the last item the origin applied for the row (the `winner` and
 * `conflicts` it was sent, see origin/view.ts), or of an origin row the pull stored. Rows with
 * writes still queued are left alone: the next item carries a fresh view of the row, and the
 * check runs again when it settles, whether it was applied or rejected. A correction the
 * origin refuses is remembered in `refused`, so that state is not sent again and again.
 */
import type { ApplyMutation } from "../../schemas/origin.js";
import { getRow } from "../storage/row-store.js";
import type { WinnerRow } from "../storage/rows-record.js";

interface HeldRecord extends Record<string, SqlStorageValue> {
  rev: string;
  deleted: number;
  conflicts: string;
  refused: string | null;
}

export interface HeldState {
  rev: string;
  deleted: boolean;
  conflicts: string[];
}

/** One string per (winner, tombstone flag, conflict set). */
export function stateKey(s: HeldState): string {
  return JSON.stringify([s.rev, s.deleted, [...s.conflicts].sort()]);
}

function heldRecord(sql: SqlStorage, model: string, rowId: string): HeldRecord | null {
  return sql.exec<HeldRecord>(`SELECT rev, deleted, conflicts, refused FROM origin_rows WHERE model = ? AND row_id = ?`, model, rowId).toArray()[0] ?? null;
}

/** The origin applied an item carrying this state (or a pulled origin row is this state). */
export function noteHeld(sql: SqlStorage, model: string, rowId: string, s: HeldState): void {
  sql.exec(
    `INSERT INTO origin_rows (model, row_id, rev, deleted, conflicts, refused) VALUES (?, ?, ?, ?, ?, NULL)
     ON CONFLICT (model, row_id) DO UPDATE SET rev = excluded.rev, deleted = excluded.deleted, conflicts = excluded.conflicts, refused = NULL`,
    model, rowId, s.rev, s.deleted ? 1 : 0, JSON.stringify(s.conflicts),
  );
}

/**
 * The pull stored an origin row as this revision: the origin holds it (its conflict set is
 * untouched by the origin's own edit, so the last one known is kept).
 */
export function notePulled(sql: SqlStorage, model: string, rowId: string, rev: string, deleted: boolean): void {
  const before = heldRecord(sql, model, rowId);
  const conflicts = before === null ? (getRow(sql, model, rowId)?.conflicts ?? []) : (JSON.parse(before.conflicts) as string[]);
  noteHeld(sql, model, rowId, { rev, deleted, conflicts });
}

/** The state an applied `POST apply` item made the origin hold. */
export function heldBy(apply: ApplyMutation): HeldState {
  return { rev: apply.winner.rev, deleted: apply.winner.deleted, conflicts: apply.conflicts.map((c) => c.rev) };
}

/** The origin refused a correction to this state: do not queue it again for the same state. */
export function noteRefused(sql: SqlStorage, model: string, rowId: string, s: HeldState): void {
  sql.exec(`UPDATE origin_rows SET refused = ? WHERE model = ? AND row_id = ?`, stateKey(s), model, rowId);
}

export function hasPendingWrites(sql: SqlStorage, model: string, rowId: string): boolean {
  return sql.exec(`SELECT 1 FROM revisions INDEXED BY revisions_pending WHERE model = ? AND row_id = ? AND pending = 1 LIMIT 1`, model, rowId).toArray().length > 0;
}

function current(row: WinnerRow): HeldState {
  return { rev: row.rev, deleted: row.deleted, conflicts: row.conflicts };
}

/**
 * True when the row needs a winner correction: no write of it is left to send, the origin is
 * known to hold something, and that is not the relay's winner (nor a state it refused).
 * A row the origin never held (a create it rejected) needs none.
 */
export function needsCorrection(sql: SqlStorage, model: string, rowId: string): boolean {
  if (hasPendingWrites(sql, model, rowId)) return false;
  const held = heldRecord(sql, model, rowId);
  const row = getRow(sql, model, rowId);
  if (held === null || row === null) return false;
  const want = stateKey(current(row));
  if (held.refused === want) return false;
  return stateKey({ rev: held.rev, deleted: held.deleted === 1, conflicts: JSON.parse(held.conflicts) as string[] }) !== want;
}
