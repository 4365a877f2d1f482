/**
 * Stemming (CouchDB's `revs_limit`, PROTOCOL 2.1): keep at most `limit` revisions on the path
 * from each leaf towards its root, counting the leaf. A revision survives when some leaf is
 * fewer than `limit` steps below it, which is what `pouchdb-merge` `stem` keeps.
 *
 * Choice: a kept node whose parent is removed keeps its `parent` as a dangling reference
 * (it becomes a root because its parent is no longer in the list). So gen = parent gen + 1
 * stays checkable, and if the removed ancestor is replicated back, `mergeRevision` sees its
 * children and reports `internal_node` instead of opening a branch.
 */
import type { RevNode } from "./types.js";

export interface StemResult<T extends RevNode = RevNode> {
  /** The kept nodes, in their input order; the input list itself when nothing is removed. */
  nodes: T[];
  /** The ids of the removed revisions, in input order. */
  removed: string[];
}

/**
 * Removes the revisions more than `limit - 1` steps above every leaf below them. Never removes
 * a leaf: a `limit` below 1 (or NaN) acts as 1; `Infinity` keeps everything. O(n): a
 * breadth-first walk up from all leaves at once, so each node is first reached at its
 * shortest distance to a leaf, and the walk stops at that depth.
 */
export function stem<T extends RevNode>(nodes: readonly T[], limit: number): StemResult<T> {
  const keepDepth = limit >= 1 ? Math.floor(limit) : 1;
  const byRev = new Map<string, T>();
  const parents = new Set<string>();
  for (const node of nodes) {
    byRev.set(node.rev, node);
    if (node.parent !== null) parents.add(node.parent);
  }
  const kept = new Set<string>();
  let frontier: T[] = [];
  for (const node of nodes) {
    if (!parents.has(node.rev)) {
      kept.add(node.rev);
      frontier.push(node);
    }
  }
  for (let depth = 1; depth < keepDepth && frontier.length > 0; depth++) {
    const next: T[] = [];
    for (const node of frontier) {
      const parent = node.parent === null ? undefined : byRev.get(node.parent);
      if (parent !== undefined && !kept.has(parent.rev)) {
        kept.add(parent.rev);
        next.push(parent);
      }
    }
    frontier = next;
  }
  if (kept.size === byRev.size) return { nodes: nodes as T[], removed: [] };
  const out: T[] = [];
  const removed: string[] = [];
  for (const node of nodes) {
    if (kept.has(node.rev)) out.push(node);
    else removed.push(node.rev);
  }
  return { nodes: out, removed };
}
