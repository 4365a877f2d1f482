/**
 * SyncClient's optimistic replica against a scripted relay (FakeRelay), where the timing between
 * `push_result` and the broadcast can be held open: the row never flickers back to its old state
 * while the relay's answer and its winner are on their way, a refusal rolls it back and is
 * reported once, and frames for other models never re-run a live query.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SyncClient, type RejectedWrite, type ReplicaRow } from "@djazzkit/core";
import { openNodeStore } from "@djazzkit/core/node";
import { FakeRelay, nodeSocketFactory, type FakeConnection, type Frame } from "../support/fake-relay.js";
import { standaloneManifest } from "../support/sync-client.js";

let relay: FakeRelay;
let client: SyncClient;
const manifest = standaloneManifest();
const REV1 = `1-${"a".repeat(32)}`;
const REV2 = `2-${"b".repeat(32)}`;

beforeEach(async () => {
  relay = await FakeRelay.start();
  client = new SyncClient({
    url: relay.url, schemaVersion: manifest.schema_version, manifest, store: openNodeStore(":memory:"),
    socketFactory: nodeSocketFactory, token: "t", relay: { pingIntervalMs: 0 },
  });
});
afterEach(async () => {
  await client.close();
  await relay.stop();
});

async function synced(): Promise<FakeConnection> {
  const conn = await relay.connection();
  await conn.waitForType("sync_start");
  conn.send({ type: "sync_ready", cursor: "ab:0", server_schema_version: manifest.schema_version });
  await client.ready();
  return conn;
}
const lastPush = (conn: FakeConnection) => conn.ofType("push").at(-1)! as Frame & { request_id: string; mutations: { mutation_id: string; row_id: string; data: Record<string, unknown> }[] };
const row = (id: string, rev: string, title: string) => ({
  model: "notes.Note", row_id: id, rev, deleted: false, conflicts: [],
  data: { title, body: "", archived: false, priority: null, tags: null, author: 1, _djazzkit_id: id, _djazzkit_rev: Number.parseInt(rev, 10), _djazzkit_deleted: false, _djazzkit_updated_at: "2030-01-01T00:00:00Z" },
});
const titles = (rows: ReplicaRow[]) => rows.map((r) => `${String(r["title"])}${r._djazzkit_pending ? "*" : ""}`);

describe("SyncClient replica against a scripted relay", () => {
  it("an optimistic row never flickers back between push_result and the broadcast of its winner", async () => {
    const conn = await synced();
    const seen: string[][] = [];
    client.subscribe({ model: "notes.Note" }, (rows) => seen.push(titles(rows)));
    await conn.until(() => seen.length === 1);

    const created = await client.create("notes.Note", { title: "milk", body: "", archived: false });
    await conn.waitForType("push");
    const push = lastPush(conn);
    conn.send({ type: "push_result", request_id: push.request_id, results: [{ mutation_id: push.mutations[0]!.mutation_id, status: "applied", rev: REV1 }] });
    await new Promise((r) => setTimeout(r, 100)); // the broadcast is late
    expect((await client.query({ model: "notes.Note" })).map((r) => [r["title"], r._djazzkit_pending])).toEqual([["milk", false]]);
    conn.send({ type: "changes", rows: [row(created._djazzkit_id, REV1, "milk")], cursor: "ab:1", more: false });
    await conn.until(() => seen.at(-1)?.join() === "milk" && client.liveQueryRuns > 0);
    await new Promise((r) => setTimeout(r, 50));
    // Every state the app saw had the row: [] (before), milk* (pending), milk (accepted, then its winner).
    expect(seen[0]).toEqual([]);
    for (const s of seen.slice(1)) expect(s.length).toBe(1);
    expect((await client.query({ model: "notes.Note" }))[0]).toMatchObject({ _djazzkit_rev: 1, _djazzkit_pending: false, _djazzkit_updated_at: "2030-01-01T00:00:00Z" });
  });

  it("a refused update rolls the row back to the relay's winner and is reported once", async () => {
    const conn = await synced();
    conn.send({ type: "changes", rows: [row("r1", REV1, "kept")], cursor: "ab:1", more: false });
    await new Promise((r) => setTimeout(r, 50));
    const rejected: RejectedWrite[] = [];
    client.on("rejected", (r) => rejected.push(r));
    await client.update("notes.Note", "r1", { title: "nope" });
    expect(titles(await client.query({ model: "notes.Note" }))).toEqual(["nope*"]);
    await conn.waitForType("push");
    const push = lastPush(conn);
    conn.send({ type: "push_result", request_id: push.request_id, results: [{ mutation_id: push.mutations[0]!.mutation_id, status: "rejected", code: "invalid_field_value", message: "bad" }] });
    await conn.until(() => rejected.length === 1);
    expect(titles(await client.query({ model: "notes.Note" }))).toEqual(["kept"]);
    expect(rejected).toEqual([{ mutation_id: push.mutations[0]!.mutation_id, model: "notes.Note", row_id: "r1", operation: "update", code: "invalid_field_value", message: "bad", by: "relay" }]);
  });

  it("quick successive edits go out as one branch: the second waits for the first and is based on its revision", async () => {
    const conn = await synced();
    conn.send({ type: "changes", rows: [row("r1", REV1, "a")], cursor: "ab:1", more: false });
    await new Promise((r) => setTimeout(r, 50));
    await client.update("notes.Note", "r1", { title: "b" });
    await client.update("notes.Note", "r1", { title: "c" });
    expect(titles(await client.query({ model: "notes.Note" }))).toEqual(["c*"]);
    await conn.waitForType("push");
    const first = lastPush(conn);
    expect(first.mutations).toHaveLength(1);
    expect(first.mutations[0]).toMatchObject({ base_rev: REV1, data: { title: "b" } });
    conn.send({ type: "push_result", request_id: first.request_id, results: [{ mutation_id: first.mutations[0]!.mutation_id, status: "applied", rev: REV2 }] });
    await conn.waitForType("push", 2);
    expect(lastPush(conn).mutations[0]).toMatchObject({ base_rev: REV2, data: { title: "c" } });
    expect(titles(await client.query({ model: "notes.Note" }))).toEqual(["c*"]);
  });

  it("a changes frame for another model does not re-run a live query", async () => {
    const conn = await synced();
    client.subscribe({ model: "notes.Note" }, () => {});
    await new Promise((r) => setTimeout(r, 50));
    const runs = client.liveQueryRuns;
    conn.send({ type: "changes", rows: [{ model: "notes.Task", row_id: "t1", rev: REV1, deleted: false, conflicts: [], data: { title: "x", done: false, due: null, owner: 1 } }], cursor: "ab:1", more: false });
    await new Promise((r) => setTimeout(r, 100));
    expect((await client.query({ model: "notes.Task" })).map((r) => r["title"])).toEqual(["x"]);
    expect(client.liveQueryRuns).toBe(runs);
  });
});
