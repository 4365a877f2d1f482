/**
 * One in-memory queue for every write path (push, resolve_conflict; later the origin's pulls
 * and undos). Revision ids are computed with async WebCrypto between reading a tree and
 * writing it, and other socket events are delivered during those awaits (the input gate only
 * holds events during storage calls), so two writes must never interleave there.
 *
 * It also measures itself for back-pressure: `depth` is the number of jobs queued or running,
 * `meanJobMs` a moving average of how long a job ran. A client write (push, resolve_conflict)
 * arriving when `depth` has reached DJAZZKIT_MAX_QUEUED_WRITES is refused at once with
 * `rate_limited` and `retry_after_ms` from `retryAfterMs()` (see `admitClientWrite` in
 * handlers/push.ts), so an object short of CPU says "later" instead of letting acks drift
 * toward the client's push timeout (bench/LOAD.md). Internal writes (origin pulls) are never
 * refused.
 *
 * Hibernation-safe: the queue holds only in-flight work; an object is never evicted while a
 * promise of its event handlers is pending, so nothing a rebuild needs lives here.
 */

/** Weight of the newest job in `meanJobMs` (exponential moving average). */
const MEAN_WEIGHT = 0.2;
/** Assumed time per job before one was measured, and the least assumed afterwards: Date.now()
 * in workerd only advances across I/O, so a CPU-bound job can measure as 0 ms. */
export const MIN_JOB_MS = 5;
/** Bounds of the retry delay suggested to a refused client (well below its 30 s push timeout). */
export const MIN_RETRY_AFTER_MS = 100;
export const MAX_RETRY_AFTER_MS = 10_000;

export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private mean = MIN_JOB_MS;

  constructor(private readonly now: () => number = Date.now) {}

  /** Jobs queued or running. */
  get depth(): number {
    return this.pending;
  }

  /** Moving average of a job's run time, in ms (never below MIN_JOB_MS). */
  get meanJobMs(): number {
    return Math.max(MIN_JOB_MS, this.mean);
  }

  /** About when the queue as it is now will have drained, bounded for a client's retry delay. */
  retryAfterMs(): number {
    const estimate = Math.ceil(this.depth * this.meanJobMs);
    return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, estimate));
  }

  /** Run `task` after every task queued before it has settled. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.pending++;
    const timed = async (): Promise<T> => {
      const start = this.now();
      try {
        return await task();
      } finally {
        this.pending--;
        const took = Math.max(0, this.now() - start);
        this.mean += MEAN_WEIGHT * (took - this.mean);
      }
    };
    const result = this.tail.then(timed, timed);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
