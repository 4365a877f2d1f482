/**
 * Planning the revisions a push creates (PROTOCOL 2.2), before the write transaction.
 *
 * Revision ids come from async WebCrypto, so they are computed first, against a view of the
 * stored trees plus the revisions planned earlier in the same push (a create then an update of
 * one row in one push); the transaction then stores the plan. The caller holds the write queue
 * throughout, so the stored trees cannot change between planning and committing.
 */
import { RelayError } from "../../schemas/errors.js";
import type { RowData } from "../../schemas/protocol.js";
import { planResolution, revisionId, winningRev, type RevNode } from "../../revtree/index.js";
import { getLeaves, getRevision, getRow, rowKey } from "../storage/row-store.js";
import { leavesOfRows, type RowRef } from "../storage/batch-store.js";
import { mergeBody, type ValidMutation } from "./validate.js";

/**
 * Largest stored body (bytes of its JSON). Every row must fit in one outbound `changes` frame
 * (MAX_CHANGES_FRAME_BYTES = 900 KB) with its bookkeeping fields, whatever the inbound limit.
 */
export const MAX_ROW_BODY_BYTES = 800_000;

/**
 * Largest total of row bodies one write may make the relay send to the origin in its `POST
 * apply` item: the write's body (as the mutation and possibly as the winner) plus the body of
 * every other live leaf (the winner or the retained conflicts). Below the sample origin's 4 MiB
 * DJAZZKIT_RELAY_MAX_BODY_BYTES, so an item always fits one request; a write past it is refused
 * with `message_too_large` (resolve the row's conflicts first), never stored to be refused later.
 */
export const MAX_OUTBOX_ITEM_BYTES = 3 * 1_048_576;

const encoder = new TextEncoder();

/** Stored trees overlaid with the revisions planned so far in this push. */
export class TreeView {
  private readonly added = new Map<string, RevNode[]>();
  /** Stored leaves per row, read once: nothing is written while a push is planned. */
  private readonly stored = new Map<string, RevNode[]>();

  constructor(private readonly sql: SqlStorage) {}

  private key(model: string, rowId: string): string {
    return rowKey(model, rowId);
  }

  node(model: string, rowId: string, rev: string): RevNode | null {
    const planned = this.added.get(this.key(model, rowId))?.find((n) => n.rev === rev);
    return planned ?? getRevision(this.sql, model, rowId, rev);
  }

  /**
   * Read the stored leaves of every row a push names in one statement (instead of one read per
   * row as planning reaches it). Entries that are not well-formed rows are ignored here; their
   * validation rejects them later.
   */
  prefetch(mutations: readonly unknown[]): void {
    const rows: RowRef[] = [];
    for (const raw of mutations) {
      const m = typeof raw === "object" && raw !== null ? (raw as { model?: unknown; row_id?: unknown }) : {};
      if (typeof m.model === "string" && typeof m.row_id === "string" && !this.stored.has(this.key(m.model, m.row_id))) {
        rows.push({ model: m.model, row_id: m.row_id });
      }
    }
    for (const [k, leaves] of leavesOfRows(this.sql, rows)) this.stored.set(k, leaves);
  }

  private storedLeaves(model: string, rowId: string): RevNode[] {
    const k = this.key(model, rowId);
    let leaves = this.stored.get(k);
    if (leaves === undefined) this.stored.set(k, (leaves = getLeaves(this.sql, model, rowId)));
    return leaves;
  }

  /**
   * For a row that had no revision stored when planning began: its leaves once the planned
   * revisions are stored (writes/commit.ts skips reading them back). Null for existing rows.
   */
  leavesIfNew(model: string, rowId: string): RevNode[] | null {
    return this.storedLeaves(model, rowId).length === 0 ? this.leaves(model, rowId) : null;
  }

  leaves(model: string, rowId: string): RevNode[] {
    const planned = this.added.get(this.key(model, rowId)) ?? [];
    const stored = this.storedLeaves(model, rowId);
    if (planned.length === 0) return stored;
    const parents = new Set(planned.map((n) => n.parent));
    const storedRevs = new Set(stored.map((n) => n.rev));
    return [
      ...stored.filter((n) => !parents.has(n.rev)),
      ...planned.filter((n) => !parents.has(n.rev) && !storedRevs.has(n.rev)),
    ];
  }

  winner(model: string, rowId: string): RevNode | null {
    const leaves = this.leaves(model, rowId);
    if (leaves.length === 0) return null;
    const rev = winningRev(leaves);
    return leaves.find((n) => n.rev === rev) ?? null;
  }

  add(model: string, rowId: string, node: RevNode): void {
    const k = this.key(model, rowId);
    const list = this.added.get(k) ?? [];
    if (!list.some((n) => n.rev === node.rev)) list.push(node);
    this.added.set(k, list);
  }
}

/** The body a new revision builds on: the parent's, or the winner's when the parent's was dropped. */
function baseBody(parent: RevNode | null, winner: RevNode | null): RowData | null {
  if (parent === null || parent.deleted) return null;
  if (parent.data !== null) return parent.data;
  // An interior revision whose body was dropped (CouchDB compaction): lay the patch over the
  // current winner's body. Clients that send full rows are unaffected.
  return winner !== null && !winner.deleted ? winner.data : null;
}

/**
 * The parent of the revision a mutation creates:
 * - lww: the current winner, whatever base_rev says (the tree stays a line);
 * - revision_tree: base_rev (unknown -> unknown_base_rev); a create is a new root (a new branch
 *   when the row exists); an update/delete without base_rev builds on the winner.
 * An update or delete of a row that does not exist is unknown_base_rev.
 */
function chooseParent(view: TreeView, m: ValidMutation, winner: RevNode | null): RevNode | null {
  if (m.operation !== "create" && winner === null) {
    throw new RelayError("unknown_base_rev", `${m.model} ${m.row_id} does not exist`);
  }
  if (m.spec.conflict_mode === "lww") return winner;
  if (m.operation === "create") return null;
  if (m.base_rev == null) return winner;
  const parent = view.node(m.model, m.row_id, m.base_rev);
  if (parent === null) {
    throw new RelayError("unknown_base_rev", `revision ${m.base_rev} of ${m.model} ${m.row_id} is not known`, {
      base_rev: m.base_rev,
    });
  }
  return parent;
}

/** Plan the revision for one validated mutation and add it to the view. Throws RelayError. */
export async function planMutation(view: TreeView, m: ValidMutation): Promise<RevNode> {
  const winner = view.winner(m.model, m.row_id);
  const parent = chooseParent(view, m, winner);
  const deleted = m.operation === "delete";
  const data = deleted ? null : mergeBody(baseBody(parent, winner), m);
  if (data !== null) checkBodySize(data);
  const node: RevNode = { rev: await revisionId(deleted, parent?.rev ?? null, data), parent: parent?.rev ?? null, deleted, data };
  checkItemSize(view.leaves(m.model, m.row_id), node);
  view.add(m.model, m.row_id, node);
  return node;
}

function bodyBytes(data: RowData | null): number {
  return data === null ? 0 : encoder.encode(JSON.stringify(data)).byteLength;
}

/** Refuse a write whose row, with it, would make an outbox item over MAX_OUTBOX_ITEM_BYTES. */
export function checkItemSize(leavesBefore: readonly RevNode[], node: RevNode): void {
  const others = leavesBefore.filter((l) => !l.deleted && l.rev !== node.parent && l.rev !== node.rev);
  if (others.length === 0) return; // the write and at most its own body twice: always fits
  let bytes = 2 * bodyBytes(node.data);
  for (const l of others) bytes += bodyBytes(l.data);
  if (bytes > MAX_OUTBOX_ITEM_BYTES) {
    throw new RelayError(
      "message_too_large",
      `this write and the row's ${others.length} other live revisions carry ${bytes} bytes of row bodies, over ${MAX_OUTBOX_ITEM_BYTES}; resolve the row's conflicts first`,
      { bytes, max: MAX_OUTBOX_ITEM_BYTES },
    );
  }
}

export function checkBodySize(data: RowData): void {
  const text = JSON.stringify(data);
  // UTF-8 takes at most 3 bytes per UTF-16 code unit: most bodies need no encoding to be sure.
  if (text.length * 3 <= MAX_ROW_BODY_BYTES) return;
  const bytes = encoder.encode(text).byteLength;
  if (bytes > MAX_ROW_BODY_BYTES) {
    throw new RelayError("message_too_large", `row body of ${bytes} bytes exceeds ${MAX_ROW_BODY_BYTES}`);
  }
}

/**
 * The revisions of a resolution (PROTOCOL 2.2), for `resolve_conflict` and the origin's
 * resolver alike: the mutation's data laid over the winner's body (like an update), as a child
 * of the winner, and a tombstone under every other live leaf. Throws RelayError when the row
 * does not exist, when the result has no body, or when it is too large.
 */
export async function planRowResolution(sql: SqlStorage, m: ValidMutation): Promise<RevNode[]> {
  const row = getRow(sql, m.model, m.row_id);
  const leaves = getLeaves(sql, m.model, m.row_id);
  if (row === null || leaves.length === 0) throw new RelayError("unknown_base_rev", `${m.model} ${m.row_id} does not exist`);
  const body = mergeBody(row.deleted ? null : row.data, m);
  if (body === null) throw new RelayError("invalid_field_value", "a resolution needs a body");
  checkBodySize(body);
  return planResolution(leaves, body);
}
