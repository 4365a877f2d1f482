/**
 * Storage: state survives the object being rebuilt; migrations run once; parent bodies are
 * dropped once a child is confirmed; pending revisions can be undone; DJAZZKIT_REVS_LIMIT
 * stemming keeps the tree bounded without ever losing a leaf. Queries over the winners.
 */
import { abortAllDurableObjects, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { getLeaves, getRow, insertRevision, loadTree, recomputeWinner } from "../../durable/storage/row-store.js";
import { revisionId } from "../../revtree/index.js";
import { LATEST_MIGRATION, migrate } from "../../durable/storage/migrations.js";
import { noteRevisionsAdded, undoRevision } from "../../durable/storage/tree-maintenance.js";
import type { RowData } from "../../schemas/protocol.js";
import { Client, newUser, note, task, uuid } from "../support/workers/object-client.js";
import { mintJwt } from "../support/jwt.js";

vi.setConfig({ testTimeout: 60_000 });

function stub(user: string) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
}

describe("rebuild", () => {
  it("state survives the object being rebuilt: same epoch, rows, conflicts and mutation ids", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    await a.syncStart();
    const row = uuid();
    const created = await a.push([note(row, { title: "base" })]);
    const base = created.results[0]!.rev;
    const full = { body: "b", archived: false };
    const m1 = note(row, { ...full, title: "one" }, "update", base);
    await a.push([m1]);
    await a.push([note(row, { ...full, title: "two" }, "update", base)]);
    const lww = uuid();
    await a.push([task(lww, { title: "lww" })]);
    const { ready } = await (await Client.forUser(user)).syncStart();

    await abortAllDurableObjects();

    const b = await Client.forUser(user);
    const again = await b.syncStart(ready.cursor);
    expect(again.changes).toEqual([]); // same epoch: no reset, nothing newer
    expect(again.ready.cursor).toBe(ready.cursor);
    const all = await (await Client.forUser(user)).syncStart();
    const rows = all.changes.flatMap((f) => f.rows);
    expect(rows.map((r) => r.row_id).sort()).toEqual([row, lww].sort());
    expect(rows.find((r) => r.row_id === row)!.conflicts).toHaveLength(1);
    const dup = await b.push([m1]);
    expect(dup.results[0]!.duplicate).toBe(true);
    // Live broadcasts work on sockets opened after the rebuild.
    const c = await Client.forUser(user);
    await c.syncStart(again.ready.cursor);
    await b.push([task(uuid())]);
    expect((await c.takeType("changes")).rows).toHaveLength(1);
    const migrations = await runInDurableObject(stub(user), (_o, state) =>
      state.storage.sql.exec<{ id: number }>(`SELECT id FROM _migrations`).toArray().map((r) => r.id),
    );
    expect(migrations).toEqual(Array.from({ length: LATEST_MIGRATION }, (_, i) => i + 1)); // each once
  });
});

describe("revision storage", () => {
  it("drops parent bodies once a child is confirmed, keeps leaf bodies", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    const row = uuid();
    const r1 = (await a.push([task(row, { title: "v1" })])).results[0]!.rev;
    const r2 = (await a.push([task(row, { title: "v2" }, "update")])).results[0]!.rev;
    const tree = await runInDurableObject(stub(user), (_o, state) => loadTree(state.storage.sql, "notes.Task", row));
    expect(tree.find((n) => n.rev === r1)).toMatchObject({ data: null, isLeaf: false, pending: false });
    expect(tree.find((n) => n.rev === r2)).toMatchObject({ data: expect.objectContaining({ title: "v2" }), isLeaf: true, pending: false });
    // A patch against an interior revision whose body was dropped lays over the winner's body.
    const r3 = (await a.push([task(row, { done: true }, "update", r1)])).results[0];
    expect(r3!.status).toBe("applied");
  });

  it("a pending revision keeps its parent's body and can be undone (the path of an origin rejection)", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    const row = uuid();
    const r1 = (await a.push([task(row, { title: "kept" })])).results[0]!.rev as string;
    await runInDurableObject(stub(user), async (_o, state) => {
      const sql = state.storage.sql;
      const data = { title: "rejected", done: false, due: null, owner: Number(user) };
      const rev = await revisionId(false, r1, data);
      state.storage.transactionSync(() => {
        insertRevision(sql, "notes.Task", row, { rev, parent: r1, deleted: false, data }, { pending: true, mutationId: "x" });
        recomputeWinner(sql, "notes.Task", row, new Date().toISOString());
      });
      expect(getRow(sql, "notes.Task", row)!.rev).toBe(rev);
      expect(loadTree(sql, "notes.Task", row).find((n) => n.rev === r1)!.data).toMatchObject({ title: "kept" });
      state.storage.transactionSync(() => {
        expect(undoRevision(sql, "notes.Task", row, r1)).toBe("not_pending");
        expect(undoRevision(sql, "notes.Task", row, rev)).toBe("undone");
        recomputeWinner(sql, "notes.Task", row, new Date().toISOString());
      });
      expect(getRow(sql, "notes.Task", row)).toMatchObject({ rev: r1, data: expect.objectContaining({ title: "kept" }) });
      expect(getLeaves(sql, "notes.Task", row).map((l) => l.rev)).toEqual([r1]);
    });
  });

  it("DJAZZKIT_REVS_LIMIT stemming bounds the tree, amortised, and never loses a leaf", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    const row = uuid();
    await a.push([task(row, { title: "0" })]);
    let last = "";
    for (let p = 0; p < 3; p++) {
      const res = await a.push(Array.from({ length: 500 }, (_, i) => task(row, { title: `${p}-${i}` }, "update")), 60_000);
      expect(res.results.every((r) => r.status === "applied")).toBe(true);
      last = res.results.at(-1)!.rev!;
    }
    expect(last.startsWith("1501-")).toBe(true);
    const limit = 1000;
    const { count, winner, trees } = await runInDurableObject(stub(user), (_o, state) => {
      const sql = state.storage.sql;
      return {
        count: loadTree(sql, "notes.Task", row).length,
        winner: getRow(sql, "notes.Task", row)!.rev,
        trees: sql.exec<{ revs: number; stem_at: number }>(`SELECT revs, stem_at FROM trees WHERE row_id = ?`, row).one(),
      };
    });
    expect(count).toBeGreaterThanOrEqual(limit);
    expect(count).toBeLessThanOrEqual(limit + Math.ceil(limit / 8));
    expect(trees.revs).toBe(count);
    expect(winner).toBe(last);

    // A small limit on a branched tree: every leaf survives.
    const branched = uuid();
    const base = (await a.push([note(branched)])).results[0]!.rev;
    const full = { title: "t", body: "b", archived: false };
    let tip = base;
    for (let i = 0; i < 10; i++) tip = (await a.push([note(branched, { ...full, title: `l${i}` }, "update", tip)])).results[0]!.rev;
    const side = (await a.push([note(branched, { ...full, title: "side" }, "update", base)])).results[0]!.rev;
    const after = await runInDurableObject(stub(user), (_o, state) => {
      const sql = state.storage.sql;
      sql.exec(`UPDATE trees SET stem_at = 0 WHERE row_id = ?`, branched);
      const removed = state.storage.transactionSync(() => noteRevisionsAdded(sql, "notes.Note", branched, 0, 3));
      return { removed, leaves: getLeaves(sql, "notes.Note", branched).map((l) => l.rev).sort(), n: loadTree(sql, "notes.Note", branched).length };
    });
    expect(after.leaves).toEqual([tip, side].sort());
    expect(after.removed.length).toBeGreaterThan(0);
    expect(after.n).toBe(12 - after.removed.length);
    // The row still syncs and serves the same winner.
    const fresh = await Client.forUser(user);
    const { changes } = await fresh.syncStart();
    expect(changes.flatMap((f) => f.rows).find((r) => r.row_id === branched)).toMatchObject({ rev: tip, conflicts: [side] });
  });

  it("migrations run once and are idempotent", async () => {
    const user = newUser();
    await (await Client.forUser(user)).syncStart();
    const ids = await runInDurableObject(stub(user), (_o, state) => {
      const epoch = state.storage.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'epoch'`).one().value;
      migrate(state.storage);
      const again = state.storage.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'epoch'`).one().value;
      expect(again).toBe(epoch);
      return state.storage.sql.exec<{ id: number }>(`SELECT id FROM _migrations`).toArray().map((r) => r.id);
    });
    expect(ids).toEqual(Array.from({ length: LATEST_MIGRATION }, (_, i) => i + 1)); // each once
  });
});

describe("queries over the user's winners", () => {
  it("query frames and POST /djazzkit/query run over live winners only, with total", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    const ids = [uuid(), uuid(), uuid()];
    await a.push([
      task(ids[0]!, { title: "buy milk" }),
      task(ids[1]!, { title: "Milk again", done: true }),
      task(ids[2]!, { title: "bread" }),
    ]);
    await a.push([task(ids[1]!, {}, "delete")]);
    const q = await a.ask({
      type: "query",
      query: { model: "notes.Task", where: { field: "title", op: "icontains", value: "milk" }, order_by: [["title", "asc"]] },
    }, "query_result");
    expect(q).toMatchObject({ total: 1 });
    expect(q.rows).toEqual([expect.objectContaining({ title: "buy milk", _djazzkit_id: ids[0], _djazzkit_rev: 1, _djazzkit_deleted: false, owner: Number(user) })]);

    const res = await exports.default.fetch(
      new Request("https://relay.test/djazzkit/query", {
        method: "POST",
        headers: { Authorization: `Bearer ${await mintJwt(user)}`, "Content-Type": "application/json" },
        body: JSON.stringify({ model: "notes.Task", order_by: [["title", "asc"]], limit: 1, offset: 1 }),
      }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { rows: RowData[]; total: number };
    expect(body.total).toBe(2);
    expect(body.rows.map((r) => r.title)).toEqual(["buy milk"]);

    // Another user's object holds none of these rows.
    const other = await Client.forUser(newUser());
    expect((await other.ask({ type: "query", query: { model: "notes.Task" } }, "query_result")).rows).toEqual([]);
  });
});

describe("schema changes while connected", () => {
  it("announceSchemaVersion sends schema_mismatch to every synced socket and parks it", async () => {
    const { announceSchemaVersion } = await import("../../durable/origin/schema-watch.js");
    const user = newUser();
    const a = await Client.forUser(user);
    const idle = await Client.forUser(user);
    const { ready } = await a.syncStart();
    const parked = await runInDurableObject(stub(user), (_o, state) => announceSchemaVersion(state, "0123456789abcdef"));
    expect(parked).toBe(1);
    const mm = await a.takeType("schema_mismatch");
    expect(mm).toEqual({
      type: "schema_mismatch",
      client_schema_version: ready.server_schema_version,
      server_schema_version: "0123456789abcdef",
      message: expect.any(String),
    });
    expect(await a.request({ type: "push", mutations: [task(uuid())] })).toMatchObject({ code: "schema_mismatch" });
    await idle.expectNone((f) => f.type === "schema_mismatch", 100);
  });
});
