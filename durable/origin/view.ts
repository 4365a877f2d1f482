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
 * the same batch after it was computed; `origin/held.ts` notices that and queues a correction.
 *
 * Cost: three indexed queries per row and batch (`pendingSnapshot`: pending revisions, their
 * children, the leaves), then bodies of the view's leaves only; never the whole tree, which
 * can hold DJAZZKIT_REVS_LIMIT revisions.
 */
import type { ApplyMutation } from "../../schemas/origin.js";
import { collectConflicts, winningRev } from "../../revtree/index.js";
import { revGen } from "../storage/rev-gen.js";

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

function leaf(r: Rec): ViewLeaf {
  return { rev: r.rev, parent: r.parent, deleted: r.deleted === 1, data: r.data === null ? null : (JSON.parse(r.data) as ViewLeaf["data"]) };
}

interface Link {
  rev: string;
  parent: string | null;
  pending: number;
  mutation_id: string | null;
}

/**
 * What the view needs of a row's unsettled part, read once and shared by every item of the
 * row in one batch (the tree does not change while a batch is read): its pending revisions,
 * the children of those, and the row's leaves. Three indexed queries, never the whole tree.
 */
export interface PendingSnapshot {
  pending: Map<string, Link>;
  childrenOf: Map<string, Link[]>;
  leaves: string[];
}

export function pendingSnapshot(sql: SqlStorage, model: string, rowId: string): PendingSnapshot {
  const pending = new Map(
    sql
      .exec<Link & Record<string, SqlStorageValue>>(`SELECT rev, parent, pending, mutation_id FROM revisions INDEXED BY revisions_pending WHERE model = ? AND row_id = ? AND pending = 1`, model, rowId)
      .toArray()
      .map((r) => [r.rev, r]),
  );
  const childrenOf = new Map<string, Link[]>();
  if (pending.size > 0) {
    const children = sql.exec<Link & Record<string, SqlStorageValue>>(
      `SELECT c.rev AS rev, c.parent AS parent, c.pending AS pending, c.mutation_id AS mutation_id FROM revisions c
       JOIN revisions p INDEXED BY revisions_pending ON p.model = c.model AND p.row_id = c.row_id AND c.gen = p.gen + 1 AND c.parent = p.rev
       WHERE p.model = ? AND p.row_id = ? AND p.pending = 1 AND c.model = ? AND c.row_id = ?`,
      model, rowId, model, rowId,
    );
    for (const c of children) childrenOf.set(c.parent!, [...(childrenOf.get(c.parent!) ?? []), c]);
  }
  const leaves = sql.exec<{ rev: string }>(`SELECT rev FROM revisions INDEXED BY revisions_leaves WHERE model = ? AND row_id = ? AND is_leaf = 1`, model, rowId).toArray().map((r) => r.rev);
  return { pending, childrenOf, leaves };
}

function revisionRec(sql: SqlStorage, model: string, rowId: string, rev: string): Rec | undefined {
  return sql.exec<Rec>(`SELECT rev, parent, deleted, data, pending, mutation_id FROM revisions WHERE model = ? AND row_id = ? AND gen = ? AND rev = ?`, model, rowId, revGen(rev), rev).toArray()[0];
}

/**
 * The row as the origin may hold it; `own` is the outbox item's mutation id (null: settled
 * only). Null: nothing settled. `snap` may be shared by the items of one row in one batch.
 */
export function originView(sql: SqlStorage, model: string, rowId: string, own: string | null, snap = pendingSnapshot(sql, model, rowId)): OriginView | null {
  const { pending, childrenOf } = snap;
  const inViewLink = (l: Link) => l.pending === 0 || (own !== null && l.mutation_id === own);
  const inView = (rev: string) => {
    const p = pending.get(rev);
    return p === undefined || inViewLink(p);
  };
  // Leaves of the view: the row's leaves that are in it, plus the in-view parents of
  // out-of-view pending revisions (unless another child keeps them interior), minus what is
  // an ancestor of an in-view revision. With nothing else pending these are the row's leaves.
  const candidates = new Set(snap.leaves.filter(inView));
  const covered = new Set<string>();
  for (const p of pending.values()) {
    if (inViewLink(p) || (childrenOf.get(p.rev) ?? []).some(inViewLink)) {
      // In the state: its history up to the first settled ancestor is too.
      let q = p.parent;
      while (q !== null && pending.has(q) && !covered.has(q)) {
        covered.add(q);
        q = pending.get(q)!.parent;
      }
      if (q !== null) covered.add(q);
    } else if (p.parent !== null && inView(p.parent)) {
      // The top of a run of out-of-view revisions: its in-view parent may be a leaf of the view.
      candidates.add(p.parent);
    }
  }
  const leaves: ViewLeaf[] = [];
  for (const rev of candidates) {
    if (covered.has(rev) || hasChildInView(sql, model, rowId, rev, own, snap)) continue;
    const r = revisionRec(sql, model, rowId, rev);
    if (r !== undefined) leaves.push(leaf(r));
  }
  return leaves.length === 0 ? null : pick(leaves);
}

function hasChildInView(sql: SqlStorage, model: string, rowId: string, rev: string, own: string | null, snap: PendingSnapshot): boolean {
  if (snap.pending.has(rev)) return (snap.childrenOf.get(rev) ?? []).some((c) => c.pending === 0 || (own !== null && c.mutation_id === own));
  if (snap.leaves.includes(rev)) return false;
  return sql
    .exec(`SELECT 1 FROM revisions WHERE model = ? AND row_id = ? AND gen = ? AND parent = ? AND (pending = 0 OR (? IS NOT NULL AND mutation_id = ?)) LIMIT 1`, model, rowId, revGen(rev) + 1, rev, own, own)
    .toArray().length > 0;
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
