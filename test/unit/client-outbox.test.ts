/** Client SDK: the pending outbox — batching, re-sending after drops, results, chaining. */
import { describe, expect, it } from "vitest";
import { MemoryStore, type MutationResult } from "../../client/index.js";
import { connectReady, cursor, type Frame, rev, sleep, useFakeRelay } from "../support/fake-relay.js";

const fake = useFakeRelay();
const client = fake.client;

type WireMutation = { mutation_id: string; model: string; row_id: string; operation: string; base_rev?: string; data?: unknown };
const mutationsOf = (push: Frame) => push.mutations as WireMutation[];
const applied = (m: WireMutation, gen = 1): MutationResult => ({ mutation_id: m.mutation_id, status: "applied", rev: rev(gen, "b") });

describe("push batching", () => {
  it("writes made in one tick go out in frames of at most maxBatch, in order", async () => {
    const c = client({ maxBatch: 100, maxInFlightPushes: 10 });
    const conn = await connectReady(fake.relay, c);
    const handles = Array.from({ length: 250 }, (_, i) => c.create("notes.Note", { title: `n${i}` }));
    const pushes = await conn.waitForType("push", 3);
    await sleep(30);
    expect(conn.ofType("push").map((p) => mutationsOf(p).length)).toEqual([100, 100, 50]);
    const sent = pushes.flatMap(mutationsOf).map((m) => m.mutation_id);
    expect(sent).toEqual(handles.map((h) => h.mutation_id));
    const prefix = c.store.mutationIdPrefix();
    expect(sent).toEqual(Array.from({ length: 250 }, (_, i) => `c1:${prefix}:${i + 1}`));
    const first = mutationsOf(pushes[0]!)[0]!;
    expect(first).toEqual({ mutation_id: `c1:${prefix}:1`, model: "notes.Note", row_id: handles[0]!.row_id, operation: "create", data: { title: "n0" } });
    expect(handles[0]!.row_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("the in-flight window holds further frames until results arrive", async () => {
    const c = client({ maxBatch: 2, maxInFlightPushes: 1 });
    const conn = await connectReady(fake.relay, c);
    for (let i = 0; i < 5; i++) c.create("notes.Note", { i });
    const [p1] = await conn.waitForType("push", 1);
    await sleep(30);
    expect(conn.ofType("push")).toHaveLength(1);
    conn.send({ type: "push_result", request_id: p1!.request_id, results: mutationsOf(p1!).map((m) => applied(m)) });
    const pushes = await conn.waitForType("push", 2);
    const prefix = c.store.mutationIdPrefix();
    expect(mutationsOf(pushes[1]!).map((m) => m.mutation_id)).toEqual([`c1:${prefix}:3`, `c1:${prefix}:4`]);
  });

  it("writes made while offline are sent after sync_ready, not before", async () => {
    const c = client();
    const h = c.create("notes.Note", { title: "offline" });
    c.connect();
    const conn = await fake.relay.connection();
    await conn.waitForType("sync_start");
    await sleep(30);
    expect(conn.ofType("push")).toHaveLength(0);
    conn.send({ type: "sync_ready", cursor: cursor(0), server_schema_version: "0123456789abcdef" });
    const [push] = await conn.waitForType("push");
    expect(mutationsOf(push!).map((m) => m.mutation_id)).toEqual([h.mutation_id]);
  });
});

describe("results and re-sending", () => {
  it("pending writes are re-sent after a disconnect and removed only by push_result", async () => {
    const c = client();
    const pushEvents: string[][] = [];
    c.on("push", (e) => pushEvents.push(e.mutation_ids));
    const conn1 = await connectReady(fake.relay, c);
    const a = c.create("notes.Note", { title: "a" });
    const b = c.create("notes.Note", { title: "b" });
    const [push1] = await conn1.waitForType("push");
    expect(mutationsOf(push1!).map((m) => m.mutation_id)).toEqual([a.mutation_id, b.mutation_id]);
    // Only `a` is acknowledged before the connection dies.
    conn1.send({ type: "push_result", results: [applied(mutationsOf(push1!)[0]!)] });
    await expect(a).resolves.toMatchObject({ mutation_id: a.mutation_id, status: "applied" });
    expect(c.pendingCount).toBe(1);
    conn1.drop();

    const conn2 = await fake.relay.connection(2);
    await conn2.waitForType("sync_start");
    await sleep(20);
    expect(conn2.ofType("push")).toHaveLength(0); // nothing before sync_ready
    conn2.send({ type: "sync_ready", cursor: cursor(1), server_schema_version: "0123456789abcdef" });
    const [push2] = await conn2.waitForType("push");
    const resent = mutationsOf(push2!);
    expect(resent.map((m) => m.mutation_id)).toEqual([b.mutation_id]);
    expect(resent[0]).toEqual(mutationsOf(push1!)[1]); // byte-for-byte the same write
    expect(c.pendingCount).toBe(1);
    conn2.send({ type: "push_result", results: [{ ...applied(resent[0]!), duplicate: true }] });
    await expect(b).resolves.toEqual({ ...applied(resent[0]!), duplicate: true });
    expect(c.pendingCount).toBe(0);
    expect(pushEvents).toEqual([[a.mutation_id, b.mutation_id], [b.mutation_id]]);
  });

  it("a repeated result for a settled write changes nothing", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const results: MutationResult[][] = [];
    c.on("push_result", (e) => results.push(e.results));
    const a = c.create("notes.Note", { title: "a" });
    const later = c.create("notes.Note", { title: "later" });
    const [push] = await conn.waitForType("push");
    const [ma] = mutationsOf(push!);
    conn.send({ type: "push_result", results: [applied(ma!)] });
    conn.send({ type: "push_result", results: [{ ...applied(ma!), duplicate: true }] });
    await conn.until(() => results.length === 2);
    await expect(a).resolves.toEqual(applied(ma!)); // the first answer wins
    expect(c.pendingCount).toBe(1);
    expect(c.store.listPending().map((p) => p.kind === "push" && p.mutation.mutation_id)).toEqual([later.mutation_id]);
  });

  it("a rejected write is removed and its promise resolves with the rejection", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const h = c.create("notes.Note", { title: 5 });
    const [push] = await conn.waitForType("push");
    const rejection = { mutation_id: mutationsOf(push!)[0]!.mutation_id, status: "rejected", code: "invalid_field_value", message: "title" };
    conn.send({ type: "push_result", results: [rejection] });
    await expect(h).resolves.toEqual(rejection);
    expect(c.pendingCount).toBe(0);
  });

  it("mutation_confirmed and mutation_rejected become events", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const seen: string[] = [];
    c.on("confirmed", (m) => seen.push(`ok ${m.mutation_id}`));
    c.on("rejected", (m) => seen.push(`no ${m.mutation_id} ${m.code}`));
    conn.send({ type: "mutation_confirmed", mutation_id: "c1:1", rev: rev(1) });
    conn.send({ type: "mutation_rejected", mutation_id: "c1:2", rev: rev(1), code: "origin_rejected", message: "nope" });
    await conn.until(() => seen.length === 2);
    expect(seen).toEqual(["ok c1:1", "no c1:2 origin_rejected"]);
  });

  it("mutation numbers continue from the store across client instances", async () => {
    const store = new MemoryStore();
    const first = client({ store });
    first.create("notes.Note", { n: 1 });
    first.create("notes.Note", { n: 2 });
    await first.close();
    const second = client({ store });
    const p = store.mutationIdPrefix();
    expect(second.create("notes.Note", { n: 3 }).mutation_id).toBe(`c1:${p}:3`);
    expect(store.listPending()).toHaveLength(3); // the first client's writes survived close()
    const conn = await connectReady(fake.relay, second);
    const [push] = await conn.waitForType("push");
    expect(mutationsOf(push!).map((m) => m.mutation_id)).toEqual([`c1:${p}:1`, `c1:${p}:2`, `c1:${p}:3`]);
  });

  it("processes that share a clientId but not a store never make the same mutation id (issue 8, item 1)", async () => {
    // A Node program run twice, a page reloaded with an in-memory store, two installations
    // configured with one fixed clientId: each store has its own random prefix.
    const ids = new Set<string>();
    for (let run = 0; run < 20; run++) {
      const c = client({ clientId: "fixed-id" });
      for (let i = 0; i < 3; i++) ids.add(c.create("notes.Note", { run, i }).mutation_id);
      await c.close();
    }
    expect(ids.size).toBe(60);
    for (const id of ids) expect(id.startsWith("fixed-id:")).toBe(true);
  });

  it("a clientId that would put mutation ids in the relay's namespace is refused at construction", () => {
    expect(() => client({ clientId: "relay" })).toThrow(/clientId/);
  });

  it("close() rejects the promises of writes still pending but keeps them stored", async () => {
    const c = client();
    const h = c.create("notes.Note", { title: "x" });
    await c.close();
    await expect(h).rejects.toMatchObject({ code: "closed" });
    expect(c.store.listPending()).toHaveLength(1);
    expect(() => c.create("notes.Note", {})).toThrow(/closed/);
  });
});

describe("base revisions", () => {
  it("update and delete name the local revision as base_rev", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    conn.send({ type: "changes", rows: [{ model: "notes.Note", row_id: "r1", rev: rev(3), data: { title: "t" }, deleted: false, conflicts: [] }], cursor: cursor(1), more: false });
    await conn.until(() => c.get("notes.Note", "r1") !== undefined);
    c.update("notes.Note", "r1", { title: "u" });
    const [push] = await conn.waitForType("push");
    expect(mutationsOf(push!)[0]).toMatchObject({ row_id: "r1", operation: "update", base_rev: rev(3), data: { title: "u" } });
  });

  it("a second write to a row waits for the first and is based on the revision it produced", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const created = c.create("notes.Note", { title: "v1" });
    const updated = c.update("notes.Note", created.row_id, { title: "v2" });
    const deleted = c.delete("notes.Note", created.row_id);
    const [p1] = await conn.waitForType("push");
    expect(mutationsOf(p1!).map((m) => m.operation)).toEqual(["create"]);
    conn.send({ type: "push_result", results: [{ mutation_id: created.mutation_id, status: "applied", rev: rev(1, "c") }] });
    const [, p2] = await conn.waitForType("push", 2);
    expect(mutationsOf(p2!)).toEqual([{ mutation_id: updated.mutation_id, model: "notes.Note", row_id: created.row_id, operation: "update", base_rev: rev(1, "c"), data: { title: "v2" } }]);
    conn.send({ type: "push_result", results: [{ mutation_id: updated.mutation_id, status: "applied", rev: rev(2, "d") }] });
    const [, , p3] = await conn.waitForType("push", 3);
    expect(mutationsOf(p3!)).toEqual([{ mutation_id: deleted.mutation_id, model: "notes.Note", row_id: created.row_id, operation: "delete", base_rev: rev(2, "d") }]);
  });
});

describe("base revisions after an awaited write", () => {
  const changesFor = (row_id: string, r: string, title: string) => ({
    type: "changes", rows: [{ model: "notes.Note", row_id, rev: r, data: { title }, deleted: false, conflicts: [] }], cursor: cursor(1), more: false,
  });

  it("a write made after awaiting another, before its broadcast arrives, is based on the awaited result", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const created = c.create("notes.Note", { title: "v1" });
    await conn.waitForType("push");
    conn.send({ type: "push_result", results: [{ mutation_id: created.mutation_id, status: "applied", rev: rev(1, "c") }] });
    await created; // the `changes` broadcast has not been sent yet
    expect(c.get("notes.Note", created.row_id)).toBeUndefined();
    const updated = c.update("notes.Note", created.row_id, { title: "v2" });
    const [, p2] = await conn.waitForType("push", 2);
    expect(mutationsOf(p2!)[0]).toMatchObject({ mutation_id: updated.mutation_id, base_rev: rev(1, "c") });
  });

  it("once the local copy is newer than our last result, the local revision is the base again", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const created = c.create("notes.Note", { title: "v1" });
    await conn.waitForType("push");
    conn.send({ type: "push_result", results: [{ mutation_id: created.mutation_id, status: "applied", rev: rev(1, "c") }] });
    await created;
    conn.send(changesFor(created.row_id, rev(3, "e"), "someone else's"));
    await conn.until(() => c.get("notes.Note", created.row_id) !== undefined);
    c.update("notes.Note", created.row_id, { title: "mine" });
    const [, p2] = await conn.waitForType("push", 2);
    expect(mutationsOf(p2!)[0]!.base_rev).toBe(rev(3, "e"));
  });

  it("a revision the origin undid (mutation_rejected) is never used as a base", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    conn.send(changesFor("r1", rev(1, "a"), "base"));
    await conn.until(() => c.get("notes.Note", "r1") !== undefined);
    const u1 = c.update("notes.Note", "r1", { title: "refused later" });
    await conn.waitForType("push");
    conn.send({ type: "push_result", results: [{ mutation_id: u1.mutation_id, status: "applied", rev: rev(2, "b") }] });
    await u1;
    conn.send({ type: "mutation_rejected", mutation_id: u1.mutation_id, rev: rev(2, "b"), code: "origin_rejected", message: "no" });
    await new Promise<void>((resolve) => c.once("rejected", () => resolve()));
    c.update("notes.Note", "r1", { title: "again" });
    const [, p2] = await conn.waitForType("push", 2);
    expect(mutationsOf(p2!)[0]!.base_rev).toBe(rev(1, "a"));
  });
});

describe("conflict resolution", () => {
  it("is sent as resolve_conflict and settled by the push_result for its mutation id", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const h = c.resolveConflict("notes.Note", "r9", { title: "merged" });
    const [frame] = await conn.waitForType("resolve_conflict");
    expect(frame).toMatchObject({ type: "resolve_conflict", mutation_id: h.mutation_id, model: "notes.Note", row_id: "r9", data: { title: "merged" } });
    expect(typeof frame!.request_id).toBe("string");
    conn.send({ type: "push_result", results: [{ mutation_id: h.mutation_id, status: "applied", rev: rev(4) }] });
    await expect(h).resolves.toMatchObject({ status: "applied", rev: rev(4) });
    expect(c.pendingCount).toBe(0);
  });

  it("an error naming the resolution's request settles it as rejected", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const h = c.resolveConflict("notes.Note", "r9", { title: "merged" });
    const [frame] = await conn.waitForType("resolve_conflict");
    conn.send({ type: "error", request_id: frame!.request_id, code: "forbidden", message: "not yours" });
    await expect(h).resolves.toEqual({ mutation_id: h.mutation_id, status: "rejected", code: "forbidden", message: "not yours" });
    expect(c.pendingCount).toBe(0);
  });
});

describe("refused push frames", () => {
  it("rate_limited keeps the writes and retries after retry_after_ms", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const h = c.create("notes.Note", { title: "x" });
    const [p1] = await conn.waitForType("push");
    conn.send({ type: "error", request_id: p1!.request_id, code: "rate_limited", message: "slow down", details: { retry_after_ms: 60 } });
    await sleep(30);
    expect(conn.ofType("push")).toHaveLength(1);
    const [, p2] = await conn.waitForType("push", 2);
    expect(mutationsOf(p2!)).toEqual(mutationsOf(p1!));
    conn.send({ type: "push_result", results: [applied(mutationsOf(p2!)[0]!)] });
    await expect(h).resolves.toMatchObject({ status: "applied" });
  });

  it("too_many_mutations halves the batch and re-sends", async () => {
    const c = client({ maxBatch: 8 });
    const conn = await connectReady(fake.relay, c);
    for (let i = 0; i < 8; i++) c.create("notes.Note", { i });
    const [p1] = await conn.waitForType("push");
    expect(mutationsOf(p1!)).toHaveLength(8);
    conn.send({ type: "error", request_id: p1!.request_id, code: "too_many_mutations", message: "max 4" });
    const pushes = await conn.waitForType("push", 3);
    expect(pushes.slice(1).map((p) => mutationsOf(p).length)).toEqual([4, 4]);
    expect(c.pendingCount).toBe(8);
  });

  it("an unattributed rate_limited (no request id) re-sends the oldest push after retry_after_ms", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const h = c.create("notes.Note", { title: "x" });
    const [p1] = await conn.waitForType("push");
    conn.send({ type: "error", code: "rate_limited", message: "slow down", details: { retry_after_ms: 40 } });
    await sleep(20);
    expect(conn.ofType("push")).toHaveLength(1);
    const [, p2] = await conn.waitForType("push", 2);
    expect(mutationsOf(p2!)).toEqual(mutationsOf(p1!));
    // Had the guess been wrong, the first answer still settles the write and the second is ignored.
    conn.send({ type: "push_result", request_id: p1!.request_id, results: [applied(mutationsOf(p1!)[0]!)] });
    conn.send({ type: "push_result", request_id: p2!.request_id, results: [{ ...applied(mutationsOf(p1!)[0]!), duplicate: true }] });
    await expect(h).resolves.toEqual(applied(mutationsOf(p1!)[0]!));
    expect(c.pendingCount).toBe(0);
  });

  it("a push whose answer never comes is sent again after pushTimeoutMs", async () => {
    const c = client({ pushTimeoutMs: 60 });
    const conn = await connectReady(fake.relay, c);
    c.create("notes.Note", { title: "x" });
    const [p1] = await conn.waitForType("push");
    await sleep(30);
    expect(conn.ofType("push")).toHaveLength(1);
    const [, p2] = await conn.waitForType("push", 2);
    expect(mutationsOf(p2!)).toEqual(mutationsOf(p1!));
    expect(p2!.request_id).not.toBe(p1!.request_id);
  });
});

