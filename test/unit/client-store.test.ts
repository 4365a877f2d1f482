/** Client SDK: the in-memory store and the emitter, as laws. */
import { describe, expect, it, vi } from "vitest";
import { Emitter, MemoryStore, type PendingMutation } from "../../client/index.js";

const row = (id: string, gen: number) => ({
  model: "notes.Note", row_id: id, rev: `${gen}-${"a".repeat(32)}`, data: { t: id }, deleted: false, conflicts: [],
});
const push = (n: number, row_id = `r${n}`): PendingMutation => ({
  kind: "push", created_at: 0, mutation: { mutation_id: `c:${n}`, model: "notes.Note", row_id, operation: "create", data: { n } },
});

describe("MemoryStore", () => {
  it("the mutation counter only grows", () => {
    const s = new MemoryStore({ counter: 41 });
    expect([s.nextMutationNumber(), s.nextMutationNumber()]).toEqual([42, 43]);
  });

  it("each store has its own random mutation id prefix, kept for its lifetime and restorable", () => {
    const prefixes = new Set(Array.from({ length: 100 }, () => new MemoryStore().mutationIdPrefix()));
    expect(prefixes.size).toBe(100);
    for (const p of prefixes) expect(p).toMatch(/^[0-9a-z]{16,64}$/);
    const s = new MemoryStore();
    expect(s.mutationIdPrefix()).toBe(s.mutationIdPrefix());
    expect(new MemoryStore({ idPrefix: "k7d2m9q4x8w1z5v3", counter: 7 }).mutationIdPrefix()).toBe("k7d2m9q4x8w1z5v3");
  });

  it("returned objects are copies: mutating them does not change the store", () => {
    const s = new MemoryStore();
    s.applyChanges([row("a", 1)], "e:1", false);
    s.putPending(push(1));
    s.getRow("notes.Note", "a")!.data!.t = "hacked";
    s.listRows()[0]!.rev = "9-x";
    (s.listPending()[0] as { mutation: { data: unknown } }).mutation.data = null;
    expect(s.getRow("notes.Note", "a")).toEqual(row("a", 1));
    expect(s.listPending()).toEqual([push(1)]);
  });

  it("pending entries keep their order; replacing one keeps its place", () => {
    const s = new MemoryStore();
    for (const n of [1, 2, 3]) s.putPending(push(n));
    s.putPending({ ...push(2), created_at: 99 });
    expect(s.listPending().map((p) => p.created_at)).toEqual([0, 99, 0]);
    expect(s.removePending("c:2")).toBe(true);
    expect(s.removePending("c:2")).toBe(false);
    expect(s.listPending().map((p) => (p.kind === "push" ? p.mutation.mutation_id : ""))).toEqual(["c:1", "c:3"]);
  });

  it("applyChanges upserts rows, stores the cursor, and reset drops everything first", () => {
    const s = new MemoryStore();
    s.applyChanges([row("a", 1), row("b", 1)], "e:2", false);
    s.applyChanges([row("a", 2)], "e:3", false);
    expect(s.listRows().map((r) => `${r.row_id}@${r.rev[0]}`)).toEqual(["a@2", "b@1"]);
    expect(s.getCursor()).toBe("e:3");
    s.applyChanges([row("c", 1)], "f:1", true);
    expect(s.listRows().map((r) => r.row_id)).toEqual(["c"]);
    expect(s.getCursor()).toBe("f:1");
  });

  it("listRows filters by model", () => {
    const s = new MemoryStore({ rows: [row("a", 1), { ...row("t", 1), model: "todo.Task" }] });
    expect(s.listRows("todo.Task").map((r) => r.row_id)).toEqual(["t"]);
    expect(s.listRows()).toHaveLength(2);
  });
});

describe("Emitter", () => {
  it("a throwing listener does not stop the others and surfaces asynchronously", () => {
    const e = new Emitter<{ tick: number }>();
    const seen: number[] = [];
    e.on("tick", () => { throw new Error("listener bug"); });
    e.on("tick", (n) => seen.push(n));
    const deferred: Array<() => void> = [];
    vi.stubGlobal("queueMicrotask", (fn: () => void) => deferred.push(fn));
    try {
      e.emit("tick", 1);
    } finally {
      vi.unstubAllGlobals();
    }
    expect(seen).toEqual([1]);
    expect(deferred).toHaveLength(1);
    expect(() => deferred[0]!()).toThrow("listener bug");
  });

  it("on() returns an unsubscribe; once() fires once", () => {
    const e = new Emitter<{ tick: number }>();
    const seen: string[] = [];
    const off = e.on("tick", (n) => seen.push(`on${n}`));
    e.once("tick", (n) => seen.push(`once${n}`));
    e.emit("tick", 1);
    off();
    e.emit("tick", 2);
    expect(seen).toEqual(["on1", "once1"]);
  });
});
