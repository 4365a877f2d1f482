/** A row's conflicts (DESIGN 2.1): the live leaves other than the winner. */
import { compareRevs } from "./compare-revs.js";
import type { LeafRef } from "./types.js";

/**
 * The revision ids of the live leaves other than `winnerRev`, best first (`compareRevs`
 * order), so the list is the same whatever order the leaves come in. Deleted leaves are
 * never conflicts. (`pouchdb-merge` returns the same set, ordered by generation only.)
 */
export function collectConflicts(leaves: readonly LeafRef[], winnerRev: string): string[] {
  const live: LeafRef[] = [];
  for (const leaf of leaves) {
    if (!leaf.deleted && leaf.rev !== winnerRev) live.push(leaf);
  }
  if (live.length > 1) live.sort(compareRevs);
  return live.map((leaf) => leaf.rev);
}
