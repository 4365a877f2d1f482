/**
 * The state the origin may be told to hold for a row (issue 8 item 2, PROTOCOL 8 "winner
 * invariant"): the winner and conflicts of the row's tree restricted to revisions the origin
 * has settled (pending = 0: applied there, or pulled from it) plus, for an outbox item, that
 * item's own revisions (its main revision and a resolution's tombstones) and their ancestors.
 *
 * Why: an item's `winner` and `conflicts` are written into the origin's row when the item is
 * applied. If they named another item's pending revision, the origin would store data it has
 * not validated yet, and that it may refuse a moment later (issue 8: M2 applied with M1b's
 * body as the winner, M1b rejected in the next batch). Restricting to settled + own keeps every
 * state the origin stores one it validated itself. The view can miss revisions confirmed in
 * the same batch after it was computed; `origin-held.ts` notices that and queues a correction.
 *
 * Cost: when no other write of the row is pending (the common case) the view is the stored
 * winner (`rows`, O(1)); otherwise one indexed pass over the row's revisions.
 */
import type { ApplyMutation } from "../../schemas/origin.js";
import { collectConflicts, winningRev } from "../../revtree/index.js";
import { getRow } from "../row-store.js";

export interface ViewLeaf {
  rev: string;
  parent: string | null;
  deleted: boolean;
  data: ApplyMutation["data"];
}

export interface OriginView {
  winner: ViewLeaf;
  /** Live losing leaves, in `collectConflicts` order, with their bodies. */
  conflicts: ViewLeaf[];
}

interface Rec extends Record<string, SqlStorageValue> {
  rev: string;
  parent: string | null;
  deleted: number;
  data: string | null;
  pending: number;
  mutation_id: string | null;
}

function othersPending(sql: SqlStorage, model: string, rowId: string, own: string | null): boolean {
  return sql
    .exec(`SELECT 1 FROM revisions WHERE model = ? AND row_id = ? AND pending = 1 AND (? IS NULL OR mutation_id IS NULL OR mutation_id <> ?) LIMIT 1`, model, rowId, own, own)
    .toArray().length > 0;
}

function leaf(r: Rec): ViewLeaf {
  return { rev: r.rev, parent: r.parent, deleted: r.deleted === 1, data: r.data === null ? null : (JSON.parse(r.data) as ViewLeaf["data"]) };
}

/** The row as the origin may hold it; `own` is the outbox item's mutation id (null: settled only). Null: nothing settled. */
export function originView(sql: SqlStorage, model: string, rowId: string, own: string | null): OriginView | null {
  if (!othersPending(sql, model, rowId, own)) {
    const row = getRow(sql, model, rowId);
    if (row === null) return null;
    const leaves = sql
      .exec<Rec>(`SELECT rev, parent, deleted, data, pending, mutation_id FROM revisions WHERE model = ? AND row_id = ? AND is_leaf = 1`, model, rowId)
      .toArray();
    if (leaves.length === 0) return null;
    return pick(leaves.map(leaf));
  }
  const all = sql
    .exec<Rec>(`SELECT rev, parent, deleted, data, pending, mutation_id FROM revisions WHERE model = ? AND row_id = ?`, model, rowId)
    .toArray();
  const byRev = new Map(all.map((r) => [r.rev, r]));
  const inView = (r: Rec) => r.pending === 0 || (own !== null && r.mutation_id === own);
  const covered = new Set<string>();
  for (const r of all) {
    if (!inView(r)) continue;
    // Every ancestor of a revision in the view is part of the state (the origin holding a
    // revision holds its history), so none of them is a leaf of the view.
    for (let p = r.parent; p !== null && !covered.has(p); p = byRev.get(p)?.parent ?? null) covered.add(p);
  }
  const leaves = all.filter((r) => inView(r) && !covered.has(r.rev)).map(leaf);
  return leaves.length === 0 ? null : pick(leaves);
}

function pick(leaves: ViewLeaf[]): OriginView {
  const rev = winningRev(leaves);
  const byRev = new Map(leaves.map((l) => [l.rev, l]));
  return { winner: byRev.get(rev)!, conflicts: collectConflicts(leaves, rev).map((r) => byRev.get(r)!) };
}

/** The `winner` and `conflicts` fields of a `POST apply` item for this view. */
export function applyState(view: OriginView): Pick<ApplyMutation, "winner" | "conflicts"> {
  const w = view.winner;
  return {
    winner: { rev: w.rev, data: w.deleted ? null : w.data, deleted: w.deleted },
    conflicts: view.conflicts.map((c) => ({ rev: c.rev, data: c.data })),
  };
}
