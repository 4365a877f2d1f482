/**
 * `onSchemaMismatch` against the real relay (Miniflare, standalone), SQLite files: each policy
 * does what it says. The "old app" is the standalone schema with another version and Note's
 * `title` still called `heading`; the replica it left behind holds a write it never sent.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Manifest, PendingMutation, SchemaMismatchInfo, SchemaMismatchPolicy, SyncClient } from "@djazzkit/core";
import { freePort, until } from "../support/ports.js";
import { startRelay, type RelayHandle } from "../support/relay.js";
import { openTestClient, standaloneManifest, type TestClientOptions } from "../support/sync-client.js";
import { TEST_JWT_SECRET } from "../support/secrets.js";

let relay: RelayHandle;
let dir: string;
const open: SyncClient[] = [];
let userSeq = 0;

beforeAll(async () => {
  relay = await startRelay({ bindings: { DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET, DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" } });
  dir = mkdtempSync(join(tmpdir(), "djazzkit-schema-"));
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
async function closeOne(c: SyncClient): Promise<void> {
  open.splice(open.indexOf(c), 1);
  await c.close();
}

/** The schema the previous app version was generated from. */
function oldManifest(): Manifest {
  const m = structuredClone(standaloneManifest());
  m.schema_version = "1111111111111111";
  const note = m.models["notes.Note"]!;
  note.fields = Object.fromEntries(Object.entries(note.fields).map(([k, v]) => [k === "title" ? "heading" : k, v]));
  return m;
}
const NOTES = { model: "notes.Note", order_by: [["title", "asc"]] as [string, "asc"][] };

/** A user with one note on the relay (made by another device) and a replica, built by the old app, holding an unsent write. */
async function oldReplica(name: string): Promise<{ user: number }> {
  const user = 8000 + ++userSeq;
  const other = await client({ user, name: `${name}-other` });
  await other.create("notes.Note", { title: "on the relay", body: "", archived: false });
  await other.whenSynced();
  await closeOne(other);
  const offline = await client({ user, name, manifest: oldManifest(), schemaVersion: "1111111111111111", wsUrl: `ws://127.0.0.1:${await freePort()}` });
  await offline.create("notes.Note", { heading: "unsent", body: "", archived: false });
  expect((await offline.query({ model: "notes.Note" })).map((r) => r["heading"])).toEqual(["unsent"]);
  await closeOne(offline);
  return { user };
}

describe("onSchemaMismatch", () => {
  it("reset: the local SQLite is dropped (unsent writes too) and resynced from the relay", async () => {
    const { user } = await oldReplica("reset");
    const seen: SchemaMismatchInfo[] = [];
    const c = await client({ user, name: "reset", onSchemaMismatch: (info) => { seen.push(info); return "reset"; } });
    expect(seen).toEqual([expect.objectContaining({ source: "local", local_schema_version: "1111111111111111", client_schema_version: standaloneManifest().schema_version })]);
    await c.whenSynced();
    expect((await c.query(NOTES)).map((r) => r["title"])).toEqual(["on the relay"]);
    const check = await client({ user, name: "reset-check" });
    await check.whenSynced();
    expect((await check.query(NOTES)).map((r) => r["title"])).toEqual(["on the relay"]); // "unsent" never left
  });

  it("migrate: a custom migration keeps local data (the unsent write, rewritten), then resyncs", async () => {
    const { user } = await oldReplica("migrate");
    const policy: SchemaMismatchPolicy = {
      migrate: (ctx) => {
        expect([ctx.fromVersion, ctx.toVersion]).toEqual(["1111111111111111", standaloneManifest().schema_version]);
        ctx.rewritePending((p: PendingMutation) => {
          if (p.kind !== "push" || !p.mutation.data) return p;
          const { heading, ...rest } = p.mutation.data;
          return { ...p, mutation: { ...p.mutation, data: { ...rest, title: heading } } };
        });
      },
    };
    const c = await client({ user, name: "migrate", onSchemaMismatch: () => policy });
    // Kept, and readable under the new schema, before the relay even answered.
    expect((await c.query(NOTES)).map((r) => [r["title"], r._djazzkit_pending])).toEqual([["unsent", true]]);
    await c.whenSynced();
    expect((await c.query(NOTES)).map((r) => [r["title"], r._djazzkit_pending])).toEqual([["on the relay", false], ["unsent", false]]);
    const check = await client({ user, name: "migrate-check" });
    await check.whenSynced();
    expect((await check.query(NOTES)).map((r) => r["title"])).toEqual(["on the relay", "unsent"]);
  });

  it("ask the user first: nothing is touched or synced until the async answer, which picks a policy", async () => {
    const { user } = await oldReplica("ask");
    let answer!: (p: SchemaMismatchPolicy) => void;
    let asked = false;
    const opening = client({
      user, name: "ask",
      onSchemaMismatch: () => { asked = true; return new Promise<SchemaMismatchPolicy>((r) => { answer = r; }); },
    });
    await until(() => asked, (v) => v);
    await new Promise((r) => setTimeout(r, 200));
    answer("reset"); // the user chose to start over
    const c = await opening;
    await c.whenSynced();
    expect((await c.query(NOTES)).map((r) => r["title"])).toEqual(["on the relay"]);
  });

  it("a relay running another schema: the answer's manifest is adopted, the policy applied, and syncing resumes", async () => {
    const user = 8000 + ++userSeq;
    const other = await client({ user, name: "relay-other" });
    await other.create("notes.Note", { title: "on the relay", body: "", archived: false });
    await other.whenSynced();
    const stale = { ...standaloneManifest(), schema_version: "2222222222222222" };
    const seen: SchemaMismatchInfo[] = [];
    const c = await client({
      user, name: "relay-mismatch", manifest: stale, schemaVersion: stale.schema_version,
      onSchemaMismatch: (info) => { seen.push(info); return { policy: "reset", manifest: standaloneManifest() }; },
    });
    await c.create("notes.Note", { title: "written under the old schema", body: "", archived: false });
    await until(() => seen.length, (n) => n === 1);
    expect(seen[0]).toMatchObject({ source: "relay", client_schema_version: "2222222222222222", server_schema_version: standaloneManifest().schema_version });
    await until(() => c.query(NOTES), (rows) => rows.length === 1 && rows[0]!["title"] === "on the relay" && !rows[0]!._djazzkit_pending);
    expect(c.manifest()?.schema_version).toBe(standaloneManifest().schema_version);
  });
});
