/**
 * The SDK's answer to the relay's back-pressure: a `rate_limited` error that names the refused
 * push by `request_id` (write queue full, or the per-socket rate limit) releases exactly that
 * push, sends nothing until `retry_after_ms` has passed, then sends the same mutations again;
 * other pushes in flight are untouched and the writes stay pending (never rejected).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { RelayClientError } from "../../client/errors.js";
import { Outbox } from "../../client/outbox.js";
import { PushLoop } from "../../client/push-loop.js";
import { MemoryStore } from "../../client/store.js";
import type { ClientMessage, Mutation } from "../../schemas/protocol.js";

function setup() {
  const store = new MemoryStore();
  let n = 0;
  const outbox = new Outbox(store, { maxBatch: 1, maxInFlight: 8, maxFrameBytes: 1_000_000, now: () => Date.now() }, () => `r${++n}`);
  const sent: ClientMessage[] = [];
  const loop = new PushLoop({
    outbox,
    synced: () => true,
    send: (f) => sent.push(f),
    sent: () => undefined,
    backoff: { baseMs: 1000, maxMs: 30_000 },
    random: () => 0.5,
    pushTimeoutMs: 30_000,
  });
  const write = (id: string) => {
    const mutation: Mutation = { mutation_id: id, model: "notes.Note", row_id: `row-${id}`, operation: "create", data: { title: id } };
    const handle = outbox.add({ kind: "push", mutation, created_at: Date.now() });
    handle.catch(() => undefined);
    return handle;
  };
  const ids = (f: ClientMessage) => (f.type === "push" ? f.mutations.map((m) => (m as Mutation).mutation_id) : []);
  const rid = (f: ClientMessage) => ("request_id" in f ? f.request_id : undefined);
  return { outbox, loop, sent, write, ids, rid };
}

describe("push loop: rate_limited with a request_id", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("re-sends exactly the refused push after retry_after_ms, and only then", () => {
    const { outbox, loop, sent, write, ids, rid } = setup();
    const a = write("a");
    write("b");
    loop.flush();
    expect(sent.map(ids)).toEqual([["a"], ["b"]]);
    const [first, second] = sent.splice(0);

    const refused = new RelayClientError("rate_limited", "queue full", { retry_after_ms: 700 });
    expect(loop.error(refused, rid(second!))).toBe(true);
    expect(outbox.pendingCount).toBe(2); // refused, not rejected
    expect(outbox.isOwnFrame(rid(first!)!)).toBe(true); // the other push is still in flight

    // An answer for the admitted push does not bring the refused one back early.
    loop.results([{ mutation_id: "a", status: "applied", rev: "1-aa" }], rid(first!));
    return a.then(() => {
      expect(sent).toEqual([]);
      vi.advanceTimersByTime(699);
      expect(sent).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(sent.map(ids)).toEqual([["b"]]);
      expect(rid(sent[0]!)).not.toBe(rid(second!));
      expect(outbox.pendingCount).toBe(1);
    });
  });

  it("a refused resolve_conflict stays pending and is sent again after the delay", () => {
    const { outbox, loop, sent, rid } = setup();
    const handle = outbox.add({ kind: "resolve", mutation_id: "r1", model: "notes.Note", row_id: "row-1", data: { title: "x" }, created_at: 0 });
    let settled = false;
    handle.then(() => (settled = true), () => (settled = true));
    loop.flush();
    expect(sent.map((f) => f.type)).toEqual(["resolve_conflict"]);
    loop.error(new RelayClientError("rate_limited", "queue full", { retry_after_ms: 250 }), rid(sent.pop()!));
    vi.advanceTimersByTime(249);
    expect(sent).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(sent.map((f) => f.type)).toEqual(["resolve_conflict"]);
    expect(outbox.pendingCount).toBe(1);
    return Promise.resolve().then(() => expect(settled).toBe(false));
  });
});
