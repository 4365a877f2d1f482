/** The outbox pacing rule (durable/origin/pacing.ts), as laws over its inputs. */
import { describe, expect, it } from "vitest";
import { drainDueMs } from "../../durable/origin/pacing.js";

const base = { nowMs: 10_000, lastDrainMs: null as number | null, intervalMs: 5000, retryAtMs: 0, full: false };

describe("drainDueMs", () => {
  it("an object that has not drained yet drains now", () => {
    expect(drainDueMs(base)).toBe(10_000);
  });
  it("idle for longer than the interval: now", () => {
    expect(drainDueMs({ ...base, lastDrainMs: 4_000 })).toBe(10_000);
  });
  it("within the interval of the last drain: at its end", () => {
    expect(drainDueMs({ ...base, lastDrainMs: 8_000 })).toBe(13_000);
  });
  it("a full batch waiting: now, whatever the interval", () => {
    expect(drainDueMs({ ...base, lastDrainMs: 9_999, full: true })).toBe(10_000);
  });
  it("a retry after a failure follows its backoff alone, full batch or not", () => {
    expect(drainDueMs({ ...base, lastDrainMs: 8_000, retryAtMs: 11_000 })).toBe(11_000);
    expect(drainDueMs({ ...base, lastDrainMs: 8_000, retryAtMs: 20_000 })).toBe(20_000);
    expect(drainDueMs({ ...base, lastDrainMs: 8_000, retryAtMs: 20_000, full: true })).toBe(20_000);
    expect(drainDueMs({ ...base, lastDrainMs: 8_000, retryAtMs: 9_000 })).toBe(10_000);
  });
  it("interval 0: every commit drains now", () => {
    expect(drainDueMs({ ...base, lastDrainMs: 10_000, intervalMs: 0 })).toBe(10_000);
  });
});
