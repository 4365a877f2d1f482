/**
 * Merging one revision into a row's revision list.
 *
 * Data format (the whole library works on this; `types.ts` has the TypeScript):
 *
 *   nodes    ::= RevNode*                       -- a flat list, any order, revs unique
 *   RevNode  ::= { rev: Rev, parent: Rev | null, deleted: boolean, data: RowData | null }
 *   Rev      ::= gen "-" hash                   -- gen ::= [1-9][0-9]{0,9}, hash ::= [0-9a-f]{32}
 *   gen(node) = gen(parent) + 1, or any gen >= 1 for a root
 *   root     ::= a node whose parent is null or not in the list (stemmed: a dangling reference)
 *   leaf     ::= a node that no node of the list names as its parent
 *   data     = null when deleted, and may be null for an internal node (body dropped)
 *
 * It is CouchDB's revision tree (`pouchdb-merge` keeps it nested as
 * `[{pos, ids: [hash, opts, children]}]`) flattened into rows, which is how the Durable
 * Object stores it in SQLite.
 */
import type { RevNode } from "./types.js";

/**
 * What adding a revision did:
 * - `new_leaf`: it extends an existing leaf (or is the first revision of an empty list);
 *   no branch was opened.
 * - `new_branch`: it opens a branch: its parent already has children, or it is a new root
 *   (a create of a row that exists, or a parent the list does not hold).
 * - `internal_node`: it arrived after its children (they name it as their parent), e.g. a
 *   stemmed ancestor restored by replication; the leaves do not change.
 * - `duplicate`: a revision with this id is already present; nothing changes.
 */
export type MergeOutcome = "new_leaf" | "new_branch" | "internal_node" | "duplicate";

export interface MergeResult<T extends RevNode = RevNode> {
  /** The list with the node appended; the input list itself when `duplicate`. */
  nodes: T[];
  outcome: MergeOutcome;
}

/**
 * Adds `node` to `nodes` without modifying either, and says what that did. Never throws:
 * the node's shape (a well-formed rev whose gen fits its parent) is the caller's to check,
 * since the ids come from `revisionId` or from the validated protocol. O(n).
 * Revisions are content-addressed, so a present id is the same revision (`duplicate`) even
 * if the stored copy has lost its body or its parent to stemming.
 */
export function mergeRevision<T extends RevNode>(nodes: readonly T[], node: T): MergeResult<T> {
  let parentFound = false;
  let parentHasChildren = false;
  let hasChildren = false;
  for (const existing of nodes) {
    if (existing.rev === node.rev) return { nodes: nodes as T[], outcome: "duplicate" };
    if (existing.rev === node.parent) parentFound = true;
    if (existing.parent === node.rev) hasChildren = true;
    if (node.parent !== null && existing.parent === node.parent) parentHasChildren = true;
  }
  const merged = nodes.concat(node);
  let outcome: MergeOutcome;
  if (hasChildren) outcome = "internal_node";
  else if (nodes.length === 0) outcome = "new_leaf";
  else if (parentFound && !parentHasChildren) outcome = "new_leaf";
  else outcome = "new_branch"; // a sibling, a new root, or a parent the list does not hold
  return { nodes: merged, outcome };
}
