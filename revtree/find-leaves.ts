/** The leaves of a flat revision list: the revisions no other revision names as its parent. */
import type { RevNode } from "./types.js";

/** The leaves of `nodes`, in list order. O(n). A stemmed list's dangling parents are ignored. */
export function findLeaves<T extends RevNode>(nodes: readonly T[]): T[] {
  const parents = new Set<string>();
  for (const node of nodes) {
    if (node.parent !== null) parents.add(node.parent);
  }
  const leaves: T[] = [];
  for (const node of nodes) {
    if (!parents.has(node.rev)) leaves.push(node);
  }
  return leaves;
}
