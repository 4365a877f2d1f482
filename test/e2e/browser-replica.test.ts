/**
 * The browser replica in Debian's Chromium (playwright-core, headless): a page whose SyncClient
 * runs in a module Worker over sqlite-wasm's opfs-sahpool VFS, against the real relay. The
 * replica is persisted in OPFS (it survives a browser restart, offline writes included, which are
 * delivered once back online), and where OPFS is unusable it falls back to memory with a warning.
 * Needs /usr/bin/chromium: fails loudly without it.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ReplicaRow, ReplicaStatus, ReplicaWorkerClient } from "@djazzkit/core";
import { serveBrowserApp, type BrowserApp } from "../support/browser/serve.js";
import { mintJwt } from "../support/jwt.js";
import { freePort } from "../support/ports.js";
import { startRelay, type RelayHandle } from "../support/relay.js";
import { TEST_JWT_SECRET } from "../support/secrets.js";
import { openTestClient } from "../support/sync-client.js";

const CHROMIUM = "/usr/bin/chromium";
let relay: RelayHandle;
let app: BrowserApp;
let dir: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  relay = await startRelay({ bindings: { DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET, DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" } });
  app = await serveBrowserApp();
  dir = mkdtempSync(join(tmpdir(), "djazzkit-browser-"));
});
afterAll(async () => {
  await app?.stop();
  await relay?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

declare const replica: ReplicaWorkerClient;
declare const fallback: { location: string; ephemeral: boolean; warnings: string[]; rows: unknown[] };

async function launch(profile: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(join(dir, profile), { executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
}
async function openApp(ctx: BrowserContext, relayWsUrl: string, token: string): Promise<Page> {
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on("pageerror", (err) => console.error("page error:", err));
  await page.goto(`${app.url}/?relay=${encodeURIComponent(`${relayWsUrl}/djazzkit/sync`)}&token=${encodeURIComponent(token)}`);
  await page.waitForFunction(() => typeof replica !== "undefined");
  return page;
}
const status = (page: Page) => page.evaluate(() => replica.fetchStatus()) as Promise<ReplicaStatus>;
const notes = (page: Page) => page.evaluate(() => replica.query({ model: "notes.Note", order_by: [["title", "asc"]] })) as Promise<ReplicaRow[]>;

describe("browser replica (Chromium, module Worker, OPFS)", () => {
  it("persists in OPFS across browser restarts, works offline, and delivers offline writes once back online", async () => {
    const user = 9101;
    const token = await mintJwt(user);
    const deadUrl = `ws://127.0.0.1:${await freePort()}`;

    let ctx = await launch("p1");
    let page = await openApp(ctx, relay.wsUrl, token);
    const s1 = await status(page);
    expect(s1).toMatchObject({ location: "opfs-sahpool:/smoke.db", ephemeral: false });
    await page.evaluate(() => replica.create("notes.Note", { title: "synced", body: "", archived: false }));
    await page.evaluate(() => replica.whenSynced());
    expect((await notes(page)).map((r) => [r["title"], r._djazzkit_pending, r._djazzkit_rev])).toEqual([["synced", false, 1]]);
    await ctx.close();

    // Restart the browser with the relay unreachable: the rows are read from OPFS, writes are taken.
    ctx = await launch("p1");
    page = await openApp(ctx, deadUrl, token);
    expect((await notes(page)).map((r) => r["title"])).toEqual(["synced"]);
    await page.evaluate(() => replica.create("notes.Note", { title: "written offline", body: "", archived: false }));
    expect((await notes(page)).map((r) => [r["title"], r._djazzkit_pending])).toEqual([["synced", false], ["written offline", true]]);
    await ctx.close();

    // Back online after another restart: the offline write goes out and everyone agrees.
    ctx = await launch("p1");
    page = await openApp(ctx, relay.wsUrl, token);
    await page.evaluate(() => replica.whenSynced());
    expect((await notes(page)).map((r) => [r["title"], r._djazzkit_pending])).toEqual([["synced", false], ["written offline", false]]);
    await ctx.close();

    const node = await openTestClient({ wsUrl: relay.wsUrl, user, file: join(dir, "node-check.db") });
    try {
      await node.whenSynced();
      const rows = await node.query({ model: "notes.Note", order_by: [["title", "asc"]] });
      expect(rows.map((r) => [r["title"], r._djazzkit_rev])).toEqual([["synced", 1], ["written offline", 1]]);
    } finally {
      await node.close();
    }
  });

  it("a live query in the page fires for the Worker's writes", async () => {
    const token = await mintJwt(9102);
    const ctx = await launch("p2");
    try {
      const page = await openApp(ctx, relay.wsUrl, token);
      await page.evaluate(() => {
        const calls: string[][] = [];
        Object.assign(globalThis, { calls });
        replica.subscribe({ model: "notes.Note", order_by: [["title", "asc"]] }, (rows) => calls.push(rows.map((r) => String(r["title"]))));
      });
      await page.waitForFunction(() => (globalThis as unknown as { calls: string[][] }).calls.length === 1);
      await page.evaluate(() => replica.create("notes.Note", { title: "live", body: "", archived: false }));
      await page.waitForFunction(() => (globalThis as unknown as { calls: string[][] }).calls.some((c) => c.join() === "live"));
    } finally {
      await ctx.close();
    }
  });

  it("without OPFS (the page's main thread) the replica falls back to memory with a visible warning", async () => {
    const ctx = await launch("p3");
    try {
      const page = ctx.pages()[0] ?? (await ctx.newPage());
      const consoleWarnings: string[] = [];
      page.on("console", (m) => { if (m.type() === "warning") consoleWarnings.push(m.text()); });
      await page.goto(`${app.url}/fallback.html`);
      await page.waitForFunction(() => typeof fallback !== "undefined");
      const f = await page.evaluate(() => fallback);
      expect(f).toMatchObject({ location: ":memory:", ephemeral: true, rows: [{ x: 42 }] });
      expect(f.warnings).toEqual([expect.stringContaining("OPFS is not available")]);
    } finally {
      await ctx.close();
    }
  });
});
