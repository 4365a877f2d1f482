/**
 * SyncClient with the real sample Django behind the relay: a write the relay accepted and Django
 * then refused (the sample refuses the title "REJECT") is undone everywhere; the client rolls its
 * replica back to Django's winner and reports the rejection as the origin's. Fails (never skips)
 * when Django cannot start.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest, RejectedWrite, SyncClient } from "@djazzkit/core";
import { FAST_BINDINGS } from "../support/origin-helpers.js";
import { seedUsers } from "../support/sample-hooks.js";
import { startStack, type Stack } from "../support/stack.js";
import { openTestClient } from "../support/sync-client.js";
import { until } from "../support/ports.js";

let stack: Stack;
let users: Record<string, string>;
let manifest: Manifest;
let dir: string;
const open: SyncClient[] = [];

beforeAll(async () => {
  stack = await startStack({ bindings: FAST_BINDINGS, djangoEnv: { DJAZZKIT_RELAY_POKE_BACKOFF_S: "0.05" } });
  users = await seedUsers(stack.django, ["alice"]);
  manifest = (await (await fetch(`${stack.url}/djazzkit/schema`)).json()) as Manifest; // what `djazzkit codegen` reads
  dir = mkdtempSync(join(tmpdir(), "djazzkit-sync-origin-"));
});
afterAll(async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});


describe("SyncClient with a Django origin", () => {
  it("a write Django refuses after the relay accepted it is rolled back locally and reported as the origin's", async () => {
    const a = await openTestClient({ wsUrl: stack.wsUrl, user: users.alice!, file: join(dir, "alice.db"), manifest, schemaVersion: manifest.schema_version });
    open.push(a);
    await a.ready();
    const rejected: RejectedWrite[] = [];
    a.on("rejected", (r) => rejected.push(r));
    const note = await a.create("notes.Note", { title: "fine", body: "", archived: false });
    await a.whenSynced();

    await a.update("notes.Note", note._djazzkit_id, { title: "REJECT" });
    expect((await a.query({ model: "notes.Note" }))[0]).toMatchObject({ title: "REJECT", _djazzkit_pending: true });
    await until(() => rejected.length, (n) => n === 1);
    expect(rejected[0]).toMatchObject({ model: "notes.Note", row_id: note._djazzkit_id, operation: "update", code: "origin_rejected", by: "origin" });
    const [row] = await until(() => a.query({ model: "notes.Note" }), (rows) => rows[0]?.["title"] === "fine" && !rows[0]._djazzkit_pending);
    expect(row).toMatchObject({ title: "fine", _conflicts: [] });
    expect(rejected).toHaveLength(1);
  });
});
