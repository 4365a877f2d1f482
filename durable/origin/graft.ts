/**
 * Where an origin revision goes in a tree (issue 14, PROTOCOL 6.1). Pure: no storage, so the
 * unit tests run it in Node; `origin/branch.ts` stores what it plans.
 *
 *   tree:      1-a ── 2-b            origin: 1-a ── 2-d ── 3-e   (Django edited twice from 1-a)
 *   graft 3-e: 1-a ── 2-b
 *                 └── 2-d ── 3-e     (2-d interior, no body; 3-e the leaf with Django's body)
 */
import type { OriginBranch } from "../../schemas/origin.js";
import { isRev, parseRev, type RevNode } from "../../revtree/index.js";

/**
 * The nodes that put an origin revision into a tree, parents first: [] when the tree holds it
 * already; null when its ancestry is malformed (bad ids, generations that do not count down by
 * one) or reaches no revision the tree holds (`has`).
 */
export function graftNodes(branch: OriginBranch, has: (rev: string) => boolean): RevNode[] | null {
  const revs = branch.revisions[0] === branch.rev ? branch.revisions : [branch.rev, ...branch.revisions];
  for (let i = 0; i < revs.length; i++) {
    if (!isRev(revs[i])) return null;
    if (i > 0 && parseRev(revs[i - 1]!).gen !== parseRev(revs[i]!).gen + 1) return null;
  }
  const known = revs.findIndex(has);
  if (known === 0) return [];
  if (known < 0) return null;
  const nodes: RevNode[] = [];
  for (let j = known - 1; j >= 0; j--) {
    const leaf = j === 0;
    nodes.push({ rev: revs[j]!, parent: revs[j + 1]!, deleted: leaf ? branch.deleted : false, data: leaf && !branch.deleted ? branch.data : null });
  }
  return nodes;
}

