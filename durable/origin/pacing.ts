/**
 * When the outbox may be drained next: coalescing under load (issue 12, DJAZZKIT_OUTBOX_MIN_INTERVAL_MS).
 *
 * Draining as soon as a write commits sends one `POST apply` per write or two under sustained
 * load (691 origin requests per 1,000 client writes in bench scenario 6). The rule here bounds
 * each object to about one drain per interval while it is busy, without delaying a write made
 * on an idle object:
 * - no drain ended in the last interval (idle, or a new instance): due now;
 * - a full batch is waiting (DJAZZKIT_OUTBOX_BATCH entries, or DJAZZKIT_OUTBOX_BATCH_BYTES of
 *   stored items): due now, so throughput is never capped by the interval (an outage's backlog
 *   drains at full speed);
 * - otherwise: one interval after the last drain ended (its answer came back). Writes committed
 *   while a drain is in flight, or after it within the interval, go together in that next drain
 *   (drain.ts sends, per run, only what was queued when the run began). Counting from the end
 *   rather than the start makes a slow origin get larger batches and fewer calls (the interval
 *   is a pause between calls, never back-to-back calls), at the price of up to the origin's
 *   own answer time more confirmation latency.
 * A failed drain's retry follows the outbox backoff alone (drain.ts, DJAZZKIT_OUTBOX_BACKOFF_*,
 * unchanged): the backoff already paces a failing origin, and adding the interval would delay
 * the recovery after a short outage by up to an interval for nothing.
 *
 * The last drain's end lives in memory (backed-link.ts): a new instance (eviction, restart)
 * drains at once, which only costs one early request. Pure: no Workers imports.
 */

export interface DrainPace {
  nowMs: number;
  /** When the last drain of this instance ended (null: none yet). */
  lastDrainMs: number | null;
  /** DJAZZKIT_OUTBOX_MIN_INTERVAL_MS. */
  intervalMs: number;
  /** The outbox backoff's retry time after a failure (0: none, the last drain succeeded). */
  retryAtMs: number;
  /** A full batch is waiting (by count or bytes). */
  full: boolean;
}

/** When the next drain is due (never earlier than now is meaningful: `<= nowMs` means now). */
export function drainDueMs(p: DrainPace): number {
  if (p.retryAtMs > 0) return Math.max(p.nowMs, p.retryAtMs);
  const coalesceUntil = p.full || p.lastDrainMs === null ? p.nowMs : p.lastDrainMs + p.intervalMs;
  return Math.max(p.nowMs, coalesceUntil);
}
