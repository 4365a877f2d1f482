/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter"): the delay before retry `attempt` (0-based) is uniform in
 * `[0, min(maxMs, baseMs * 2^attempt))`. Full jitter spreads the retries of many objects that
 * failed together (an origin outage) so they do not return in lockstep.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/** The outbox drain's default: first retry within 1 s, never waiting more than 5 minutes. */
export const OUTBOX_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 300_000 };

/** The cap for `attempt` before jitter: `min(maxMs, baseMs * 2^attempt)`, overflow-safe. */
export function ceilingMs(attempt: number, policy: BackoffPolicy): number {
  const n = Math.max(0, Math.floor(Number.isFinite(attempt) ? attempt : 0));
  // 2^60 already exceeds any sane maxMs; clamping the exponent avoids Infinity * 0 = NaN.
  const grown = policy.baseMs * 2 ** Math.min(n, 60);
  return Math.max(0, Math.min(policy.maxMs, grown));
}

/** Delay before retry `attempt`; `random` returns a number in [0, 1) (Math.random by default). */
export function delayMs(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.floor(r * ceilingMs(attempt, policy));
}
