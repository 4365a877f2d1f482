/**
 * The stored revision trees and their winners (SQLite tables `revisions`, `rows`; schema in
 * `storage/migrations.ts`). Write functions must run inside the caller's transaction
 * (`ctx.storage.transactionSync`), so one push or resolution is all-or-nothing.
 *
 * Cost: a write touches the new revision, its parent and the row's leaves (indexed), never
 * the whole tree; the tree is loaded only by the amortised stemming of `storage/tree-maintenance.ts`.
 */
import { collectConflicts, winningRev, parseRev, type RevNode } from "../../revtree/index.js";
import type { RowData } from "../../schemas/protocol.js";
import { nextSeq } from "./meta.js";
import { revGen } from "./rev-gen.js";
import { decodeRow, ROW_COLUMNS, type RowRecord, type WinnerRow } from "./rows-record.js";

/** A revision as stored. */
export interface StoredRev extends RevNode {
  pending: boolean;
  isLeaf: boolean;
}

interface RevRecord extends Record<string, SqlStorageValue> {
  rev: string;
  parent: string | null;
  deleted: number;
  is_leaf: number;
  data: string | null;
  pending: number;
}

const REV_COLUMNS = `rev, parent, deleted, is_leaf, data, pending`;

function toStoredRev(r: RevRecord): StoredRev {
  return {
    rev: r.rev,
    parent: r.parent,
    deleted: r.deleted === 1,
    data: r.data === null ? null : (JSON.parse(r.data) as RowData),
    pending: r.pending === 1,
    isLeaf: r.is_leaf === 1,
  };
}

/** The one key of a row in in-memory maps: model and row id (NUL cannot occur in either). */
export function rowKey(model: string, rowId: string): string {
  return `${model}\u0000${rowId}`;
}

export function getRevision(sql: SqlStorage, model: string, rowId: string, rev: string): StoredRev | null {
  const rows = sql
    .exec<RevRecord>(`SELECT ${REV_COLUMNS} FROM revisions WHERE model = ? AND row_id = ? AND gen = ? AND rev = ?`, model, rowId, revGen(rev), rev)
    .toArray();
  return rows[0] ? toStoredRev(rows[0]) : null;
}

export function getLeaves(sql: SqlStorage, model: string, rowId: string): StoredRev[] {
  return sql
    .exec<RevRecord>(`SELECT ${REV_COLUMNS} FROM revisions INDEXED BY revisions_leaves WHERE model = ? AND row_id = ? AND is_leaf = 1`, model, rowId)
    .toArray()
    .map(toStoredRev);
}

/** Every stored revision of a row (stemming and tests only: O(tree)). */
export function loadTree(sql: SqlStorage, model: string, rowId: string): StoredRev[] {
  return sql
    .exec<RevRecord>(`SELECT ${REV_COLUMNS} FROM revisions WHERE model = ? AND row_id = ?`, model, rowId)
    .toArray()
    .map(toStoredRev);
}

export function getRow(sql: SqlStorage, model: string, rowId: string): WinnerRow | null {
  const rows = sql.exec<RowRecord>(`SELECT ${ROW_COLUMNS} FROM rows WHERE model = ? AND row_id = ?`, model, rowId).toArray();
  return rows[0] ? decodeRow(rows[0]) : null;
}

/**
 * Store a new revision (inside a transaction). Its parent, if present, stops being a leaf.
 * Returns false, writing nothing, when the revision is already stored (ids are
 * content-addressed, so it is the same edit). `pending` marks a write the origin has not
 * confirmed yet: its parent's body is kept until then so the write can be undone.
 */
export function insertRevision(
  sql: SqlStorage,
  model: string,
  rowId: string,
  node: RevNode,
  opts: { pending: boolean; mutationId: string | null },
): boolean {
  // One statement (the write path's hottest; bench/BENCH.md): inserted unless already stored,
  // and a revision that arrives after its children (a stemmed ancestor coming back) is no leaf
  // (its children are at gen + 1 of the row: a seek in the key, no parent index).
  const gen = parseRev(node.rev).gen;
  const inserted =
    sql.exec(
      `INSERT INTO revisions (model, row_id, rev, gen, parent, deleted, is_leaf, data, pending, mutation_id)
       VALUES (?, ?, ?, ?, ?, ?, NOT EXISTS (SELECT 1 FROM revisions WHERE model = ? AND row_id = ? AND gen = ? AND parent = ?), ?, ?, ?)
       ON CONFLICT DO NOTHING
       RETURNING 1 AS inserted`,
      model, rowId, node.rev, gen, node.parent, node.deleted ? 1 : 0,
      model, rowId, gen + 1, node.rev,
      node.data === null ? null : JSON.stringify(node.data), opts.pending ? 1 : 0, opts.mutationId,
    ).toArray().length > 0;
  if (!inserted) return false;
  if (node.parent !== null) {
    sql.exec(`UPDATE revisions SET is_leaf = 0 WHERE model = ? AND row_id = ? AND gen = ? AND rev = ?`, model, rowId, revGen(node.parent), node.parent);
  }
  return true;
}

/**
 * Mark a revision confirmed and drop the bodies nothing needs any more: its parent's body,
 * once the parent is interior and has no pending child (CouchDB drops non-leaf bodies on
 * compaction; we do it as soon as no undo can need them). Standalone, every write is
 * confirmed in the transaction that applies it.
 */
export function confirmRevision(sql: SqlStorage, model: string, rowId: string, rev: string, parent?: string | null): void {
  sql.exec(`UPDATE revisions SET pending = 0 WHERE model = ? AND row_id = ? AND gen = ? AND rev = ?`, model, rowId, revGen(rev), rev);
  // The caller may know the parent already (it just wrote the revision): no read needed.
  const parentRev = parent !== undefined ? parent : getRevision(sql, model, rowId, rev)?.parent;
  if (parentRev != null) dropSettledBody(sql, model, rowId, parentRev);
}

/**
 * Drop the body of `rev` once nothing can need it: it is interior and no pending child may
 * fall back to it. The second half of `confirmRevision`, for writes stored confirmed already.
 */
export function dropSettledBody(sql: SqlStorage, model: string, rowId: string, rev: string): void {
  const gen = revGen(rev);
  sql.exec(
    `UPDATE revisions SET data = NULL
     WHERE model = ? AND row_id = ? AND gen = ? AND rev = ? AND is_leaf = 0 AND data IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM revisions c WHERE c.model = ? AND c.row_id = ? AND c.gen = ? AND c.parent = ? AND c.pending = 1)`,
    model, rowId, gen, rev, model, rowId, gen + 1, rev,
  );
}

/**
 * What a row's leaves make of its winner (pure, no storage): null when the winner, its tombstone
 * flag and the conflict set are unchanged (or a row never stored has no leaves); otherwise the
 * row to store with the next seq from `takeSeq`, and whether it is a new winner (`upsert`) or
 * the tombstone of the last one (`tombstone`: every revision was removed, an undone create; the
 * row stays in the changes log so clients that saw it drop it on catch-up too).
 */
export function decideWinner(
  model: string,
  rowId: string,
  leaves: readonly RevNode[],
  before: WinnerRow | null,
  nowIso: string,
  takeSeq: () => number,
): { row: WinnerRow; write: "upsert" | "tombstone" } | null {
  if (leaves.length === 0) {
    if (before === null || (before.deleted && before.conflicts.length === 0)) return null;
    return { row: { ...before, deleted: true, data: null, conflicts: [], updated_at: nowIso, seq: takeSeq() }, write: "tombstone" };
  }
  const rev = winningRev(leaves);
  const winner = leaves.find((l) => l.rev === rev)!;
  const conflicts = collectConflicts(leaves, rev);
  if (before && before.rev === rev && before.deleted === winner.deleted && sameRevs(before.conflicts, conflicts)) return null;
  const data = winner.deleted ? null : winner.data;
  const row = { model, row_id: rowId, rev, gen: parseRev(rev).gen, deleted: winner.deleted, data, conflicts, updated_at: nowIso, seq: takeSeq() };
  return { row, write: "upsert" };
}

function sameRevs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((r, i) => r === b[i]);
}

/** Store a decided tombstone (`decideWinner`'s rare case; new winners are stored by the caller). */
export function writeTombstone(sql: SqlStorage, row: WinnerRow): void {
  sql.exec(
    `UPDATE rows SET deleted = 1, data = NULL, conflicts = '[]', updated_at = ?, seq = ? WHERE model = ? AND row_id = ?`,
    row.updated_at, row.seq, row.model, row.row_id,
  );
}

/**
 * Recompute a row's winner and conflicts from its leaves (inside the write transaction).
 * When the winner, its tombstone flag or the conflict set changed, the row takes the next
 * seq (it moves to the head of the changes log) and is returned; otherwise null. `takeSeq`
 * hands out that seq (default: `nextSeq`, one statement). A push stores its rows' winners with
 * `storage/batch-store.ts` instead (a few statements for all of them).
 */
export function recomputeWinner(
  sql: SqlStorage,
  model: string,
  rowId: string,
  nowIso: string,
  takeSeq: () => number = () => nextSeq(sql),
): WinnerRow | null {
  const decided = decideWinner(model, rowId, getLeaves(sql, model, rowId), getRow(sql, model, rowId), nowIso, takeSeq);
  if (decided === null) return null;
  const { row } = decided;
  if (decided.write === "tombstone") {
    writeTombstone(sql, row);
    return row;
  }
  sql.exec(
    `INSERT INTO rows (model, row_id, rev, gen, deleted, data, conflicts, updated_at, seq)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (model, row_id) DO UPDATE SET rev = excluded.rev, gen = excluded.gen, deleted = excluded.deleted,
       data = excluded.data, conflicts = excluded.conflicts, updated_at = excluded.updated_at, seq = excluded.seq`,
    model, rowId, row.rev, row.gen, row.deleted ? 1 : 0, row.data === null ? null : JSON.stringify(row.data),
    JSON.stringify(row.conflicts), nowIso, row.seq,
  );
  return row;
}
