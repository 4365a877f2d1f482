import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Bucket, takeToken } from "../../durable/rate-limit.js";

/** Take `n` tokens at the same instant; returns how many were granted and the last result. */
function drain(state: Bucket | undefined, nowMs: number, n: number, rate: number, burst: number) {
  let granted = 0;
  let last = takeToken(state, nowMs, rate, burst);
  let s = state;
  for (let i = 0; i < n; i++) {
    last = takeToken(s, nowMs, rate, burst);
    if (last.allowed) granted++;
    s = last.state;
  }
  return { granted, last, state: s! };
}

describe("token bucket", () => {
  it("a fresh bucket admits exactly `burst` frames at once, then refuses", () => {
    const { granted, last } = drain(undefined, 1_000, 15, 5, 10);
    expect(granted).toBe(10);
    expect(last.allowed).toBe(false);
    expect(last.retry_after_ms).toBe(200); // one token at 5/s
  });

  it("refills at the configured rate and never above burst", () => {
    const empty = drain(undefined, 0, 10, 5, 10).state;
    expect(takeToken(empty, 199, 5, 10).allowed).toBe(false);
    expect(takeToken(empty, 200, 5, 10).allowed).toBe(true);
    // a long idle period refills to burst, not beyond
    expect(drain(empty, 3_600_000, 50, 5, 10).granted).toBe(10);
  });

  it("retry_after_ms is exact: waiting it is enough, one ms less is not", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 500, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.integer({ min: 0, max: 2_000 }), { maxLength: 40 }),
        (rate, burst, gaps) => {
          let now = 1_700_000_000_000;
          let state: Bucket | undefined;
          for (const gap of gaps) {
            now += gap;
            const r = takeToken(state, now, rate, burst);
            state = r.state;
            if (r.allowed) {
              expect(r.retry_after_ms).toBe(0);
              continue;
            }
            expect(r.retry_after_ms).toBeGreaterThanOrEqual(1);
            expect(takeToken(state, now + r.retry_after_ms, rate, burst).allowed).toBe(true);
            if (r.retry_after_ms > 1) {
              expect(takeToken(state, now + r.retry_after_ms - 1, rate, burst).allowed).toBe(false);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("retry_after_ms survives float rounding (regression: 0.1/s after 1374 ms)", () => {
    const empty = takeToken(undefined, 0, 0.1, 1).state;
    const r = takeToken(empty, 1374, 0.1, 1);
    expect(r.retry_after_ms).toBe(8626);
    expect(takeToken(r.state, 1374 + 8626, 0.1, 1).allowed).toBe(true);
    expect(takeToken(r.state, 1374 + 8625, 0.1, 1).allowed).toBe(false);
  });

  it("never admits more than burst + rate * elapsed frames", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 100, noNaN: true }),
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { minLength: 1, maxLength: 200 }),
        (rate, burst, gaps) => {
          const start = 5_000;
          let now = start;
          let state: Bucket | undefined;
          let admitted = 0;
          for (const gap of gaps) {
            now += gap;
            const r = takeToken(state, now, rate, burst);
            state = r.state;
            if (r.allowed) admitted++;
            expect(state.tokens).toBeGreaterThanOrEqual(0);
            expect(state.tokens).toBeLessThanOrEqual(burst);
          }
          expect(admitted).toBeLessThanOrEqual(burst + (rate * (now - start)) / 1000 + 1e-6);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("a clock going backwards grants no refill and does not lock the bucket", () => {
    const empty = drain(undefined, 10_000, 3, 1, 3).state; // 1 token/s, burst 3, now empty
    const back = takeToken(empty, 5_000, 1, 3);
    expect(back.allowed).toBe(false);
    expect(back.retry_after_ms).toBe(1_000);
    expect(back.state.updated_ms).toBe(5_000); // rebased, so refill resumes from the new clock
    expect(takeToken(back.state, 6_000, 1, 3).allowed).toBe(true);
  });

  it("the state is plain JSON and survives an attachment round trip", () => {
    const r = takeToken(undefined, 42, 2, 4);
    const decoded = Bucket.parse(JSON.parse(JSON.stringify(r.state)));
    expect(decoded).toEqual(r.state);
    expect(takeToken(decoded, 42, 2, 4)).toEqual(takeToken(r.state, 42, 2, 4));
  });

  it("a corrupted state is treated as a fresh bucket, never as NaN", () => {
    const r = takeToken({ tokens: Number.NaN, updated_ms: 0 }, 1_000, 1, 2);
    expect(r.allowed).toBe(true);
    expect(r.state.tokens).toBe(1);
    expect(Bucket.safeParse({ tokens: "1", updated_ms: 0 }).success).toBe(false);
    const neg = takeToken({ tokens: -50, updated_ms: 1_000 }, 1_000, 1, 2);
    expect(neg.retry_after_ms).toBe(1_000); // negative tokens are clamped to 0
  });

  it("refuses nonsense configuration", () => {
    expect(() => takeToken(undefined, 0, 0, 1)).toThrow(RangeError);
    expect(() => takeToken(undefined, 0, 1, 0)).toThrow(RangeError);
    expect(() => takeToken(undefined, Number.NaN, 1, 1)).toThrow(RangeError);
  });
});
