/**
 * The demo app (issue 11) in Debian's Chromium (playwright-core) against `npm run dev` itself
 * (scripts/dev.mjs: wrangler dev with the demo as static assets and the dev sign-in links it
 * prints). Each "device" is its own persistent browser profile, so OPFS outlives a reload.
 * Screenshots go to test-results/demo/ (git-ignored); docs/demo.png is copied from there.
 * Needs /usr/bin/chromium: fails loudly without it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchPersistentChromium } from "../support/browser.js";
import { REPO_ROOT } from "../support/bundle.js";
import { freePort, sleep } from "../support/ports.js";

const SHOTS = join(REPO_ROOT, "test-results/demo");
let dir: string;
let dev: ChildProcess;
let out = "";
let base: string;
const links: Record<string, string> = {};
const contexts: BrowserContext[] = [];
// npm run dev makes .dev.vars on a fresh clone; the test removes it again so later wrangler dev
// runs of the suite do not pick up a JWT secret they did not ask for.
const DEV_VARS = join(REPO_ROOT, ".dev.vars");
const hadDevVars = existsSync(DEV_VARS);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "djazzkit-demo-"));
  mkdirSync(SHOTS, { recursive: true });
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  dev = spawn(process.execPath, [join(REPO_ROOT, "scripts/dev.mjs"), "--persist-to", join(dir, "relay"), "--inspector-port", String(await freePort())], {
    cwd: REPO_ROOT, detached: true, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PORT: String(port), NO_COLOR: "1", CI: "true" },
  });
  dev.stdout!.on("data", (c: Buffer) => { out += c.toString(); });
  dev.stderr!.on("data", (c: Buffer) => { out += c.toString(); });
  for (let i = 0; i < 480 && !(links["alice"] && links["bob"]); i++) {
    if (dev.exitCode !== null) break;
    for (const m of out.matchAll(/^\s+(alice|bob)\s+(http:\/\/\S+#token=\S+)$/gm)) links[m[1]!] = m[2]!;
    await sleep(250);
  }
  if (!links["alice"] || !links["bob"]) throw new Error(`npm run dev printed no sign-in links:\n${out}`);
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  if (dev?.pid !== undefined && dev.exitCode === null) {
    const exited = new Promise((r) => dev.once("exit", r));
    process.kill(-dev.pid, "SIGTERM");
    await Promise.race([exited, sleep(8000)]);
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (!hadDevVars) rmSync(DEV_VARS, { force: true });
});

async function device(name: string, link: string): Promise<Page> {
  const ctx = await launchPersistentChromium(join(dir, name), { viewport: { width: 1000, height: 640 } });
  contexts.push(ctx);
  const page = ctx.pages()[0] ?? (await ctx.newPage());
  page.on("pageerror", (err) => console.error(`${name} page error:`, err));
  await page.goto(link);
  return page;
}
const state = (page: Page) => page.locator("#state");
const card = (page: Page, title: string): Locator => page.locator("#notes .card", { has: page.locator("h3", { hasText: title }) });
const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });
async function setOffline(page: Page, on: boolean): Promise<void> {
  await page.locator("#offline").setChecked(on);
  await expect.poll(() => state(page).textContent()).toBe(on ? "offline" : "live");
}
/** The card by row id: its heading is gone while it is being edited. */
async function byId(page: Page, title: string): Promise<Locator> {
  return page.locator(`#notes [data-id="${await card(page, title).getAttribute("data-id")}"]`);
}
async function editNote(page: Page, title: string, body: string, button = "button.edit"): Promise<void> {
  const el = await byId(page, title);
  await el.locator(button).click();
  await el.locator("textarea[name=body]").fill(body);
  await el.locator("button.save").click();
}

describe("demo app on npm run dev (Chromium)", () => {
  it("syncs two windows, keeps offline edits over a reload, shows and resolves a conflict in both, and keeps users apart", async () => {
    // The worker routes still answer next to the assets.
    expect(await fetch(`${base}/djazzkit/health`).then((r) => r.json())).toMatchObject({ ok: true });
    expect(await fetch(`${base}/`).then((r) => r.headers.get("content-type"))).toContain("text/html");

    const a = await device("alice-1", links["alice"]!);
    const b = await device("alice-2", links["alice"]!);
    for (const p of [a, b]) {
      await expect.poll(() => state(p).textContent(), { timeout: 20_000 }).toBe("live");
      expect(await p.locator("#who").textContent()).toBe("alice (id 1)");
      expect(await p.locator("#where").textContent()).toContain("opfs-sahpool");
      expect(p.url()).not.toContain("token="); // the token left the address bar
    }

    // Live updates both ways: a note and a task made in A appear in B; B's edit appears in A.
    await a.fill("#new-note input[name=title]", "Shopping");
    await a.fill("#new-note textarea[name=body]", "milk");
    await a.click("#new-note button");
    await a.fill("#new-task input[name=title]", "Water the plants");
    await a.click("#new-task button");
    await card(b, "Shopping").waitFor();
    await b.locator("#tasks .task", { hasText: "Water the plants" }).waitFor();
    await editNote(b, "Shopping", "milk, eggs");
    await card(a, "Shopping").locator(".body", { hasText: "milk, eggs" }).waitFor();
    await expect.poll(() => card(b, "Shopping").locator(".meta").textContent()).toMatch(/^synced/);
    await shot(a, "1-synced");

    // Both go offline and edit the same note; the edits stay local (pending).
    await setOffline(a, true);
    await setOffline(b, true);
    await editNote(a, "Shopping", "milk, eggs, bread");
    await editNote(b, "Shopping", "milk, eggs, butter");
    for (const p of [a, b]) await expect.poll(() => card(p, "Shopping").locator(".meta").textContent()).toBe("pending: not synced yet");

    // A reload (still offline) reads the note and its pending write back from OPFS.
    await a.reload();
    await expect.poll(() => state(a).textContent()).toBe("offline");
    await expect.poll(() => card(a, "Shopping").locator(".body").textContent()).toBe("milk, eggs, bread");
    expect(await card(a, "Shopping").locator(".meta").textContent()).toBe("pending: not synced yet");
    await shot(a, "2-offline-after-reload");

    // Back online: both pages show the conflict with both versions.
    await setOffline(a, false);
    await setOffline(b, false);
    for (const p of [a, b]) {
      const box = card(p, "Shopping").locator(".conflict");
      await box.waitFor({ timeout: 20_000 });
      await expect.poll(() => box.locator(".version p").allTextContents()).toEqual(expect.arrayContaining(["milk, eggs, bread", "milk, eggs, butter"]));
    }
    await shot(b, "3-conflict");

    // Resolve in A by merging; both pages end with the same, conflict-free note.
    const merged = "milk, eggs, bread, butter";
    await editNote(a, "Shopping", merged, "button.merge");
    for (const p of [a, b]) {
      await expect.poll(() => card(p, "Shopping").locator(".body").textContent(), { timeout: 20_000 }).toBe(merged);
      await expect.poll(() => card(p, "Shopping").locator(".conflict").count()).toBe(0);
      await expect.poll(() => card(p, "Shopping").locator(".meta").textContent()).toMatch(/^synced/);
    }
    expect(await a.locator("#notes").innerText()).toBe(await b.locator("#notes").innerText());
    await shot(a, "4-resolved");

    // Bob, signed in through his own link, sees none of alice's rows.
    const c = await device("bob", links["bob"]!);
    await expect.poll(() => state(c).textContent(), { timeout: 20_000 }).toBe("live");
    expect(await c.locator("#who").textContent()).toBe("bob (id 2)");
    await sleep(500); // a live query would have delivered rows by now
    expect(await c.locator("#notes .card").count()).toBe(0);
    expect(await c.locator("#tasks .task").count()).toBe(0);
    await shot(c, "5-bob");
  });

  it("an app upgrade with another schema shows the onSchemaMismatch banner; migrate keeps the pending note, then syncs on the relay's schema", async () => {
    const page = await device("upgrade", links["alice"]!);
    await expect.poll(() => state(page).textContent(), { timeout: 20_000 }).toBe("live");
    await setOffline(page, true);
    await page.fill("#new-note input[name=title]", "Before the upgrade");
    await page.click("#new-note button");
    await card(page, "Before the upgrade").waitFor();

    // "Deploy" an app built for another schema: the served bundles carry another version.
    const version = /SCHEMA_VERSION = "([0-9a-f]+)"/.exec(readFileSync(join(REPO_ROOT, "demo/src/generated/models.ts"), "utf8"))![1]!;
    const files = ["app.js", "replica-worker.js"].map((f) => join(REPO_ROOT, "demo/dist", f));
    const originals = files.map((f) => readFileSync(f, "utf8"));
    try {
      files.forEach((f, i) => writeFileSync(f, originals[i]!.replaceAll(version, "0000000000000001")));
      await page.reload();
      // The replica on disk was built for the old schema (source "local").
      await page.locator("#mismatch").waitFor();
      expect(await state(page).textContent()).toBe("schema mismatch");
      expect(await page.locator("#mismatch-text").textContent()).toContain(`built for schema ${version}`);
      expect(await page.locator("#mismatch button").allTextContents()).toEqual([expect.stringMatching(/^Reset/), expect.stringMatching(/^Migrate/), expect.stringMatching(/^Later/)]);
      await shot(page, "6-schema-mismatch");
      await page.click("#mismatch-migrate");
      await expect.poll(() => state(page).textContent()).toBe("offline");
      expect(await card(page, "Before the upgrade").locator(".meta").textContent()).toBe("pending: not synced yet");

      // Online, the relay still runs the old schema (source "relay"): migrating onto its manifest syncs.
      await page.locator("#offline").setChecked(false);
      await page.locator("#mismatch").waitFor({ timeout: 20_000 });
      expect(await page.locator("#mismatch-text").textContent()).toContain(`server schema ${version}`);
      await page.click("#mismatch-migrate");
      await expect.poll(() => state(page).textContent(), { timeout: 20_000 }).toBe("live");
      await expect.poll(() => card(page, "Before the upgrade").locator(".meta").textContent(), { timeout: 20_000 }).toMatch(/^synced/);
    } finally {
      files.forEach((f, i) => writeFileSync(f, originals[i]!));
    }
  });
});
