/**
 * Offline writes survive the process dying: a separate Node process opens a replica file, writes
 * while the relay is unreachable, and is killed with SIGKILL (no close, no flush). A new process
 * on the same file sends each write exactly once when the relay is back, and another replica of
 * the same user ends with the same rows.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/bundle.js";
import { mintJwt } from "../support/jwt.js";
import { freePort } from "../support/ports.js";
import { startRelay, type RelayHandle } from "../support/relay.js";
import { TEST_JWT_SECRET } from "../support/secrets.js";
import { openTestClient } from "../support/sync-client.js";

let relay: RelayHandle;
let dir: string;

beforeAll(async () => {
  relay = await startRelay({ bindings: { DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET, DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" } });
  dir = mkdtempSync(join(tmpdir(), "djazzkit-crash-"));
});
afterAll(async () => {
  await relay?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The writer: an app that writes three notes offline, says so, then waits to be killed. */
const WRITER = `
import WebSocket from "ws";
import { readFileSync } from "node:fs";
import { SyncClient } from "${join(REPO_ROOT, "client/index.ts")}";
import { openNodeStore } from "${join(REPO_ROOT, "client/node.ts")}";
const [file, url, token] = process.argv.slice(2);
const manifest = JSON.parse(readFileSync(${JSON.stringify(join(REPO_ROOT, "djazzkit.schema.json"))}, "utf8"));
const client = new SyncClient({ url, token, schemaVersion: manifest.schema_version, manifest, store: openNodeStore(file),
  socketFactory: (u, p) => new WebSocket(u, p), relay: { backoff: { baseMs: 50, maxMs: 200 } } });
const a = await client.create("notes.Note", { title: "one", body: "", archived: false });
await client.create("notes.Note", { title: "two", body: "", archived: false });
await client.update("notes.Note", a._djazzkit_id, { body: "edited" });
process.stdout.write("written\\n");
setInterval(() => {}, 1000);
`;

describe("offline writes and a killed process", () => {
  it("survive SIGKILL and are delivered exactly once by the next process", async () => {
    const user = 9301;
    const file = join(dir, "app.db");
    // Inside the repo (.test-tmp is git-ignored) so the script resolves ws and better-sqlite3.
    const scripts = join(REPO_ROOT, ".test-tmp", `crash-${process.pid}-${Date.now()}`);
    mkdirSync(scripts, { recursive: true });
    const entry = join(scripts, "writer.ts");
    writeFileSync(entry, WRITER);
    const script = join(scripts, "writer.mjs");
    await build({ entryPoints: [entry], outfile: script, bundle: true, format: "esm", platform: "node", target: "node20", external: ["better-sqlite3", "ws"], logLevel: "error" });
    const child = spawn(process.execPath, [script, file, `ws://127.0.0.1:${await freePort()}/djazzkit/sync`, await mintJwt(user)], {
      cwd: REPO_ROOT, stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the writer did not finish writing within 30 s")), 30_000);
        child.stdout.on("data", (d: Buffer) => { if (d.toString().includes("written")) { clearTimeout(timer); resolve(); } });
        child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`writer exited with ${code}`)); });
      });
    } finally {
      child.kill("SIGKILL"); // never left running, whatever happened
    }
    await new Promise((r) => child.once("exit", r));
    rmSync(scripts, { recursive: true, force: true });

    const next = await openTestClient({ wsUrl: relay.wsUrl, user, file });
    try {
      const sent: string[] = [];
      next.relay.on("push", ({ mutation_ids }) => sent.push(...mutation_ids));
      expect((await next.query({ model: "notes.Note", order_by: [["title", "asc"]] })).map((r) => [r["title"], r["body"], r._djazzkit_pending])).toEqual([["one", "edited", true], ["two", "", true]]);
      await next.whenSynced();
      expect(sent).toHaveLength(3);
      expect(new Set(sent).size).toBe(3);
      const other = await openTestClient({ wsUrl: relay.wsUrl, user, file: join(dir, "other.db") });
      try {
        await other.whenSynced();
        const rows = await other.query({ model: "notes.Note", order_by: [["title", "asc"]] });
        expect(rows.map((r) => [r["title"], r["body"], r._djazzkit_rev])).toEqual([["one", "edited", 2], ["two", "", 1]]);
      } finally {
        await other.close();
      }
    } finally {
      await next.close();
    }
  });
});
