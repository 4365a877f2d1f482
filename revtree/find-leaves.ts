/** The leaves of a flat revision list: the revisions no other revision names as its parent. */
import type { RevNode } from "./types.js";

/** Up to this many distinct out-of-order parents are looked up by a scan instead of a Set. */
const SCAN_MAX = 8;

/**
 * The leaves of `nodes`, in list order. O(n). A stemmed list's dangling parents are ignored.
 * Revision ids are unique in a list (the grammar in `merge.ts`).
 *
 * One pass, without hashing every parent: a list built by appending (`mergeRevision`) mostly
 * holds a child right after its parent, and then the child's `parent` is the previous node's
 * rev, so "node i has a child" is answered by comparing it with node i + 1's parent. Only the
 * parents that are not the previous node (branches, roots above a stemmed parent, any other
 * order) are collected, consecutive repeats once (siblings listed together), and looked up:
 * by a short scan when few, in a Set otherwise. Each parent is either the previous node's rev
 * or in that collection, so the answer is the same as testing every rev against the set of
 * all parents.
 */
export function findLeaves<T extends RevNode>(nodes: readonly T[]): T[] {
  const n = nodes.length;
  const parentOfNext = new Uint8Array(n); // 1: node i + 1 names node i as its parent
  const others: string[] = [];
  let last: string | null = null;
  for (let i = 0; i < n; i++) {
    const parent = nodes[i]!.parent;
    if (parent === null || parent === last) continue;
    if (i > 0 && parent === nodes[i - 1]!.rev) {
      parentOfNext[i - 1] = 1;
      continue;
    }
    others.push(parent);
    last = parent;
  }
  const set = others.length > SCAN_MAX ? new Set(others) : null;
  const leaves: T[] = [];
  for (let i = 0; i < n; i++) {
    if (parentOfNext[i] === 1) continue;
    const node = nodes[i]!;
    if (set !== null ? set.has(node.rev) : others.includes(node.rev)) continue;
    leaves.push(node);
  }
  return leaves;
}
