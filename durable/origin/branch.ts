/**
 * Django's own revisions in the relay's trees (issue 14: both sides write).
 *
 * Every Django-side edit of a synced row is a revision the origin made, a child of the revision
 * it held; the origin sends it with its nearest ancestors, newest first (`GET changes` rows'
 * `revisions`, an apply result's `concurrent`). `graftNodes` places it where that ancestry
 * says (`graft.ts`, pure): under the nearest ancestor the tree holds, with the unknown ancestors in between as
 * body-less interior revisions. When the origin edited from an older revision than the relay's
 * winner, that makes a branch: a revision_tree row then has both, the winner by the usual rule
 * and the other a conflict, exactly as Django keeps them (its `apply` runs the same rule).
 *
 * `ancestryOf` and `otherLeavesOf` are the other direction: the winner's nearest ancestors and
 * the tree's other leaves (with their parents) the relay sends with each `apply` mutation, so
 * the origin can tell whether its current revision, or a Django branch it kept as a conflict,
 * is one the relay knows.
 */
import { MAX_ANCESTRY, type OriginBranch } from "../../schemas/origin.js";
import type { RevNode } from "../../revtree/index.js";
import { graftNodes } from "./graft.js";
import { confirmRevision, getLeaves, getRevision, insertRevision, recomputeWinner } from "../storage/row-store.js";
import type { WinnerRow } from "../storage/rows-record.js";
import { noteRevisionsAdded } from "../storage/tree-maintenance.js";

/** Ancestors sent per apply mutation (the origin keeps as many per row). */
export const ANCESTRY_SENT = 20;

/** Store planned origin revisions as confirmed (inside the write transaction). */
export function storeOriginNodes(sql: SqlStorage, model: string, rowId: string, nodes: readonly RevNode[], revsLimit: number): number {
  let added = 0;
  for (const node of nodes) {
    if (!insertRevision(sql, model, rowId, node, { pending: false, mutationId: null })) continue;
    confirmRevision(sql, model, rowId, node.rev);
    added++;
  }
  if (added > 0) noteRevisionsAdded(sql, model, rowId, added, revsLimit);
  return added;
}

/**
 * An apply answer's `concurrent` branch: graft it (inside the write transaction) and return the
 * row when its winner or conflicts changed. A branch whose ancestry the tree cannot place is
 * logged and left out: the relay's write was concurrent with it, so they share an ancestor
 * unless the tree was stemmed below it.
 */
export function mergeOriginBranch(
  sql: SqlStorage,
  model: string,
  rowId: string,
  branch: OriginBranch,
  opts: { revsLimit: number; nowIso: string },
): WinnerRow | null {
  const nodes = graftNodes(branch, (rev) => getRevision(sql, model, rowId, rev) !== null);
  if (nodes === null) {
    console.error(`origin branch ${branch.rev} of ${model} ${rowId} has no ancestor here; left out`);
    return null;
  }
  if (storeOriginNodes(sql, model, rowId, nodes, opts.revsLimit) === 0) return null;
  return recomputeWinner(sql, model, rowId, opts.nowIso);
}

/** The revision's nearest ancestors the tree holds, parent first, at most ANCESTRY_SENT. */
export function ancestryOf(sql: SqlStorage, model: string, rowId: string, rev: string): string[] {
  const out: string[] = [];
  let parent = getRevision(sql, model, rowId, rev)?.parent ?? null;
  while (parent !== null && out.length < ANCESTRY_SENT) {
    out.push(parent);
    parent = getRevision(sql, model, rowId, parent)?.parent ?? null;
  }
  return out;
}

/** Every leaf of the row other than `winnerRev`, with its parent (bounded by MAX_ANCESTRY / 2 leaves). */
export function otherLeavesOf(sql: SqlStorage, model: string, rowId: string, winnerRev: string): string[] {
  const out: string[] = [];
  for (const leaf of getLeaves(sql, model, rowId)) {
    if (leaf.rev === winnerRev) continue;
    out.push(leaf.rev);
    if (leaf.parent !== null) out.push(leaf.parent);
    if (out.length >= MAX_ANCESTRY - 1) break;
  }
  return out;
}

export { graftNodes };
