/** WriteQueue: serial execution, `depth` (queued + running), the mean job time and the retry delay it suggests. */
import { describe, expect, it } from "vitest";
import { MAX_RETRY_AFTER_MS, MIN_JOB_MS, MIN_RETRY_AFTER_MS, WriteQueue } from "../../durable/writes/queue.js";

describe("WriteQueue", () => {
  it("runs jobs one at a time in order and counts queued + running jobs in depth", async () => {
    const q = new WriteQueue();
    const order: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = q.run(() => gate.then(() => void order.push("a")));
    const second = q.run(async () => void order.push("b"));
    const failing = q.run(async () => { throw new Error("boom"); });
    const fourth = q.run(async () => void order.push("d"));
    expect(q.depth).toBe(4);
    release();
    await first;
    await second;
    await expect(failing).rejects.toThrow("boom");
    await fourth;
    expect(order).toEqual(["a", "b", "d"]);
    expect(q.depth).toBe(0);
  });

  it("retryAfterMs grows with depth and the measured job time, within bounds", async () => {
    let now = 0;
    const q = new WriteQueue(() => now);
    expect(q.meanJobMs).toBe(MIN_JOB_MS);
    expect(q.retryAfterMs()).toBe(MIN_RETRY_AFTER_MS); // empty queue
    for (let i = 0; i < 50; i++) await q.run(async () => { now += 40; });
    expect(q.meanJobMs).toBeGreaterThan(39);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const jobs = Array.from({ length: 10 }, () => q.run(() => gate));
    expect(q.retryAfterMs()).toBe(Math.ceil(10 * q.meanJobMs));
    const more = Array.from({ length: 1000 }, () => q.run(async () => undefined));
    expect(q.retryAfterMs()).toBe(MAX_RETRY_AFTER_MS);
    release();
    await Promise.all([...jobs, ...more]);
    expect(q.depth).toBe(0);
  });
});
