/**
 * A per-socket token bucket (PROTOCOL 4.1 `rate_limited` with `retry_after_ms`). Pure: the state
 * is a small JSON value kept in the socket attachment, so it survives hibernation; nothing here
 * holds a timer or reads a clock.
 *
 * The bucket holds at most `burst` tokens and refills continuously at `ratePerS` tokens a
 * second. A fresh socket starts full. Each admitted frame takes one token.
 */
import { z } from "zod";

/** Decoded from the socket attachment, so it is validated like any other input. */
export const Bucket = z.object({
  tokens: z.number().finite(),
  updated_ms: z.number().finite(),
});
export type Bucket = z.infer<typeof Bucket>;

export interface TakeResult {
  allowed: boolean;
  /** The state to store back in the attachment, whether or not the token was granted. */
  state: Bucket;
  /** 0 when allowed; otherwise the wait (ms, at least 1) after which one token is available. */
  retry_after_ms: number;
}

/**
 * Float refill arithmetic may land a hair under a whole token after waiting exactly
 * `retry_after_ms`; this slack keeps the promise that such a retry is admitted.
 */
const TOKEN_EPSILON = 1e-9;

/**
 * Take one token at `nowMs`.
 *
 * Clock going backwards (a different machine's clock after the object moved, or a corrupted
 * attachment): no refill is granted for the negative interval and the bucket's time is rebased
 * to `nowMs`, so the limiter neither throws nor stays locked until the old time comes back.
 * The refill later granted for a forward jump is bounded by `burst` anyway.
 */
export function takeToken(state: Bucket | undefined, nowMs: number, ratePerS: number, burst: number): TakeResult {
  if (!(ratePerS > 0) || !Number.isFinite(ratePerS)) throw new RangeError("ratePerS must be a positive finite number");
  if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError("burst must be a finite number >= 1");
  if (!Number.isFinite(nowMs)) throw new RangeError("nowMs must be finite");

  let tokens: number;
  if (state === undefined || !Number.isFinite(state.tokens) || !Number.isFinite(state.updated_ms)) {
    tokens = burst;
  } else {
    const elapsedMs = Math.max(0, nowMs - state.updated_ms);
    tokens = Math.min(burst, Math.max(0, state.tokens) + (elapsedMs * ratePerS) / 1000);
  }

  if (tokens >= 1 - TOKEN_EPSILON) {
    return { allowed: true, state: { tokens: Math.max(0, tokens - 1), updated_ms: nowMs }, retry_after_ms: 0 };
  }
  // The smallest whole wait after which the refill (computed exactly as above) reaches a token;
  // the estimate can be one off either way through float rounding, so nudge it into place.
  const refilled = (waitMs: number) => tokens + (waitMs * ratePerS) / 1000 >= 1 - TOKEN_EPSILON;
  let retryAfterMs = Math.max(1, Math.ceil(((1 - tokens) * 1000) / ratePerS));
  while (!refilled(retryAfterMs)) retryAfterMs++;
  while (retryAfterMs > 1 && refilled(retryAfterMs - 1)) retryAfterMs--;
  return { allowed: false, state: { tokens, updated_ms: nowMs }, retry_after_ms: retryAfterMs };
}
