/**
 * Reconnection delays: exponential backoff with FULL jitter
 * (delay = random() * min(maxMs, baseMs * 2^attempt)), which spreads a crowd of clients
 * dropped at the same moment (a deploy) evenly over the window instead of in waves.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/** `attempt` counts from 0 (the first reconnection after a drop). */
export function fullJitterDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  // Cap the exponent so 2^attempt never overflows to Infinity on very long outages.
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 52));
  return Math.floor(random() * ceiling);
}
