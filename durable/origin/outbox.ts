/**
 * The outbox (PROTOCOL 3 step 3): every accepted mutation waiting for the origin's `POST apply`.
 *
 * One entry per mutation (a resolution's tombstones travel with its main revision: the origin
 * dedupes by mutation_id, so a second entry with the same id would be ignored there). The
 * entry is written in the same transaction that applies the mutation (`enqueueWrites`, called
 * from `OriginLink.recordWrites`), so nothing acked is ever missing from it. The table is the
 * `outbox` of migration 1; its `payload` column holds `{client_id, apply}` as JSON, where
 * `apply` is the PROTOCOL 6 `POST apply` mutation without `winner` and `conflicts`: those are
 * computed when the entry is read (origin/view.ts), from settled revisions and the entry's own
 * only, so the origin is never told to hold a write it has not validated, and a row with large
 * conflict bodies never makes a stored entry too large (payloads written before this carry
 * stale copies of both, which are ignored).
 *
 * `readBatch` bounds a batch by count and by bytes (DJAZZKIT_OUTBOX_BATCH, _BATCH_BYTES; an
 * entry larger than the byte bound goes alone). `settleBatch` runs inside the write
 * transaction after the origin answered: `applied` confirms the mutation's revisions (parent
 * bodies dropped) and records what the origin now holds (origin/held.ts), `rejected` undoes
 * them (leaves first) and stores the rejection as the mutation's first result, so a repeated
 * push of the same id answers `rejected` too. Then every row the batch touched that has no
 * write left to send is checked against what the origin holds, and a winner correction is
 * queued where they differ (winner-correction.ts).
 */
import { ErrorCode } from "../../schemas/errors.js";
import type { ApplyAnswer, ApplyMutation } from "../../schemas/origin.js";
import type { MutationResult } from "../../schemas/protocol.js";
import type { AppliedWrite } from "./link.js";
import { confirmRevision, recomputeWinner, rowKey } from "../storage/row-store.js";
import type { WinnerRow } from "../storage/rows-record.js";
import { undoRevision } from "../storage/tree-maintenance.js";
import { revGen } from "../storage/rev-gen.js";
import { ancestryOf, otherLeavesOf } from "./branch.js";
import { hasPendingWrites, heldBy, needsCorrection, noteHeld, noteRefused } from "./held.js";
import { applyState, originView, pendingSnapshot, type PendingSnapshot } from "./view.js";
import { correctiveApply, CORRECTIVE_PREFIX } from "./winner-correction.js";


export interface OutboxEntry {
  id: number;
  mutation_id: string;
  client_id: string | null;
  apply: ApplyMutation;
  /** A winner correction (winner-correction.ts): no author, never undone. */
  corrective: boolean;
  /** Bytes of `apply` as JSON (what it adds to a `POST apply` body). */
  bytes: number;
}

/** The stored item: winner and conflicts are computed when read. */
type StoredApply = Omit<ApplyMutation, "winner" | "conflicts">;

interface StoredPayload {
  client_id: string | null;
  apply: StoredApply;
  corrective?: boolean;
}

const encoder = new TextEncoder();

/** Inside the write transaction: one outbox entry per mutation (its first write is the main revision). */
export function enqueueWrites(sql: SqlStorage, writes: readonly AppliedWrite[]): void {
  const seen = new Set<string>();
  for (const w of writes) {
    if (seen.has(w.mutation_id)) continue;
    seen.add(w.mutation_id);
    const apply: StoredApply = {
      mutation_id: w.mutation_id,
      model: w.model,
      row_id: w.row_id,
      operation: w.operation,
      rev: w.rev,
      parent_rev: w.parent_rev,
      data: w.data,
      deleted: w.deleted,
    };
    const payload: StoredPayload = { client_id: w.client_id ?? null, apply };
    sql.exec(`INSERT INTO outbox (mutation_id, payload) VALUES (?, ?)`, w.mutation_id, JSON.stringify(payload));
  }
}

export function outboxSize(sql: SqlStorage): number {
  return sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM outbox`).one().n;
}

/**
 * How much is queued, and whether a full batch is waiting (pacing.ts): `limit` entries, or
 * `maxBytes` of stored items (what a batch carries is a little more: the row's state and
 * ancestry are added when read, so this errs towards waiting). Bytes are summed only below
 * `limit` entries, so a large backlog costs one count.
 */
export function outboxFill(sql: SqlStorage, limit: number, maxBytes: number): { size: number; full: boolean } {
  const size = outboxSize(sql);
  if (size === 0 || size >= limit) return { size, full: size >= limit };
  const bytes = sql.exec<{ b: number }>(`SELECT COALESCE(SUM(length(CAST(payload AS BLOB))), 0) AS b FROM outbox`).one().b;
  return { size, full: bytes >= maxBytes };
}

/** The newest entry's id (0 when empty): a drain run sends what was queued up to here. */
export function lastOutboxId(sql: SqlStorage): number {
  return sql.exec<{ id: number | null }>(`SELECT MAX(id) AS id FROM outbox`).one().id ?? 0;
}

/** The item as sent now: the stored mutation plus the row's state as the origin may hold it. */
function itemOf(sql: SqlStorage, stored: StoredApply, snaps: Map<string, PendingSnapshot>): ApplyMutation {
  const key = rowKey(stored.model, stored.row_id);
  let snap = snaps.get(key);
  if (snap === undefined) snaps.set(key, (snap = pendingSnapshot(sql, stored.model, stored.row_id)));
  const view = originView(sql, stored.model, stored.row_id, stored.mutation_id, snap);
  if (view !== null) return { ...stored, ...applyState(view) };
  // Nothing of the row is in the view (cannot happen while the entry's revisions exist): the
  // mutation's own revision is the state.
  return { ...stored, winner: { rev: stored.rev, data: stored.deleted ? null : stored.data, deleted: stored.deleted }, conflicts: [] };
}

/**
 * The oldest entries, in order: at most `limit`, and no more than `maxBytes` of items (the
 * first entry always goes, alone if it is larger), none newer than `upToId` (a drain run's
 * snapshot: writes queued after it began wait for the next run) except winner corrections,
 * which the run's own settles queue and which go in the same run as before (a correction is
 * queued only for a row with no pending write, so it never passes a write of its row).
 * Corrections are rebuilt from the row; one whose row has nothing settled any more is dropped here.
 */
export function readBatch(sql: SqlStorage, limit: number, maxBytes = Number.POSITIVE_INFINITY, upToId = Number.MAX_SAFE_INTEGER): OutboxEntry[] {
  const rows = sql
    .exec<{ id: number; mutation_id: string; payload: string }>(`SELECT id, mutation_id, payload FROM outbox WHERE id <= ? OR substr(mutation_id, 1, ?) = ? ORDER BY id LIMIT ?`,
      upToId, CORRECTIVE_PREFIX.length, CORRECTIVE_PREFIX, limit,
    )
    .toArray();
  const out: OutboxEntry[] = [];
  const snaps = new Map<string, PendingSnapshot>();
  let total = 0;
  for (const r of rows) {
    const p = JSON.parse(r.payload) as StoredPayload;
    let entry: OutboxEntry;
    if (p.corrective === true) {
      const a = correctiveApply(sql, p.apply.model, p.apply.row_id);
      if (a === null) {
        sql.exec(`DELETE FROM outbox WHERE id = ?`, r.id);
        continue;
      }
      entry = { id: r.id, mutation_id: a.mutation_id, client_id: null, apply: a, corrective: true, bytes: 0 };
    } else {
      entry = { id: r.id, mutation_id: r.mutation_id, client_id: p.client_id, apply: itemOf(sql, p.apply, snaps), corrective: false, bytes: 0 };
    }
    // what the relay knows of the row, so the origin can tell a concurrent Django edit and keep
    // a Django branch the relay has not learnt yet (origin/branch.ts, PROTOCOL 6.1)
    entry.apply.ancestry = ancestryOf(sql, entry.apply.model, entry.apply.row_id, entry.apply.winner.rev);
    entry.apply.known = otherLeavesOf(sql, entry.apply.model, entry.apply.row_id, entry.apply.winner.rev);
    entry.bytes = encoder.encode(JSON.stringify(entry.apply)).byteLength + 1;
    if (out.length > 0 && total + entry.bytes > maxBytes) break;
    total += entry.bytes;
    out.push(entry);
  }
  return out;
}

export function noteAttempt(sql: SqlStorage, ids: readonly number[]): void {
  for (const id of ids) sql.exec(`UPDATE outbox SET attempts = attempts + 1 WHERE id = ?`, id);
}

export interface Settled {
  changed: WinnerRow[];
  confirmed: { entry: OutboxEntry }[];
  rejected: { entry: OutboxEntry; code: ErrorCode; message: string }[];
}

function pendingRevsOf(sql: SqlStorage, entry: OutboxEntry): string[] {
  return sql
    .exec<{ rev: string }>(
      `SELECT rev FROM revisions INDEXED BY revisions_pending WHERE model = ? AND row_id = ? AND mutation_id = ? AND pending = 1 ORDER BY gen DESC`,
      entry.apply.model, entry.apply.row_id, entry.mutation_id,
    )
    .toArray()
    .map((r) => r.rev);
}

/**
 * Inside the write transaction: apply the origin's answer to a sent batch. Entries the answer
 * does not mention stay queued (sent again). Rejections are undone newest first, so a rejected
 * write whose later child was rejected in the same batch becomes a leaf before its own undo.
 * A rejected revision that still has children (a later write built on it, not settled yet or
 * applied) is kept, still pending, with the rejection stored as its mutation's result: when
 * that child is applied the kept ancestor is confirmed with it (the origin holds the child's
 * state); when the child is rejected too, the ancestor is undone after it (`undoUpward`).
 */
export function settleBatch(sql: SqlStorage, batch: readonly OutboxEntry[], answer: ApplyAnswer, nowIso: string): Settled {
  const byId = new Map(answer.results.map((r) => [r.mutation_id, r]));
  const out: Settled = { changed: [], confirmed: [], rejected: [] };
  const touched = new Map<string, { model: string; row_id: string }>();
  const undone = new Map<string, { model: string; row_id: string }>();
  const rejects: { entry: OutboxEntry; code: ErrorCode; message: string }[] = [];
  const applied: { model: string; row_id: string; rev: string }[] = [];
  for (const entry of batch) {
    const r = byId.get(entry.mutation_id);
    if (r === undefined) continue;
    sql.exec(`DELETE FROM outbox WHERE id = ?`, entry.id);
    const { model, row_id } = entry.apply;
    touched.set(rowKey(model, row_id), { model, row_id });
    if (entry.corrective) {
      if (r.status === "applied") noteHeld(sql, model, row_id, heldBy(entry.apply));
      else {
        console.error("outbox: the origin refused a winner correction; not sent again for this state", entry.mutation_id, r.code, r.message);
        noteRefused(sql, model, row_id, heldBy(entry.apply));
      }
      continue;
    }
    if (r.status === "applied") {
      for (const rev of pendingRevsOf(sql, entry).reverse()) {
        confirmRevision(sql, model, row_id, rev);
        applied.push({ model, row_id, rev });
      }
      noteHeld(sql, model, row_id, heldBy(entry.apply));
      out.confirmed.push({ entry });
    } else {
      const code = ErrorCode.safeParse(r.code).success ? (r.code as ErrorCode) : "origin_rejected";
      rejects.push({ entry, code, message: r.message ?? "rejected by the origin" });
    }
  }
  for (const rej of rejects.reverse()) {
    const { model, row_id } = rej.entry.apply;
    for (const rev of pendingRevsOf(sql, rej.entry)) undoUpward(sql, model, row_id, rev);
    undone.set(rowKey(model, row_id), { model, row_id });
    const result: MutationResult = { mutation_id: rej.entry.mutation_id, status: "rejected", code: rej.code, message: rej.message };
    sql.exec(`UPDATE mutations SET result = ? WHERE mutation_id = ?`, JSON.stringify(result), rej.entry.mutation_id);
    out.rejected.unshift(rej);
  }
  // After the rejections' results are stored: a write rejected in this same batch whose child
  // was applied is kept (has children) and is part of the origin's state now. Confirming it
  // earlier, while its result still read `applied`, left it pending forever, and a row with a
  // pending revision never gets a winner correction (sim seed 130: Django held the child with
  // no conflicts, the relay kept a conflict).
  for (const a of applied) confirmRejectedAncestors(sql, a.model, a.row_id, a.rev);
  for (const t of undone.values()) {
    const row = recomputeWinner(sql, t.model, t.row_id, nowIso);
    if (row !== null) out.changed.push(row);
  }
  for (const t of touched.values()) queueCorrection(sql, t.model, t.row_id);
  return out;
}

/** The origin-held rule (origin/held.ts): queue one correction for a row that needs it. */
function queueCorrection(sql: SqlStorage, model: string, rowId: string): void {
  if (!needsCorrection(sql, model, rowId)) return;
  const prefix = `${CORRECTIVE_PREFIX}${rowId}:`;
  const already = sql.exec(`SELECT 1 FROM outbox WHERE substr(mutation_id, 1, ?) = ? LIMIT 1`, prefix.length, prefix).toArray();
  if (already.length > 0) return;
  const apply = correctiveApply(sql, model, rowId);
  if (apply === null) return;
  const { winner: _w, conflicts: _c, ...stored } = apply;
  const payload: StoredPayload = { client_id: null, apply: stored, corrective: true };
  sql.exec(`INSERT INTO outbox (mutation_id, payload) VALUES (?, ?)`, apply.mutation_id, JSON.stringify(payload));
}

interface RevLink extends Record<string, SqlStorageValue> {
  parent: string | null;
  pending: number;
  mutation_id: string | null;
}

function revLink(sql: SqlStorage, model: string, rowId: string, rev: string): RevLink | null {
  return sql
    .exec<RevLink>(`SELECT parent, pending, mutation_id FROM revisions WHERE model = ? AND row_id = ? AND gen = ? AND rev = ?`, model, rowId, revGen(rev), rev)
    .toArray()[0] ?? null;
}

/** True when the revision's mutation was rejected by the origin (kept only for its children). */
function isRejectedKept(sql: SqlStorage, link: RevLink): boolean {
  if (link.pending !== 1 || link.mutation_id === null) return false;
  const r = sql.exec<{ result: string }>(`SELECT result FROM mutations WHERE mutation_id = ?`, link.mutation_id).toArray()[0];
  return r !== undefined && (JSON.parse(r.result) as MutationResult).status === "rejected";
}

/** Undo a rejected revision, then every rejected-but-kept ancestor that became a leaf by it. */
function undoUpward(sql: SqlStorage, model: string, rowId: string, rev: string): void {
  let current: string | null = rev;
  let first = true;
  while (current !== null) {
    const link = revLink(sql, model, rowId, current);
    if (link === null || (!first && !isRejectedKept(sql, link))) return;
    if (undoRevision(sql, model, rowId, current) !== "undone") return; // has children: kept, pending
    current = link.parent;
    first = false;
  }
}

/** A child was applied: ancestors kept after their own rejection are part of the origin's state now. */
function confirmRejectedAncestors(sql: SqlStorage, model: string, rowId: string, rev: string): void {
  let parent = revLink(sql, model, rowId, rev)?.parent ?? null;
  while (parent !== null) {
    const link = revLink(sql, model, rowId, parent);
    if (link === null || !isRejectedKept(sql, link)) return;
    confirmRevision(sql, model, rowId, parent);
    parent = link.parent;
  }
}
