/** The winner among a row's leaves (PROTOCOL 2.1), computed in one pass without sorting. */
import { genOf } from "./parse-rev.js";
import type { LeafRef } from "./types.js";

/**
 * The winning revision id among `leaves` (pass the leaves: `findLeaves(nodes)`).
 * Agrees with `leaves.sort(compareRevs)[0].rev`. Throws a RangeError on an empty list, since a
 * row always has at least one leaf, and a TypeError on a malformed rev.
 */
export function winningRev(leaves: readonly LeafRef[]): string {
  let best: LeafRef | undefined;
  let bestGen = 0;
  for (const leaf of leaves) {
    const gen = genOf(leaf.rev);
    if (
      best === undefined ||
      (best.deleted !== leaf.deleted
        ? best.deleted
        : bestGen !== gen
          ? gen > bestGen
          : leaf.rev > best.rev)
    ) {
      best = leaf;
      bestGen = gen;
    }
  }
  if (best === undefined) throw new RangeError("winningRev: no leaves");
  return best.rev;
}
