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
 * longer id, and ids of one length compare as text exactly as (gen, hash) does. A few ids are
 * sorted in place by insertion; more by the engine's own string sort (no callback) when they
 * all have one length, which is every row whose leaves' generations have the same number of
 * digits, and by length then text otherwise. No parsing or allocation per leaf beyond the
 * result.
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
      if (length !== -1) mixed = true;
      length = rev.length;
    }
    live.push(rev);
  }
  if (live.length <= INSERTION_MAX) insertionSortDescending(live);
  else {
    if (mixed) live.sort(byLengthThenText);
    else live.sort();
    live.reverse();
  }
  return live;
}

/** Up to this many conflicts (most rows have none or a few) are sorted in place by insertion. */
const INSERTION_MAX = 16;

/** Descending (gen, hash) for well-formed ids: longer first, then by UTF-16 code units. */
function insertionSortDescending(revs: string[]): void {
  for (let i = 1; i < revs.length; i++) {
    const rev = revs[i]!;
    let j = i - 1;
    for (; j >= 0; j--) {
      const other = revs[j]!;
      if (other.length > rev.length || (other.length === rev.length && other > rev)) break;
      revs[j + 1] = other;
    }
    revs[j + 1] = rev;
  }
}

/** Ascending (gen, hash) for well-formed ids: shorter first, then by UTF-16 code units. */
function byLengthThenText(a: string, b: string): number {
  return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
}
