/**
 * Conflict resolution (PROTOCOL 2.2): the resolved body becomes a child of the winner, and every
 * other live leaf gets a deleted child, so afterwards the row has exactly one live leaf and it
 * is the winner's new child (the only live leaf wins whatever its generation).
 */
import { collectConflicts } from "./collect-conflicts.js";
import { findLeaves } from "./find-leaves.js";
import { revisionId } from "./rev-id.js";
import type { RevNode, RowData } from "./types.js";
import { winningRev } from "./winning-rev.js";

/**
 * The revisions that resolve the row held in `nodes` to `data`: first the winner's child
 * carrying `data`, then one tombstone (data null) per conflict, best conflict first. Merge
 * them all in one transaction. Nothing is modified. A deleted winner (every leaf deleted)
 * gets a live child, i.e. the row is undeleted with `data`; an empty list gets a root.
 */
export async function planResolution(nodes: readonly RevNode[], data: RowData): Promise<RevNode[]> {
  const leaves = findLeaves(nodes);
  if (leaves.length === 0) {
    return [{ rev: await revisionId(false, null, data), parent: null, deleted: false, data }];
  }
  const winner = winningRev(leaves);
  const plan: RevNode[] = [{ rev: await revisionId(false, winner, data), parent: winner, deleted: false, data }];
  for (const loser of collectConflicts(leaves, winner)) {
    plan.push({ rev: await revisionId(true, loser, null), parent: loser, deleted: true, data: null });
  }
  return plan;
}
