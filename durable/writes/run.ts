/**
 * The critical step of every write path (PROTOCOL 3 step 2), written once. Push,
 * resolve_conflict, the origin's resolver, the pull and the outbox drain all go through
 * `runWrite`, and nothing else opens a storage transaction for a client's or the origin's
 * writes:
 *
 * 1. the job waits its turn in the object's write queue (writes/queue.ts), so no two writes
 *    interleave across the awaits of planning (reads, WebCrypto revision ids);
 * 2. `prepare` plans the write (it may await) and returns the synchronous storage work, or
 *    `skip` when there is nothing to write (it has then answered by itself, if needed);
 * 3. the storage work runs in ONE `transactionSync`: all of it or none;
 * 4. in the same synchronous step, with no await in between: the writer's answer, the
 *    broadcast of the changed winners to every live socket, then any follow-up frames. A
 *    socket going live (sync_start) therefore either caught up before this commit and gets the
 *    broadcast, or after it and has the rows in its catch-up: never both, never neither;
 * 5. after the job left the queue, `afterCommit` (arm the outbox alarm, ask the resolver).
 */
import { broadcastChanges } from "../broadcast.js";
import type { WinnerRow } from "../storage/rows-record.js";
import type { WriteQueue } from "./queue.js";

export interface WriteDeps {
  ctx: DurableObjectState;
  writes: WriteQueue;
  /** Runs after the job left the queue, whether it wrote or skipped. Must not throw. */
  afterCommit?: () => Promise<void>;
}

export interface WriteStep<T> {
  /** The storage writes, inside the one transaction; the rows whose winner or conflicts changed, and a value. */
  commit(sql: SqlStorage): { changed: readonly WinnerRow[]; value: T };
  /** The writer's own answer (e.g. `push_result`), sent right after the commit, before the broadcast. */
  answer?(value: T): void;
  /** Frames that follow the broadcast (e.g. `mutation_confirmed` to the authors' sockets). */
  notify?(value: T): void;
}

export interface Skip<S> {
  skip: S;
}

export async function runWrite<T, S = T>(deps: WriteDeps, prepare: () => Promise<WriteStep<T> | Skip<S>>): Promise<T | S> {
  const out = await deps.writes.run(async (): Promise<T | S> => {
    const step = await prepare();
    if ("skip" in step) return step.skip;
    const { changed, value } = deps.ctx.storage.transactionSync(() => step.commit(deps.ctx.storage.sql));
    step.answer?.(value);
    broadcastChanges(deps.ctx, changed);
    step.notify?.(value);
    return value;
  });
  await deps.afterCommit?.();
  return out;
}
