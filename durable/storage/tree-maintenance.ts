/**
 * Upkeep of stored revision trees, off the hot path of a write:
 * - amortised `DJAZZKIT_REVS_LIMIT` stemming (CouchDB `revs_limit`): the `trees` table counts
 *   a row's revisions, and the whole tree is loaded and stemmed only when the count passes
 *   `stem_at`, which is then set a slack above the new count, so each write pays O(1) amortised;
 * - undoing a pending revision (when the origin rejects a write).
 * Both run inside the caller's write transaction.
 */
import { stem } from "../../revtree/index.js";
import { getRevision, loadTree, type StoredRev } from "./row-store.js";
import { revGen } from "./rev-gen.js";

/** How many writes may accumulate beyond the limit before the tree is stemmed again. */
function stemSlack(limit: number): number {
  return Math.max(16, Math.ceil(limit / 8));
}

/**
 * Count `added` new revisions of a row and stem its tree when it has grown past the limit.
 * Never removes a leaf, nor a revision a pending child may fall back to (undo needs the parent).
 * Returns the removed revision ids.
 */
export function noteRevisionsAdded(sql: SqlStorage, model: string, rowId: string, added: number, limit: number): string[] {
  const row = sql
    .exec<{ revs: number; stem_at: number }>(
      `INSERT INTO trees (model, row_id, revs, stem_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (model, row_id) DO UPDATE SET revs = revs + excluded.revs
       RETURNING revs, stem_at`,
      model, rowId, added, limit + stemSlack(limit),
    )
    .one();
  if (row.revs <= row.stem_at) return [];
  return stemRow(sql, model, rowId, limit);
}

/**
 * `noteRevisionsAdded` for every row of one write in a single statement (a push touches up to
 * DJAZZKIT_MAX_MUTATIONS_PER_PUSH rows; one upsert each was a tenth of a push's time). Rows
 * that passed their `stem_at` are stemmed as above.
 */
export function noteRevisionsAddedMany(
  sql: SqlStorage,
  rows: ReadonlyArray<{ model: string; row_id: string; added: number }>,
  limit: number,
): void {
  const counted = rows.filter((r) => r.added > 0);
  if (counted.length === 0) return;
  const due = sql
    .exec<{ model: string; row_id: string; due: number }>(
      `INSERT INTO trees (model, row_id, revs, stem_at)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), ? FROM json_each(?) WHERE true
       ON CONFLICT (model, row_id) DO UPDATE SET revs = revs + excluded.revs
       RETURNING model, row_id, revs > stem_at AS due`,
      limit + stemSlack(limit),
      JSON.stringify(counted.map((r) => [r.model, r.row_id, r.added])),
    )
    .toArray()
    .filter((r) => r.due === 1);
  for (const r of due) stemRow(sql, r.model, r.row_id, limit);
}

/** Stem one row's tree to `limit` and reset its count and next `stem_at`; returns the removed ids. */
function stemRow(sql: SqlStorage, model: string, rowId: string, limit: number): string[] {
  const tree = loadTree(sql, model, rowId);
  const { removed } = stem(tree, limit);
  const keep = pendingParents(tree);
  const dropped = removed.filter((rev) => !keep.has(rev));
  for (const rev of dropped) {
    sql.exec(`DELETE FROM revisions WHERE model = ? AND row_id = ? AND gen = ? AND rev = ?`, model, rowId, revGen(rev), rev);
  }
  const remaining = tree.length - dropped.length;
  sql.exec(
    `UPDATE trees SET revs = ?, stem_at = ? WHERE model = ? AND row_id = ?`,
    remaining, Math.max(remaining, limit) + stemSlack(limit), model, rowId,
  );
  return dropped;
}

function pendingParents(tree: readonly StoredRev[]): Set<string> {
  const out = new Set<string>();
  for (const node of tree) if (node.pending && node.parent !== null) out.add(node.parent);
  return out;
}

export type UndoOutcome = "undone" | "not_found" | "has_children" | "not_pending";

/**
 * Remove a pending revision that the origin rejected (PROTOCOL 3 step 3): its parent becomes a
 * leaf again (its body was kept while the child was pending). Only a leaf can be undone: a
 * revision with children is reported as `has_children` (undo the children first). The caller
 * recomputes the winner afterwards (`recomputeWinner`) and broadcasts it.
 */
export function undoRevision(sql: SqlStorage, model: string, rowId: string, rev: string): UndoOutcome {
  const node = getRevision(sql, model, rowId, rev);
  if (node === null) return "not_found";
  if (!node.pending) return "not_pending";
  if (!node.isLeaf) return "has_children";
  sql.exec(`DELETE FROM revisions WHERE model = ? AND row_id = ? AND gen = ? AND rev = ?`, model, rowId, revGen(rev), rev);
  sql.exec(`UPDATE trees SET revs = revs - 1 WHERE model = ? AND row_id = ?`, model, rowId);
  if (node.parent !== null) {
    const gen = revGen(node.parent);
    sql.exec(
      `UPDATE revisions SET is_leaf = 1 WHERE model = ? AND row_id = ? AND gen = ? AND rev = ?
         AND NOT EXISTS (SELECT 1 FROM revisions c WHERE c.model = ? AND c.row_id = ? AND c.gen = ? AND c.parent = ?)`,
      model, rowId, gen, node.parent, model, rowId, gen + 1, node.parent,
    );
  }
  return "undone";
}
