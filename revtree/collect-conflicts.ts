/** A row's conflicts (PROTOCOL 2.1): the live leaves other than the winner. */
import { genOf } from "./parse-rev.js";
import type { LeafRef } from "./types.js";

/**
 * The revision ids of the live leaves other than `winnerRev`, best first (`compareRevs`
 * order), so the list is the same whatever order the leaves come in. Deleted leaves are
 * never conflicts. (`pouchdb-merge` returns the same set, ordered by generation only.)
 * Throws a TypeError on a malformed rev, like `compareRevs`.
 *
 * All conflicts are live, so `compareRevs` reduces to the higher generation, then the greater
 * id. A well-formed id is "<gen>-<32 hex>" with no leading zeros, so a higher generation is a
 * longer id, and ids of one length compare as text exactly as (gen, hash) does. The ids are
 * sorted as strings (the engine's own comparison, no callback) when they all have one length,
 * which is every row whose leaves' generations have the same number of digits; by length and
 * then text otherwise. No parsing or allocation per leaf beyond the result.
 */
export function collectConflicts(leaves: readonly LeafRef[], winnerRev: string): string[] {
  const live: string[] = [];
  let length = -1;
  let mixed = false;
  for (const leaf of leaves) {
    if (leaf.deleted || leaf.rev === winnerRev) continue;
    const rev = leaf.rev;
    genOf(rev); // checks the shape the order relies on
    if (rev.length !== length) {
      mixed = length !== -1;
      length = rev.length;
    }
    live.push(rev);
  }
  if (live.length > 1) {
    if (mixed) live.sort(byLengthThenText);
    else live.sort();
    live.reverse();
  }
  return live;
}

/** Ascending (gen, hash) for well-formed ids: shorter first, then by UTF-16 code units. */
function byLengthThenText(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
