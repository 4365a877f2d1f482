/**
 * The storage work of a client write or a resolution (STYLE 6: keep the critical section
 * small): store the planned revisions as pending (standalone: as confirmed at once,
 * `OriginLink.confirmsAtOnce`), record each mutation's first result, recompute the touched
 * winners (each change takes the next seq), hand the writes to the origin link (standalone: drop
 * settled parent bodies; with an origin: the outbox), then stem grown trees. It runs inside the
 * one transaction of `runWrite` (writes/run.ts), which broadcasts after it.
 */
import type { MutationResult } from "../../schemas/protocol.js";
import type { RevNode } from "../../revtree/index.js";
import type { AppliedWrite, OriginLink } from "../origin/link.js";
import { rowKey } from "../storage/row-store.js";
import { insertRevisions, recomputeWinners } from "../storage/batch-store.js";
import type { WinnerRow } from "../storage/rows-record.js";
import { seqBlock } from "../storage/meta.js";
import { noteRevisionsAddedMany } from "../storage/tree-maintenance.js";

/** One accepted mutation: its main revision, plus the tombstones of a resolution. */
export interface PlannedMutation {
  mutation_id: string;
  model: string;
  row_id: string;
  operation: AppliedWrite["operation"];
  node: RevNode;
  extra: RevNode[];
  result: MutationResult;
  /** What the mutation asked (writes/mutation-ids.ts); absent for the relay's own writes. */
  fingerprint?: string;
}

export interface CommitOptions {
  revsLimit: number;
  nowIso: string;
  /** The author's client_id (stored with the outbox entry for mutation_confirmed/rejected). */
  clientId?: string | null;
  /**
   * The plan's view of the trees (writes/plan.ts TreeView): a row it saw without any revision
   * gets its winner from the planned leaves instead of reading them back, provided every
   * planned revision of the row was stored.
   */
  known?: { leavesIfNew(model: string, rowId: string): RevNode[] | null };
}

/** Inside runWrite's transaction; returns the rows whose winner or conflict set changed. */
export function storeWrites(
  sql: SqlStorage,
  origin: OriginLink,
  planned: readonly PlannedMutation[],
  opts: CommitOptions,
): WinnerRow[] {
  if (planned.length === 0) return [];
  const touched = new Map<string, { model: string; row_id: string; added: number; all: boolean }>();
  const pending = origin.confirmsAtOnce !== true;
  // Every revision of the push in one statement (storage/batch-store.ts), then the counts per row.
  const inserts = planned.flatMap((p) => [p.node, ...p.extra].map((node) => ({ model: p.model, row_id: p.row_id, node, mutationId: p.mutation_id })));
  const inserted = insertRevisions(sql, inserts, pending);
  inserts.forEach((i, n) => {
    const key = rowKey(i.model, i.row_id);
    let t = touched.get(key);
    if (t === undefined) touched.set(key, (t = { model: i.model, row_id: i.row_id, added: 0, all: true }));
    if (inserted[n]) t.added += 1;
    else t.all = false;
  });
  // Every mutation's first result in one statement (one JSON parameter), not one per mutation.
  sql.exec(
    `INSERT OR IGNORE INTO mutations (mutation_id, result, created_at, fingerprint)
     SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), ?, json_extract(value, '$[2]') FROM json_each(?)`,
    opts.nowIso,
    JSON.stringify(planned.map((p) => [p.mutation_id, JSON.stringify(p.result), p.fingerprint ?? null])),
  );
  // The winners: rows the push created from the plan's leaves, the others read once (one
  // statement for all of them); `after` is each row as it stands after the whole push.
  const seqs = seqBlock(sql);
  const { changed, after } = recomputeWinners(
    sql,
    [...touched.values()].map((t) => ({ model: t.model, row_id: t.row_id, newLeaves: t.all ? opts.known?.leavesIfNew(t.model, t.row_id) : null })),
    opts.nowIso,
    seqs.take,
  );
  seqs.done();
  const writes: AppliedWrite[] = [];
  for (const p of planned) {
    const winner = after.get(rowKey(p.model, p.row_id))!;
    for (const node of [p.node, ...p.extra]) {
      writes.push({
        mutation_id: p.mutation_id, model: p.model, row_id: p.row_id, operation: p.operation,
        rev: node.rev, parent_rev: node.parent, data: node.data, deleted: node.deleted, winner,
        client_id: opts.clientId ?? null,
      });
    }
  }
  origin.recordWrites(sql, writes);
  noteRevisionsAddedMany(sql, [...touched.values()], opts.revsLimit);
  return changed;
}

/** The first result stored for a mutation id, if it was applied before. */
export function storedResult(sql: SqlStorage, mutationId: string): MutationResult | null {
  const rows = sql.exec<{ result: string }>(`SELECT result FROM mutations WHERE mutation_id = ?`, mutationId).toArray();
  return rows[0] ? (JSON.parse(rows[0].result) as MutationResult) : null;
}
