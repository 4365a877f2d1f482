/**
 * The generation of a stored revision id, for the `revisions` key (model, row_id, gen, rev)
 * (storage/migrations.ts, migration 4): every lookup of one revision names its gen so SQLite
 * seeks straight to it, and a revision's children are found at gen + 1 without a parent index.
 * A malformed id (never stored: ids are checked before they reach storage) maps to 0, a gen no
 * stored revision has, so a lookup of it finds nothing instead of throwing.
 */
import { genOf } from "../../revtree/parse-rev.js";

export function revGen(rev: string): number {
  try {
    return genOf(rev);
  } catch {
    return 0;
  }
}
