/**
 * Draining the outbox to the origin's `POST apply` (PROTOCOL 3 step 3), driven by the object's
 * alarm. STYLE 6: the batch is read with plain reads, the fetch runs outside any transaction
 * and outside the write queue (the input gate is open while it waits, so pushes keep being
 * served), and only the answer is applied inside the write queue, in one transaction.
 *
 * While the origin fails (network, timeout, 5xx, or an answer it cannot be trusted with), the
 * next attempt waits a full-jitter exponential backoff (`backoff.ts`); the attempt count and
 * the retry time live in `meta`, so they survive eviction. Exactly-once at the origin rests on
 * its idempotency by mutation_id: a batch whose answer was lost is simply sent again.
 *
 * A batch the origin refuses for what it carries (`refusesContent`: 400, 413, 422) is never
 * sent again as it was (issue 8 item 5): the next batches are capped at half its size (meta
 * `outbox_split`), down to single entries, so the entries the origin accepts go through; a
 * single entry refused that way becomes the origin's rejection of that mutation (undone
 * everywhere, `mutation_rejected` with the origin's code). Other refusals (401/403/404: the
 * relay's secret or prefix is wrong) say nothing about the entries and back off like outages.
 */
import type { Settings } from "../../schemas/config.js";
import { ErrorCode } from "../../schemas/errors.js";
import { sendToSockets } from "../broadcast.js";
import { runWrite } from "../writes/run.js";
import { getMeta, setMeta } from "../storage/meta.js";
import { ownerUserId } from "../storage/owner.js";
import type { WriteQueue } from "../writes/queue.js";
import { delayMs, type BackoffPolicy } from "../../origin-client/backoff.js";
import type { OriginClient } from "../../origin-client/client.js";
import { OriginError } from "../../origin-client/client.js";
import type { ApplyAnswer } from "../../schemas/origin.js";
import type { WinnerRow } from "../storage/rows-record.js";
import { mergeOriginBranch } from "./branch.js";
import { noteHeld } from "./held.js";
import { originView } from "./view.js";
import { lastOutboxId, noteAttempt, outboxSize, readBatch, settleBatch, type OutboxEntry } from "./outbox.js";
import { rewindToFloor } from "./pull.js";

/** Batches sent per alarm invocation before yielding (the alarm re-arms at once if more remain). */
const MAX_BATCHES_PER_RUN = 20;

const ATTEMPTS_KEY = "outbox_attempts";
const RETRY_AT_KEY = "outbox_retry_at";
/** Cap on batch entries after the origin refused a batch for its content (split in halves). */
const SPLIT_KEY = "outbox_split";

/** Statuses by which the origin refuses what a batch carries (not the relay's configuration). */
const CONTENT_REFUSALS = new Set([400, 413, 422]);

export function refusesContent(err: unknown): err is OriginError {
  return err instanceof OriginError && err.status !== undefined && CONTENT_REFUSALS.has(err.status);
}

export interface DrainDeps {
  ctx: DurableObjectState;
  settings: Settings;
  client: OriginClient;
  writes: WriteQueue;
}

/**
 * `pull`: a rejection, or the outbox draining after a pull skipped rows with pending writes,
 * rewound the origin cursor (see pull.ts); the caller should pull.
 * `conflicted`: rows an origin-kept concurrent revision left in conflict (for the resolver).
 */
export type DrainOutcome = ({ state: "empty" } | { state: "more" } | { state: "backoff"; retryAtMs: number }) & {
  pull?: boolean;
  conflicted?: { model: string; row_id: string }[];
};

export function backoffPolicy(settings: Settings): BackoffPolicy {
  return { baseMs: settings.DJAZZKIT_OUTBOX_BACKOFF_BASE_MS, maxMs: settings.DJAZZKIT_OUTBOX_BACKOFF_MAX_MS };
}

/** When the next drain attempt may run (0: now). */
export function retryAtMs(sql: SqlStorage): number {
  return Number(getMeta(sql, RETRY_AT_KEY) ?? "0");
}

function recordFailure(sql: SqlStorage, policy: BackoffPolicy, nowMs: number): number {
  const attempts = Number(getMeta(sql, ATTEMPTS_KEY) ?? "0");
  const at = nowMs + Math.max(1, delayMs(attempts, policy));
  setMeta(sql, ATTEMPTS_KEY, String(attempts + 1));
  setMeta(sql, RETRY_AT_KEY, String(at));
  return at;
}

function recordSuccess(sql: SqlStorage): void {
  if (getMeta(sql, ATTEMPTS_KEY) !== "0") setMeta(sql, ATTEMPTS_KEY, "0");
  if (getMeta(sql, RETRY_AT_KEY) !== "0") setMeta(sql, RETRY_AT_KEY, "0");
}

/**
 * Send batches of what was queued when the run began until that is sent, the origin fails, or
 * the per-run budget is used. Writes committed during the run (while a batch is in flight)
 * wait for the next run, which the link paces (pacing.ts): they are coalesced into its batch
 * instead of chased one small batch at a time. Winner corrections the run's settles queue are
 * sent in the run (outbox.ts readBatch).
 */
export async function drainOutbox(deps: DrainDeps): Promise<DrainOutcome> {
  const sql = deps.ctx.storage.sql;
  const user = ownerUserId(sql);
  if (user === null) return { state: "empty" }; // an anonymous object never writes
  let pull = false;
  const conflicted: { model: string; row_id: string }[] = [];
  const upToId = lastOutboxId(sql);
  for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
    const split = Number(getMeta(sql, SPLIT_KEY) ?? "0");
    const limit = split > 0 ? Math.min(split, deps.settings.DJAZZKIT_OUTBOX_BATCH) : deps.settings.DJAZZKIT_OUTBOX_BATCH;
    const batch = readBatch(sql, limit, deps.settings.DJAZZKIT_OUTBOX_BATCH_BYTES, upToId);
    if (batch.length === 0) {
      recordSuccess(sql);
      // Every write queued when this run began has settled, so every write a pull before it
      // skipped a row for: pull again from before that pull, so an origin state that came after
      // the relay's write reached Django (a Django edit made while the batch's answer was on its
      // way) is not lost (pull.ts; sim seed 22). Done at the end of each run, not only when the
      // outbox is empty: under sustained writing it may never be at a run's end. A pull made
      // during this run may have skipped a row for a newer write still queued; the re-pull then
      // skips it again and sets the floor again, and a later run rewinds once more.
      if (rewindToFloor(sql)) pull = true;
      // Newer entries (committed during the run) wait for the next run (pacing.ts).
      return { state: outboxSize(sql) > 0 ? "more" : "empty", pull, conflicted };
    }
    let answer;
    try {
      answer = await deps.client.apply(user, batch.map((e) => e.apply));
    } catch (err) {
      if (refusesContent(err)) {
        if (batch.length > 1) {
          console.error(`outbox: the origin refused a batch of ${batch.length} (${err.message}); splitting it`);
          setMeta(sql, SPLIT_KEY, String(Math.floor(batch.length / 2)));
          continue;
        }
        console.error(`outbox: the origin refused ${batch[0]!.mutation_id} alone (${err.message}); it becomes a rejection`);
        answer = refusalAnswer(batch[0]!, err);
      } else {
        console.error("outbox: apply failed; backing off", err instanceof Error ? err.message : err);
        noteAttempt(sql, batch.map((e) => e.id));
        return { state: "backoff", retryAtMs: recordFailure(sql, backoffPolicy(deps.settings), Date.now()), pull, conflicted };
      }
    }
    if (split > 0) sql.exec(`DELETE FROM meta WHERE key = ?`, SPLIT_KEY);
    await runWrite(deps, async () => ({
      commit: (s: SqlStorage) => {
        const nowIso = new Date().toISOString();
        const settled = settleBatch(s, batch, answer, nowIso);
        if (settled.rejected.length > 0 && rewindToFloor(s)) pull = true;
        settled.changed.push(...mergeConcurrent(s, batch, answer, { revsLimit: deps.settings.DJAZZKIT_REVS_LIMIT, nowIso }, conflicted));
        return { changed: settled.changed, value: settled };
      },
      // After the broadcast, in the commit's synchronous step (writes/run.ts).
      notify: (settled) => notifyAuthors(deps.ctx, settled),
    }));
    recordSuccess(sql);
    if (answer.results.length === 0) {
      // The origin answered nothing for a non-empty batch: treat as a failure, never spin.
      return { state: "backoff", retryAtMs: recordFailure(sql, backoffPolicy(deps.settings), Date.now()), pull, conflicted };
    }
  }
  return { state: "more", pull, conflicted };
}

/**
 * Applied results carrying `concurrent`: the origin kept its own revision beside the relay's
 * write (issue 14); graft it here too, so both sides hold the same leaves and pick the same
 * winner. Inside the settle transaction.
 */
function mergeConcurrent(
  sql: SqlStorage,
  batch: readonly OutboxEntry[],
  answer: ApplyAnswer,
  opts: { revsLimit: number; nowIso: string },
  conflicted: { model: string; row_id: string }[],
): WinnerRow[] {
  const sent = new Map(batch.map((e) => [e.mutation_id, e.apply]));
  const changed: WinnerRow[] = [];
  for (const r of answer.results) {
    const m = sent.get(r.mutation_id);
    if (r.status !== "applied" || r.concurrent === undefined || m === undefined) continue;
    const row = mergeOriginBranch(sql, m.model, m.row_id, r.concurrent, opts);
    if (row === null) continue;
    // the origin kept its branch beside what this batch told it: it holds the settled view now
    const view = originView(sql, m.model, m.row_id, null);
    if (view !== null) noteHeld(sql, m.model, m.row_id, { rev: view.winner.rev, deleted: view.winner.deleted, conflicts: view.conflicts.map((c) => c.rev) });
    changed.push(row);
    if (!row.deleted && row.conflicts.length > 0) conflicted.push({ model: m.model, row_id: m.row_id });
  }
  return changed;
}

/** The answer that settles an entry the origin refused on its own: a rejection with its code. */
function refusalAnswer(entry: OutboxEntry, err: OriginError) {
  const code = ErrorCode.safeParse(err.originCode).success ? err.originCode! : "origin_rejected";
  return { results: [{ mutation_id: entry.mutation_id, status: "rejected" as const, code, message: err.message }] };
}

/** `mutation_confirmed` / `mutation_rejected` to the sockets of each settled write's author. */
function notifyAuthors(ctx: DurableObjectState, settled: ReturnType<typeof settleBatch>): void {
  for (const { entry } of settled.confirmed) {
    if (entry.client_id === null) continue;
    sendToSockets(ctx, (s) => s.client_id === entry.client_id, {
      type: "mutation_confirmed",
      mutation_id: entry.mutation_id,
      rev: entry.apply.rev,
    });
  }
  for (const r of settled.rejected) {
    if (r.entry.client_id === null) continue;
    sendToSockets(ctx, (s) => s.client_id === r.entry.client_id, {
      type: "mutation_rejected",
      mutation_id: r.entry.mutation_id,
      rev: r.entry.apply.rev,
      code: r.code as ErrorCode,
      message: r.message,
    });
  }
}
