/** Sync between sockets: push, broadcast, catch-up from cursors, epochs, users kept apart. */
import { describe, expect, it, vi } from "vitest";
import { Client, newUser, note, task, twoSyncedSockets, uuid } from "../support/workers/object-client.js";

vi.setConfig({ testTimeout: 30_000 }); // the first socket pays for bundling and starting workerd

describe("push and broadcast", () => {
  it("two sockets of one user see each other's pushes, the author included", async () => {
    const { user, a, b } = await twoSyncedSockets();
    const row = uuid();
    const res = await a.push([note(row, { title: "from a" })]);
    expect(res.results).toHaveLength(1);
    expect(res.results[0]).toMatchObject({ status: "applied" });
    const rev = res.results[0]!.rev as string;
    for (const c of [a, b]) {
      const ch = await c.takeType("changes");
      expect(ch.rows).toEqual([
        expect.objectContaining({ model: "notes.Note", row_id: row, rev, deleted: false, conflicts: [] }),
      ]);
      expect(ch.rows[0]!.data).toMatchObject({ title: "from a", author: Number(user), _djazzkit_id: row, _djazzkit_rev: 1 });
    }
    const res2 = await b.push([task(uuid(), { title: "from b" })]);
    expect(res2.results[0]!.status).toBe("applied");
    for (const c of [a, b]) {
      const ch = await c.takeType("changes");
      expect(ch.rows[0]!.data!.title).toBe("from b");
    }
  });

  it("a socket of another user sees nothing", async () => {
    const a = await Client.forUser(newUser());
    const other = await Client.forUser(newUser());
    await a.syncStart();
    const { changes } = await other.syncStart();
    expect(changes).toEqual([]);
    await a.push([note(uuid())]);
    await a.takeType("changes");
    await other.expectNone((f) => f.type === "changes", 300);
  });
});

describe("catch-up from a cursor", () => {
  it("reconnecting with a cursor gets only newer rows", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    await a.syncStart();
    const old1 = uuid();
    const old2 = uuid();
    await a.push([note(old1), task(old2)]);
    const first = await a.takeType("changes");
    a.close();

    const b = await Client.forUser(user);
    const { changes, ready } = await b.syncStart();
    expect(changes.flatMap((c) => c.rows).map((r) => r.row_id).sort()).toEqual([old1, old2].sort());
    expect(ready.cursor).toBe(first.cursor);
    expect(changes.every((c) => c.reset === undefined)).toBe(true);
    const cursor = ready.cursor as string;

    const fresh = uuid();
    const upd = await b.push([task(old2, { done: true }, "update")]);
    expect(upd.results[0]!.status).toBe("applied");
    await b.push([note(fresh)]);
    b.close();

    const c = await Client.forUser(user);
    const again = await c.syncStart(cursor);
    const rows = again.changes.flatMap((f) => f.rows);
    expect(rows.map((r) => r.row_id).sort()).toEqual([old2, fresh].sort());
    expect(rows.find((r) => r.row_id === old2)!.data).toMatchObject({ done: true, _djazzkit_rev: 2 });
    expect(again.changes.at(-1)!.more).toBe(false);
    expect(again.changes.at(-1)!.cursor).toBe(again.ready.cursor);

    // Up to date: no changes frame at all, the same cursor back.
    const d = await Client.forUser(user);
    const idle = await d.syncStart(again.ready.cursor);
    expect(idle.changes).toEqual([]);
    expect(idle.ready.cursor).toBe(again.ready.cursor);
  });

  it("a cursor of a foreign epoch gets a full resync with reset", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    await a.syncStart();
    const row = uuid();
    await a.push([note(row)]);
    const b = await Client.forUser(user);
    const { changes, ready } = await b.syncStart("0123456789abcdef:1");
    expect(changes[0]!.reset).toBe(true);
    expect(changes.flatMap((c) => c.rows).map((r) => r.row_id)).toEqual([row]);
    expect(ready.cursor.split(":")[0]).not.toBe("0123456789abcdef");
  });

  it("a cursor ahead of the current seq gets a full resync with reset", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    const { ready } = await a.syncStart();
    const row = uuid();
    await a.push([note(row)]);
    const [epoch, seq] = (ready.cursor as string).split(":");
    const b = await Client.forUser(user);
    const ahead = await b.syncStart(`${epoch}:${Number(seq) + 50}`);
    expect(ahead.changes[0]!.reset).toBe(true);
    expect(ahead.changes.flatMap((c) => c.rows).map((r) => r.row_id)).toEqual([row]);

    // An empty object still answers reset, with zero rows.
    const empty = await Client.forUser(newUser());
    const e = await empty.syncStart(`${epoch}:7`);
    expect(e.changes).toEqual([expect.objectContaining({ type: "changes", rows: [], reset: true, more: false })]);
  });
});

describe("idempotency", () => {
  it("a duplicate mutation_id returns the first result with duplicate: true and writes nothing", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    const watcher = await Client.forUser(user);
    await a.syncStart();
    await watcher.syncStart();
    const m = note(uuid(), { title: "once" });
    const first = await a.push([m]);
    expect(first.results[0]).toMatchObject({ status: "applied" });
    const broadcast = await watcher.takeType("changes");

    // The same mutation again: the first result, nothing written, nothing broadcast.
    const again = await a.push([m]);
    expect(again.results).toEqual([{ ...first.results[0], duplicate: true }]);
    // The same id for other data is refused (object-identity.test.ts), also writing nothing.
    const reused = await a.push([{ ...m, data: { ...m.data, title: "twice" } }]);
    expect(reused.results).toEqual([expect.objectContaining({ status: "rejected", code: "mutation_id_reused" })]);
    // Within one push too.
    const m2 = task(uuid());
    const inOne = await a.push([m2, m2]);
    expect(inOne.results[0]).toMatchObject({ status: "applied" });
    expect(inOne.results[1]).toEqual({ ...inOne.results[0], duplicate: true });
    const second = await watcher.takeType("changes");
    expect(second.rows).toHaveLength(1);
    await watcher.expectNone((f) => f.type === "changes", 200);

    const fresh = await Client.forUser(user);
    const { changes, ready } = await fresh.syncStart();
    const rows = changes.flatMap((c) => c.rows);
    expect(rows.find((r) => r.row_id === m.row_id)!.data!.title).toBe("once");
    expect(rows).toHaveLength(2);
    expect(Number(ready.cursor.split(":")[1])).toBe(Number(broadcast.cursor.split(":")[1]) + 1);
  });
});

describe("lww models", () => {
  it("a lww model keeps no conflicts: every write is a child of the winner", async () => {
    const { user, a, b } = await twoSyncedSockets();
    const row = uuid();
    const created = await a.push([task(row, { title: "base" })]);
    const base = created.results[0]!.rev as string;
    const ra = await a.push([task(row, { title: "from a" }, "update", base)]);
    const rb = await b.push([task(row, { title: "from b" }, "update", base)]);
    expect(ra.results[0]!.status).toBe("applied");
    expect(rb.results[0]!.status).toBe("applied");
    expect(rb.results[0]!.rev!.startsWith("3-")).toBe(true); // child of a's revision, not of base
    a.clear();
    const fresh = await Client.forUser(user);
    const { changes } = await fresh.syncStart();
    const r = changes.flatMap((c) => c.rows).find((x) => x.row_id === row);
    expect(r).toMatchObject({ rev: rb.results[0]!.rev, conflicts: [] });
    expect(r!.data!.title).toBe("from b");
    const list = await fresh.request({ type: "list_conflicts" });
    expect(list).toMatchObject({ type: "conflict_list", rows: [] });
  });
});
