/** A row's conflicts (PROTOCOL 2.1): the live leaves other than the winner. */
import { genOf } from "./parse-rev.js";
import type { LeafRef } from "./types.js";

/**
 * The revision ids of the live leaves other than `winnerRev`, best first (`compareRevs`
 * order), so the list is the same whatever order the leaves come in. Deleted leaves are
 * never conflicts. (`pouchdb-merge` returns the same set, ordered by generation only.)
 * Each id is parsed once, not once per comparison (a row can hold thousands of leaves).
 */
export function collectConflicts(leaves: readonly LeafRef[], winnerRev: string): string[] {
  const live: { rev: string; gen: number }[] = [];
  for (const leaf of leaves) {
    if (!leaf.deleted && leaf.rev !== winnerRev) live.push({ rev: leaf.rev, gen: genOf(leaf.rev) });
  }
  // All live: compareRevs reduces to higher gen first, then greater id.
  if (live.length > 1) live.sort((a, b) => (a.gen !== b.gen ? b.gen - a.gen : a.rev > b.rev ? -1 : a.rev < b.rev ? 1 : 0));
  return live.map((leaf) => leaf.rev);
}
