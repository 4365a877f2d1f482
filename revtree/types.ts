/**
 * The revision-tree data model shared by every module of `revtree/`.
 * Pure types: no runtime bindings, so the client SDK reuses this library as is.
 */
import type { RowData } from "../schemas/protocol.js";

export type { RowData };

/**
 * One revision of a row. A row's revisions are kept as a flat list of these (see the grammar
 * at the top of `merge.ts`); the tree is implied by the `parent` references.
 * Nodes are treated as immutable: no function of this library modifies one it is given.
 */
export interface RevNode {
  /** `"<gen>-<32 lowercase hex>"`; gen and hash are read from this string (`parseRev`). */
  rev: string;
  /**
   * The parent revision, or null for a root. After `stem` a kept node may name a parent that
   * is no longer in the list (a dangling reference): it is then a root of the stemmed tree.
   */
  parent: string | null;
  /** A tombstone. A deleted revision may still get children (an undelete). */
  deleted: boolean;
  /** The body; null for tombstones and for internal revisions whose body was dropped. */
  data: RowData | null;
}

/** What `compareRevs`, `winningRev` and `collectConflicts` need to know about a leaf. */
export interface LeafRef {
  rev: string;
  deleted: boolean;
}
