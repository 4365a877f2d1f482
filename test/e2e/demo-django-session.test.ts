/**
 * The demo with the sample Django as origin (README "First run"): no token, the page signs in
 * with the Django session cookie made by logging in to Django's admin, through `wrangler dev`
 * serving the demo as assets. Debian's Chromium; fails loudly without it or Django.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchPersistentChromium } from "../support/browser.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let ctx: BrowserContext | undefined;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "djazzkit-demo-django-"));
  stack = await startStack({ runtime: "wrangler" });
  await stack.django.manage(["seed_users", "alice", "--superuser"]);
});
afterAll(async () => {
  await ctx?.close().catch(() => {});
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("demo with the Django origin (Chromium)", () => {
  it("signs in with the Django session and syncs a note to Django", async () => {
    ctx = await launchPersistentChromium(join(dir, "profile"));
    const page = ctx.pages()[0] ?? (await ctx.newPage());
    await page.goto(`${stack.django.url}/admin/login/`);
    await page.fill("#id_username", "alice");
    await page.fill("#id_password", "password");
    await page.click("input[type=submit]");
    await page.waitForURL(/\/admin\/$/);

    await page.goto(`${stack.url}/`);
    await expect.poll(() => page.locator("#state").textContent(), { timeout: 20_000 }).toBe("live");
    const who = await page.locator("#who").textContent();
    expect(who).toMatch(/^Django session \(user \d+\)$/);
    await page.fill("#new-note input[name=title]", "Written through the session");
    await page.click("#new-note button");
    await expect.poll(() => page.locator("#notes .card .meta").textContent(), { timeout: 20_000 }).toMatch(/^synced/);
    const dump = await stack.django.manage(["djazzkit_dump"]);
    expect(dump).toContain("Written through the session");
  });
});
