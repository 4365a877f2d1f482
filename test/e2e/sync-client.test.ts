/**
 * @djazzkit/core's SyncClient against the real relay (Miniflare, standalone), each client with its
 * own SQLite file: offline writes survive a restart and are delivered exactly once; a refused
 * write rolls back; conflicts made by two clients are visible and resolvable; live queries fire
 * on local and remote changes and not on unrelated models.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RejectedWrite, ReplicaRow, SyncClient } from "@djazzkit/core";
import { freePort, until } from "../support/ports.js";
import { startRelay, type RelayHandle } from "../support/relay.js";
import { openTestClient, type TestClientOptions } from "../support/sync-client.js";
import { TEST_JWT_SECRET } from "../support/secrets.js";

let relay: RelayHandle;
let dir: string;
const open: SyncClient[] = [];
let userSeq = 0;

beforeAll(async () => {
  relay = await startRelay({ bindings: { DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET, DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" } });
  dir = mkdtempSync(join(tmpdir(), "djazzkit-sync-client-"));
});
afterEach(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function client(o: Partial<TestClientOptions> & { user: number; name: string }): Promise<SyncClient> {
  const c = await openTestClient({ wsUrl: relay.wsUrl, file: join(dir, `${o.name}.db`), ...o });
  open.push(c);
  return c;
}
const newUser = () => 7000 + ++userSeq;


const NOTES = { model: "notes.Note", order_by: [["title", "asc"]] as [string, "asc"][] };
const titles = (rows: ReplicaRow[]) => rows.map((r) => r["title"]);

describe("SyncClient against the real relay", () => {
  it("offline writes are visible at once, survive a process restart, are delivered exactly once and end equal everywhere", async () => {
    const user = newUser();
    const deadUrl = `ws://127.0.0.1:${await freePort()}`; // nothing listens: offline
    const a1 = await client({ user, name: "offline-a", wsUrl: deadUrl });
    const created = await a1.create("notes.Note", { title: "b", body: "", archived: false });
    expect(created).toMatchObject({ title: "b", _djazzkit_pending: true, _djazzkit_rev: 0 });
    await a1.create("notes.Note", { title: "a", body: "", archived: false });
    await a1.update("notes.Note", created._djazzkit_id, { body: "edited offline" });
    expect(titles(await a1.query(NOTES))).toEqual(["a", "b"]);
    await a1.close();
    open.splice(open.indexOf(a1), 1);

    // A new process on the same file, now online.
    const a2 = await client({ user, name: "offline-a" });
    const sent: string[] = [];
    a2.relay.on("push", ({ mutation_ids }) => sent.push(...mutation_ids));
    expect(titles(await a2.query(NOTES))).toEqual(["a", "b"]);
    await a2.whenSynced();
    expect(sent.sort()).toEqual([...new Set(sent)].sort()); // each mutation sent once
    expect(sent).toHaveLength(3);
    const rows = await a2.query(NOTES);
    expect(rows.map((r) => [r["title"], r["body"], r._djazzkit_pending])).toEqual([["a", "", false], ["b", "edited offline", false]]);

    const b = await client({ user, name: "offline-b" });
    await b.ready();
    const seen = await until(() => b.query(NOTES), (r) => r.length === 2);
    expect(seen.map((r) => [r._djazzkit_id, r["title"], r["body"], r._djazzkit_rev])).toEqual(rows.map((r) => [r._djazzkit_id, r["title"], r["body"], r._djazzkit_rev]));
    // The update extended the create's branch: one line of history, no conflict.
    expect(seen.find((r) => r["title"] === "b")).toMatchObject({ _djazzkit_rev: 2, _conflicts: [] });
  });

  it("a write the relay refuses is rolled back locally and reported", async () => {
    const user = newUser();
    const a = await client({ user, name: "reject" });
    await a.ready();
    const rejected: RejectedWrite[] = [];
    a.on("rejected", (r) => rejected.push(r));
    const note = await a.create("notes.Note", { title: "kept", body: "", archived: false });
    await a.whenSynced();
    await a.update("notes.Note", note._djazzkit_id, { title: "changed", priority: "high" }); // not an integer: invalid_field_value
    expect((await a.query(NOTES)).map((r) => [r["title"], r["priority"], r._djazzkit_pending])).toEqual([["changed", "high", true]]); // optimistic
    await until(() => rejected.length, (n) => n === 1);
    expect(rejected[0]).toMatchObject({ model: "notes.Note", row_id: note._djazzkit_id, operation: "update", code: "invalid_field_value", by: "relay" });
    const rows = await a.query(NOTES);
    expect(rows.map((r) => [r["title"], r["priority"], r._djazzkit_pending])).toEqual([["kept", null, false]]);
  });

  it("a conflict made by two clients is visible with its bodies and resolvable", async () => {
    const user = newUser();
    const deadUrl = `ws://127.0.0.1:${await freePort()}`;
    const a = await client({ user, name: "conflict-a" });
    const b1 = await client({ user, name: "conflict-b" });
    await Promise.all([a.ready(), b1.ready()]);
    const note = await a.create("notes.Note", { title: "base", body: "", archived: false });
    await a.whenSynced();
    await until(() => b1.query(NOTES), (r) => r.length === 1 && r[0]!._djazzkit_rev === 1);
    await b1.close();
    // b edits revision 1 offline while a edits it online: two branches of one row.
    const b2 = await client({ user, name: "conflict-b", wsUrl: deadUrl });
    await b2.update("notes.Note", note._djazzkit_id, { title: "from b" });
    await b2.close();
    await a.update("notes.Note", note._djazzkit_id, { title: "from a" });
    await a.whenSynced();
    const b = await client({ user, name: "conflict-b" });
    await b.whenSynced();

    const inConflict = (rows: ReplicaRow[]) => rows.length === 1 && rows[0]!._conflicts.length === 1;
    const [rowA] = await until(() => a.query(NOTES), inConflict);
    const [rowB] = await until(() => b.query(NOTES), inConflict);
    // Every replica serves the same deterministic winner and keeps the loser's body.
    expect(rowA!["title"]).toBe(rowB!["title"]);
    const loser = rowA!["title"] === "from a" ? "from b" : "from a";
    expect(rowA!._conflicts[0]!.data).toMatchObject({ title: loser });
    const api = await b.getConflicts("notes.Note", note._djazzkit_id);
    expect(api.winner.data).toMatchObject({ title: rowA!["title"] });
    expect(api.conflicts.map((c) => c.data["title"])).toEqual([loser]);

    await b.resolveConflict("notes.Note", note._djazzkit_id, { title: "merged", body: "", archived: false });
    expect((await b.query(NOTES))[0]).toMatchObject({ title: "merged", _conflicts: [], _djazzkit_pending: true });
    await b.whenSynced();
    for (const c of [a, b]) {
      const rows = await until(() => c.query(NOTES), (r) => r[0]?.["title"] === "merged" && !r[0]._djazzkit_pending);
      expect(rows[0]!._conflicts).toEqual([]);
    }
  });

  it("a live query fires with the current rows, on local and remote changes, and not for other models", async () => {
    const user = newUser();
    const a = await client({ user, name: "live-a" });
    const b = await client({ user, name: "live-b" });
    await Promise.all([a.ready(), b.ready()]);
    const calls: string[][] = [];
    const stop = a.subscribe({ model: "notes.Note", where: { field: "archived", op: "eq", value: false }, order_by: [["title", "asc"]] },
      (rows) => calls.push(rows.map((r) => String(r["title"]))));
    await until(() => calls.length, (n) => n === 1);
    expect(calls[0]).toEqual([]);

    await a.create("notes.Note", { title: "local", body: "", archived: false });
    await until(() => calls.length, (n) => n >= 2);
    expect(calls[1]).toEqual(["local"]); // the optimistic row, before the relay answered

    await b.create("notes.Note", { title: "remote", body: "", archived: false });
    await until(() => calls.at(-1), (last) => last?.join() === "local,remote");

    await a.whenSynced();
    await b.whenSynced();
    await new Promise((r) => setTimeout(r, 200));
    const settled = calls.length;
    const runs = a.liveQueryRuns;
    await a.create("notes.Task", { title: "unrelated", done: false });
    await b.create("notes.Task", { title: "unrelated too", done: false });
    await a.whenSynced();
    await until(() => a.query({ model: "notes.Task" }), (r) => r.length === 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(calls.length).toBe(settled);
    expect(a.liveQueryRuns).toBe(runs); // not even re-run: the index is by model

    stop();
    await a.create("notes.Note", { title: "after stop", body: "", archived: false });
    await a.whenSynced();
    await new Promise((r) => setTimeout(r, 100));
    expect(calls.length).toBe(settled);
  });

  it("shared and remote models are asked of the relay; refused queries carry the relay's codes", async () => {
    const a = await client({ user: newUser(), name: "remote" });
    await a.ready();
    const frames: string[] = [];
    a.relay.on("message", (m) => frames.push(m.type));
    // Standalone, the relay has no origin to ask for shared/remote rows: its answer (a permanent
    // `forbidden`, PROTOCOL 2.3) reaches the app.
    await expect(a.query({ model: "notes.Announcement" })).rejects.toMatchObject({ code: "forbidden" });
    expect(frames).toContain("error");
    await expect(a.query({ model: "notes.Nope" })).rejects.toMatchObject({ code: "unknown_model" });
    // Local models: refused locally with the same codes, nothing sent.
    const sent = frames.length;
    await expect(a.query({ model: "notes.Note", limit: 5000 })).rejects.toMatchObject({ code: "limit_out_of_range" });
    await expect(a.query({ model: "notes.Note", where: { field: "colour", op: "eq", value: 1 } })).rejects.toMatchObject({ code: "unknown_field" });
    await expect(a.query({ model: "notes.Note", where: { field: "priority", op: "lt", value: null } })).rejects.toMatchObject({ code: "invalid_query" });
    expect(frames.length).toBe(sent);
  });
});
