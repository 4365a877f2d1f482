/** The leaves of a flat revision list: the revisions no other revision names as its parent. */
import type { RevNode } from "./types.js";

/** Up to this many distinct out-of-order parents are looked up by a scan instead of a Set. */
const SCAN_MAX = 8;
/** Neighbour tests stop after this many misses when they miss for most nodes so far. */
const GIVE_UP_AFTER = 32;

/**
 * The leaves of `nodes`, in list order. O(n). A stemmed list's dangling parents are ignored.
 * Revision ids are unique in a list (the grammar in `merge.ts`).
 *
 * One pass, without hashing every parent: a list built by appending (`mergeRevision`) mostly
 * holds a child right after its parent, so the child's `parent` is the previous node's rev
 * (or the next node's, in a list read newest first), and "node i has a child" is settled by
 * comparing neighbours. Only the other parents (branches, roots above a stemmed parent, any
 * other order) are collected, consecutive repeats once (siblings listed together), and looked
 * up: by a short scan when few, in a Set otherwise. Every parent is a neighbour's rev or in
 * that collection, so the answer is the same as testing every rev against the set of all
 * parents. In a list with no such order (most parents not a neighbour), the neighbour tests
 * stop early and every remaining parent goes to the Set, as a plain parent-set pass would.
 */
export function findLeaves<T extends RevNode>(nodes: readonly T[]): T[] {
  const n = nodes.length;
  const hasNeighbourChild = new Uint8Array(n); // 1: node i - 1 or i + 1 names node i as its parent
  const few: string[] = []; // the other parents while there are at most SCAN_MAX of them
  let many: Set<string> | null = null; // then all of them
  let last: string | null = null;
  let misses = 0; // parents that were not a neighbour's rev
  let neighbours = true; // false once most were not (a list in no useful order): skip the tests
  for (let i = 0; i < n; i++) {
    const parent = nodes[i]!.parent;
    if (parent === null || parent === last) continue;
    if (neighbours) {
      if (i > 0 && parent === nodes[i - 1]!.rev) {
        hasNeighbourChild[i - 1] = 1;
        continue;
      }
      if (i + 1 < n && parent === nodes[i + 1]!.rev) {
        hasNeighbourChild[i + 1] = 1;
        continue;
      }
      if (++misses > GIVE_UP_AFTER && misses * 2 > i) neighbours = false;
    }
    last = parent;
    if (many !== null) many.add(parent);
    else if (few.length < SCAN_MAX) few.push(parent);
    else {
      many = new Set(few);
      many.add(parent);
    }
  }
  const leaves: T[] = [];
  for (let i = 0; i < n; i++) {
    if (hasNeighbourChild[i] === 1) continue;
    const node = nodes[i]!;
    if (many !== null ? many.has(node.rev) : few.length > 0 && few.includes(node.rev)) continue;
    leaves.push(node);
  }
  return leaves;
}
