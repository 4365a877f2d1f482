/** The outbox's retry delays: exponential ceiling, full jitter, bounded. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ceilingMs, delayMs, OUTBOX_BACKOFF } from "../../origin-client/backoff.js";

const policy = { baseMs: 100, maxMs: 10_000 };

describe("backoff with full jitter", () => {
  it("the ceiling doubles per attempt until the cap", () => {
    expect([0, 1, 2, 3, 6, 7, 50, 5000].map((a) => ceilingMs(a, policy))).toEqual([100, 200, 400, 800, 6400, 10_000, 10_000, 10_000]);
  });

  it("the delay spans the whole range [0, ceiling)", () => {
    expect(delayMs(3, policy, () => 0)).toBe(0);
    expect(delayMs(3, policy, () => 0.5)).toBe(400);
    expect(delayMs(3, policy, () => 0.999999)).toBe(799);
  });

  it("every delay is a finite integer within [0, min(max, base*2^attempt)]", () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 10_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, r) => {
        const d = delayMs(attempt, OUTBOX_BACKOFF, () => r);
        return Number.isInteger(d) && d >= 0 && d <= ceilingMs(attempt, OUTBOX_BACKOFF) && d <= OUTBOX_BACKOFF.maxMs;
      }),
    );
  });

  it("jitter spreads many retries of the same attempt", () => {
    const delays = new Set(Array.from({ length: 200 }, () => delayMs(5, policy)));
    expect(delays.size).toBeGreaterThan(100);
  });
});
