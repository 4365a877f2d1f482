/**
 * CouchDB's order of leaves (PROTOCOL 2.1), the same as `pouchdb-merge` `winningRev`:
 * a live leaf beats a deleted one; then the higher generation; then the greater hash.
 */
import { genOf } from "./parse-rev.js";
import type { LeafRef } from "./types.js";

/**
 * A sort comparator that puts the *better* revision first: negative when `a` beats `b`,
 * positive when `b` beats `a`, 0 only for the same revision id and deleted flag.
 * `leaves.sort(compareRevs)[0]` is the winner. Throws a TypeError on a malformed rev.
 */
export function compareRevs(a: LeafRef, b: LeafRef): number {
  if (a.deleted !== b.deleted) return a.deleted ? 1 : -1;
  const ga = genOf(a.rev);
  const gb = genOf(b.rev);
  if (ga !== gb) return gb - ga;
  // Equal generations print identically (no leading zeros), so comparing the whole ids
  // compares the hashes without slicing them out.
  return a.rev === b.rev ? 0 : a.rev > b.rev ? -1 : 1;
}
