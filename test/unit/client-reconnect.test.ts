/** Client SDK: reconnection policy, full-jitter backoff, heartbeat, and clean shutdown. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type CloseInfo, fullJitterDelay } from "../../client/index.js";
import { connectReady, cursor, FakeRelay, sleep, trackClientTimers, useFakeRelay } from "../support/fake-relay.js";

const fake = useFakeRelay();
const client = fake.client;

/** A scripted random(): returns the given values in turn, then the last one forever. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
};

describe("fullJitterDelay", () => {
  it("is random() times the capped exponential ceiling", () => {
    const b = { baseMs: 100, maxMs: 1_000 };
    expect(fullJitterDelay(0, b, () => 0.5)).toBe(50);
    expect(fullJitterDelay(3, b, () => 0.5)).toBe(400);
    expect(fullJitterDelay(4, b, () => 0.5)).toBe(500); // 1600 capped at 1000
    expect(fullJitterDelay(2000, b, () => 0.999)).toBe(999); // no overflow on long outages
    expect(fullJitterDelay(5, b, () => 0)).toBe(0); // full jitter reaches down to zero
  });
});

describe("reconnection", () => {
  it("backs off with full jitter from the injected random, and resets after a sync", async () => {
    const c = client({ backoff: { baseMs: 40, maxMs: 200 }, random: sequence(0.5, 0.25, 0.9, 0.9, 0.5) });
    const delays: Array<{ attempt: number; delayMs: number }> = [];
    c.on("reconnecting", (e) => delays.push(e));
    let refuse = 4;
    fake.relay.onConnection = (conn) => { if (refuse-- > 0) conn.close(1013, "busy"); };
    const closedAt: number[] = [];
    const openedAt: number[] = [];
    c.on("close", () => closedAt.push(Date.now()));
    c.on("open", () => openedAt.push(Date.now()));
    c.connect();
    const conn5 = await fake.relay.connection(5, 5_000);
    expect(delays).toEqual([
      { attempt: 0, delayMs: 20 },  // 0.5  * min(200, 40)
      { attempt: 1, delayMs: 20 },  // 0.25 * min(200, 80)
      { attempt: 2, delayMs: 144 }, // 0.9  * min(200, 160)
      { attempt: 3, delayMs: 180 }, // 0.9  * min(200, 320)
    ]);
    await conn5.waitForType("sync_start");
    for (let i = 0; i < 4; i++) expect(openedAt[i + 1]! - closedAt[i]!).toBeGreaterThanOrEqual(delays[i]!.delayMs - 2);
    conn5.send({ type: "sync_ready", cursor: cursor(0), server_schema_version: "0123456789abcdef" });
    await c.ready;
    conn5.drop();
    await fake.relay.connection(6);
    expect(delays.at(-1)).toEqual({ attempt: 0, delayMs: 20 }); // 0.5 * 40: the exponent restarted
  });

  it("retries 1012 (restarting) and resumes from the stored cursor", async () => {
    const c = client();
    const conn1 = await connectReady(fake.relay, c);
    conn1.send({ type: "changes", rows: [], cursor: cursor(12), more: false });
    await conn1.until(() => c.cursor === cursor(12));
    const closes: CloseInfo[] = [];
    c.on("close", (e) => closes.push(e));
    conn1.close(1012, "deploy");
    const conn2 = await fake.relay.connection(2);
    const [start] = await conn2.waitForType("sync_start");
    expect(start!.since).toBe(cursor(12));
    expect(closes).toEqual([{ code: 1012, reason: "deploy", willReconnect: true, state: "backoff" }]);
  });

  it("keeps retrying while the relay is unreachable", async () => {
    await fake.relay.stop();
    const c = client({ random: () => 0 });
    const attempts: number[] = [];
    c.on("reconnecting", (e) => attempts.push(e.attempt));
    c.connect();
    await sleep(100);
    expect(attempts.length).toBeGreaterThanOrEqual(3);
    expect(attempts.slice(0, 3)).toEqual([0, 1, 2]);
    expect(c.state === "backoff" || c.state === "connecting").toBe(true);
    fake.relay = await FakeRelay.start(); // on another port: only so afterEach has a server to stop
  });

  it("4401 is not retried: it waits for a new token, then reconnects with it", async () => {
    const c = client({ token: "old" });
    const events: string[] = [];
    c.on("close", (e) => events.push(`close ${e.code} ${e.willReconnect}`));
    c.on("auth_required", (e) => events.push(`auth_required ${e.code}`));
    c.on("reconnecting", () => events.push("reconnecting"));
    fake.relay.onConnection = (conn) => { if (fake.relay.connections.length === 1) conn.close(4401, "expired"); };
    const ready = c.connect();
    await expect(ready).rejects.toMatchObject({ code: "auth_required" });
    await sleep(100);
    expect(fake.relay.connections).toHaveLength(1);
    expect(c.state).toBe("waiting_for_token");
    expect(events).toEqual(["close 4401 false", "auth_required 4401"]);
    c.setToken("fresh");
    const conn2 = await fake.relay.connection(2);
    expect(conn2.offered).toEqual(["djazzkit", "djazzkit.bearer.fresh"]);
    await conn2.waitForType("sync_start");
  });

  it.each([4403, 1008])("close %i stops the client", async (code) => {
    const c = client();
    fake.relay.onConnection = (conn) => conn.close(code, "no");
    await expect(c.connect()).rejects.toMatchObject({ code: "forbidden" });
    await sleep(80);
    expect(fake.relay.connections).toHaveLength(1);
    expect(c.state).toBe("stopped");
  });

  it("a socket that stops answering pings is abandoned and replaced", async () => {
    fake.relay.answerPings = false;
    const c = client({ pingIntervalMs: 30, pongTimeoutMs: 40 });
    const conn1 = await connectReady(fake.relay, c);
    const conn2 = await fake.relay.connection(2, 2_000);
    expect(conn1.ofType("ping").length).toBeGreaterThanOrEqual(1);
    await conn1.until(() => conn1.closed !== null);
    expect(conn1.closed?.code).toBe(4000);
    await conn2.waitForType("sync_start");
  });

  it("a socket that answers pings is kept", async () => {
    const c = client({ pingIntervalMs: 20, pongTimeoutMs: 30 });
    const conn = await connectReady(fake.relay, c);
    await sleep(200);
    expect(conn.ofType("ping").length).toBeGreaterThanOrEqual(4);
    expect(fake.relay.connections).toHaveLength(1);
    expect(c.state).toBe("ready");
  });
});

describe("close()", () => {
  let tracker: ReturnType<typeof trackClientTimers>;
  beforeEach(() => { tracker = trackClientTimers(); });
  afterEach(() => tracker.restore());

  it("leaves no timers behind", async () => {
    const c = client({ pingIntervalMs: 1_000, requestTimeoutMs: 10_000, connectTimeoutMs: 10_000 });
    const conn = await connectReady(fake.relay, c);
    const q = c.query({ model: "notes.Note" });
    c.create("notes.Note", { x: 1 });
    await conn.waitForType("push");
    await conn.waitForType("query");
    expect(tracker.pending().length).toBe(3); // heartbeat, request timeout, push-answer timeout
    await c.close();
    await expect(q).rejects.toMatchObject({ code: "closed" });
    expect(tracker.pending()).toEqual([]);
    expect(c.state).toBe("closed");
    await conn.until(() => conn.closed !== null);
    expect(conn.closed?.code).toBe(1000);
  });

  it("during backoff cancels the pending reconnection", async () => {
    const c = client({ backoff: { baseMs: 5_000, maxMs: 5_000 }, random: () => 1 });
    fake.relay.onConnection = (conn) => conn.close(1013, "later");
    c.connect();
    await new Promise<void>((resolve) => c.once("reconnecting", () => resolve()));
    expect(c.state).toBe("backoff");
    expect(tracker.pending().length).toBe(1); // the reconnection timer
    await c.close();
    expect(tracker.pending()).toEqual([]);
    await sleep(50);
    expect(fake.relay.connections).toHaveLength(1);
  });

  it("while connecting cancels the connect timeout", async () => {
    const c = client({ connectTimeoutMs: 5_000 });
    c.connect();
    expect(c.state).toBe("connecting");
    expect(tracker.pending().length).toBe(1);
    await c.close();
    expect(tracker.pending()).toEqual([]);
  });
});
