/**
 * Poke and pull (PROTOCOL 3 step 4): read the user's changed rows from the origin's `GET changes`
 * page by page, from the origin cursor kept in `meta`, and apply each as a child of the row's
 * current winner (the origin wins). Used for hydration (first use: no cursor yet), after a
 * poke, and when a client starts syncing on an object that has not pulled for a while.
 *
 * Rules for an origin row:
 * - its `rev` is a revision the object holds: an echo of the relay's own write, skipped;
 * - its `rev` is a Django revision whose `revisions` (ancestry) reach a revision the tree holds:
 *   grafted there (`origin/branch.ts`). For revision_tree models this happens even while the
 *   row has pending writes: a Django edit concurrent with them becomes a branch, kept as a
 *   conflict or the winner by the usual rule, never dropped. lww rows take it only as a child
 *   of their winner (a line), also while that winner is pending (Django held it, so the edit is
 *   later); placed on an older revision it predates the winner at Django and is left alone;
 * - lww rows with writes the origin has not confirmed (pending outbox entries): skipped. The
 *   pending write reaches Django after this state and wins there (the last write to reach
 *   Django wins). The same for revision_tree rows whose ancestry the tree cannot place
 *   (a row older than Django-side revisions). Such an origin state predates the relay's
 *   write, which the drain is about to send; once applied,
 *   the origin's row holds the relay's winner and its change-log entry carries that revision
 *   (an echo). The cursor moves past the skipped entry, but the cursor it started from is kept
 *   as a rewind floor: if the origin then rejects a pending write, and in any case once a
 *   drain run has sent everything queued when it began, the drain rewinds the cursor there
 *   and pulls again (`rewindToFloor`),
 *   so the skipped origin state is not lost. "Predates" is not guaranteed: the pending write
 *   may already be applied at Django with its answer still on the way, and a Django edit made
 *   in that window is newer than it (sim seed 22: an lww Task edited in Django right after the
 *   relay's create reached it; the pull skipped it, the cursor moved on, and it was never
 *   pulled again). The pull after the drain reads it with no write pending: a child of the
 *   relay's winner, taken.
 *   `GET changes` answers each row's latest state, so pulling again from an older cursor is safe.
 * - its body equals the winner's body (same tombstone flag): skipped, so re-pulling is a no-op;
 * - otherwise a new confirmed revision, child of the winner (a root when the row is new; an
 *   origin revision id is kept for a new row so later echoes match).
 * Fetches run outside the write queue and any transaction (STYLE 6); each page is applied in
 * one transaction together with the new cursor, then broadcast.
 */
import { isHeldInObject, type ModelSpec, type SchemaManifest } from "../../schemas/manifest.js";
import type { OriginChangeRow } from "../../schemas/origin.js";
import type { RowData } from "../../schemas/protocol.js";
import { canonicalJson, revisionId, type RevNode } from "../../revtree/index.js";
import { getRevision, recomputeWinner, rowKey } from "../storage/row-store.js";
import type { WinnerRow } from "../storage/rows-record.js";
import { getMeta, setMeta } from "../storage/meta.js";
import { ownerUserId } from "../storage/owner.js";
import { TreeView } from "../writes/plan.js";
import { runWrite } from "../writes/run.js";
import type { WriteQueue } from "../writes/queue.js";
import type { OriginClient } from "../../origin-client/client.js";
import { notePulled } from "./held.js";
import { graftNodes } from "./graft.js";
import { storeOriginNodes } from "./branch.js";
import { hasPendingWrites } from "./held.js";

/** Rows asked per `GET changes` page (the sample origin allows up to 1000). */
export const PULL_PAGE_ROWS = 500;
/** Pages per pull before yielding; a longer backlog continues on the next pull. */
const MAX_PAGES_PER_PULL = 200;

export const CURSOR_KEY = "origin_cursor";
export const PULLED_AT_KEY = "origin_pulled_at";
/** The cursor to pull again from if a pending write whose row a pull skipped is rejected. */
export const REWIND_KEY = "origin_rewind_floor";

/**
 * After a rejection, or once a drain run has sent what was queued when it began: move the
 * cursor back to the rewind floor;
 * true when a pull is needed.
 */
export function rewindToFloor(sql: SqlStorage): boolean {
  const floor = getMeta(sql, REWIND_KEY);
  if (floor === null) return false;
  if (floor === "") sql.exec(`DELETE FROM meta WHERE key = ?`, CURSOR_KEY);
  else setMeta(sql, CURSOR_KEY, floor);
  sql.exec(`DELETE FROM meta WHERE key = ?`, REWIND_KEY);
  return true;
}

const REV_RE = /^[1-9][0-9]{0,8}-[0-9a-f]{32}$/;

export interface PullDeps {
  ctx: DurableObjectState;
  client: OriginClient;
  writes: WriteQueue;
  manifest: () => Promise<SchemaManifest>;
  revsLimit: number;
  /** Told about rows a pull left in conflict (a Django edit concurrent with the relay's). */
  conflicted?: (model: string, rowId: string) => void;
}

/** True once the object has pulled at least once (hydrated). */
export function hasPulled(sql: SqlStorage): boolean {
  return getMeta(sql, CURSOR_KEY) !== null;
}

export function lastPullMs(sql: SqlStorage): number {
  return Number(getMeta(sql, PULLED_AT_KEY) ?? "0");
}

/** Model fields only: bookkeeping and unknown keys from the origin are dropped. */
function modelBody(data: RowData | null, spec: ModelSpec): RowData | null {
  if (data === null) return null;
  const out: RowData = {};
  for (const name of Object.keys(spec.fields)) if (Object.hasOwn(data, name)) out[name] = data[name];
  return out;
}

async function planRow(sql: SqlStorage, view: TreeView, row: OriginChangeRow, spec: ModelSpec, since: string | null): Promise<RevNode[]> {
  if (row.rev != null && getRevision(sql, row.model, row.row_id, row.rev) !== null) return []; // echo
  const pending = hasPendingWrites(sql, row.model, row.row_id);
  const skip = (): RevNode[] => {
    // The relay's pending write reaches the origin after this state; remember where to pull
    // again from should it be rejected.
    if (getMeta(sql, REWIND_KEY) === null) setMeta(sql, REWIND_KEY, since ?? "");
    return [];
  };
  const lww = spec.conflict_mode !== "revision_tree";
  const data = row.deleted ? null : modelBody(row.data, spec);
  const winner = view.winner(row.model, row.row_id);
  if (lww && row.rev != null && row.revisions !== undefined && winner !== null && (row.deleted || data !== null)) {
    // lww: the write that reached Django last wins. A Django revision's ancestry says which
    // relay revision Django held when it was made (Django's edits are children of the one it
    // held). A child of the winner: Django had the winner (even one still pending here, whose
    // apply reached Django first), so the edit is later and wins. Placed on an older revision:
    // Django made it before the winner reached it (a page fetched before a drain settled), so
    // the winner is later; taking the edit would undo a write Django holds after it.
    const placed = graftNodes({ rev: row.rev, revisions: row.revisions, data, deleted: row.deleted }, (r) => view.node(row.model, row.row_id, r) !== null);
    if (placed !== null && placed.length > 0) return placed[0]!.parent === winner.rev ? placed : pending ? skip() : [];
  }
  // lww: the write that reaches Django last wins, and the pending one will (origin/branch.ts)
  if (pending && lww) return skip();
  if (!row.deleted && data === null) return [];
  if (winner === null) {
    if (row.deleted) return []; // never seen here and gone at the origin
    const rev = row.rev != null && REV_RE.test(row.rev) ? row.rev : await revisionId(false, null, data);
    return [{ rev, parent: null, deleted: false, data }];
  }
  if (row.rev != null && row.revisions !== undefined) {
    // A Django revision: where its ancestry says. For revision_tree that may be a branch (a
    // conflict, even beside pending writes: nothing is skipped); lww keeps a line.
    const nodes = graftNodes({ rev: row.rev, revisions: row.revisions, data, deleted: row.deleted }, (r) => view.node(row.model, row.row_id, r) !== null);
    if (nodes !== null && nodes.length > 0 && (spec.conflict_mode === "revision_tree" || nodes[0]!.parent === winner.rev)) return nodes;
  }
  if (pending) return skip(); // an ancestry the tree cannot place: as before, the drain decides
  if (winner.deleted && row.deleted) return [];
  if (!winner.deleted && !row.deleted && winner.data !== null && canonicalJson(winner.data) === canonicalJson(data)) return [];
  return [{ rev: await revisionId(row.deleted, winner.rev, data), parent: winner.rev, deleted: row.deleted, data }];
}

/** Pull until the origin has nothing more; returns the number of rows whose winner changed. */
export async function pullFromOrigin(deps: PullDeps): Promise<number> {
  const sql = deps.ctx.storage.sql;
  const user = ownerUserId(sql);
  if (user === null) return 0;
  let changedTotal = 0;
  for (let page = 0; page < MAX_PAGES_PER_PULL; page++) {
    const since = getMeta(sql, CURSOR_KEY);
    const answer = await deps.client.changes(user, since, PULL_PAGE_ROWS);
    const manifest = await deps.manifest();
    const more = await runWrite<boolean, boolean>(deps, async () => {
      // The cursor may have moved while we fetched (a concurrent pull): apply only if not.
      if (getMeta(sql, CURSOR_KEY) !== since) return { skip: true };
      const view = new TreeView(sql);
      const planned: { model: string; row_id: string; nodes: RevNode[]; tree: boolean }[] = [];
      for (const row of answer.rows) {
        const spec = Object.hasOwn(manifest.models, row.model) ? manifest.models[row.model] : undefined;
        if (spec === undefined || !isHeldInObject(spec)) continue;
        const nodes = await planRow(sql, view, row, spec, since);
        if (nodes.length === 0) continue;
        for (const node of nodes) view.add(row.model, row.row_id, node);
        planned.push({ model: row.model, row_id: row.row_id, nodes, tree: spec.conflict_mode === "revision_tree" });
      }
      const nowIso = new Date().toISOString();
      const commit = (sql: SqlStorage) => {
        const out = new Map<string, WinnerRow>();
        for (const p of planned) {
          if (storeOriginNodes(sql, p.model, p.row_id, p.nodes, deps.revsLimit) === 0) continue;
          const leaf = p.nodes[p.nodes.length - 1]!;
          notePulled(sql, p.model, p.row_id, leaf.rev, leaf.deleted);
          const row = recomputeWinner(sql, p.model, p.row_id, nowIso);
          if (row !== null) out.set(rowKey(p.model, p.row_id), row);
          if (row !== null && p.tree && !row.deleted && row.conflicts.length > 0) deps.conflicted?.(p.model, p.row_id);
        }
        setMeta(sql, CURSOR_KEY, answer.cursor);
        setMeta(sql, PULLED_AT_KEY, String(Date.now()));
        const changed = [...out.values()];
        changedTotal += changed.length;
        return { changed, value: answer.more };
      };
      return { commit };
    });
    if (!more) break;
  }
  return changedTotal;
}
