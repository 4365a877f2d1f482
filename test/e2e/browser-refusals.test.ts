/**
 * Issue 13 acceptance: what a web page learns when the relay refuses its socket, in Debian's
 * Chromium (playwright-core) against `wrangler dev` with the recommended production settings
 * (`DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK=false`, `DJAZZKIT_WS_REQUIRE_ORIGIN=true`, an allow-list
 * naming one page origin). Pages come from two `http://127.0.0.1:<port>` origins: the allowed
 * one and a foreign one. Before the fix every refusal reached the page as close code 1006, and
 * the SDK retried forever with the same dead token.
 *
 * Raw WebSocket: the foreign page learns 4403 `forbidden`; a missing or expired credential
 * learns 4401 (`auth_required` / `auth_expired`); an allowed page with a valid token syncs and
 * writes. SDK: the foreign page stops after one attempt; an expired token leads to exactly one
 * more `getToken()` call and a successful reconnect. Fails (never skips) without Chromium.
 */
import { build } from "esbuild";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WebSocketLike } from "../../client/socket.js";
import manifest from "../../djazzkit.schema.json";
import { launchChromium, serveStatic, type StaticSite } from "../support/browser.js";
import { REPO_ROOT } from "../support/bundle.js";
import { mintJwt } from "../support/jwt.js";
import { TEST_JWT_SECRET } from "../support/secrets.js";
import { freePort } from "../support/ports.js";
import { startWranglerDev, type WranglerDevHandle } from "../support/relay.js";

let relay: WranglerDevHandle;
let allowed: StaticSite;
let foreign: StaticSite;
let browser: Browser;
let syncUrl: string;
const USER = "4242";

/** The SDK's RelayClient as a browser script: `window.Djazzkit.RelayClient`. */
async function sdkBundle(): Promise<string> {
  const out = await build({
    stdin: { contents: `export { RelayClient } from "./client/relay-client.ts";`, resolveDir: REPO_ROOT, loader: "ts" },
    bundle: true,
    format: "iife",
    globalName: "Djazzkit",
    platform: "browser",
    target: "es2022",
    write: false,
  });
  return out.outputFiles[0]!.text;
}

beforeAll(async () => {
  const sdk = await sdkBundle();
  const files: Record<string, [string, string]> = {
    "/": ["text/html", `<!doctype html><title>djazzkit</title><script src="/sdk.js"></script>`],
    "/sdk.js": ["text/javascript", sdk],
  };
  allowed = await serveStatic(files);
  foreign = await serveStatic(files);
  const port = await freePort();
  relay = await startWranglerDev({
    port,
    vars: {
      DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false",
      DJAZZKIT_WS_REQUIRE_ORIGIN: "true",
      DJAZZKIT_WS_ALLOWED_ORIGINS: allowed.origin,
      DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET,
    },
  });
  syncUrl = `${relay.wsUrl}/djazzkit/sync`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await relay?.stop();
  await allowed?.close();
  await foreign?.close();
});

async function pageAt(site: StaticSite): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${site.origin}/`);
  return page;
}

interface Probe {
  code: number;
  reason: string;
  frames: { type: string; code?: string }[];
}

/** Opens a raw browser WebSocket and reports every frame and the close event. */
function probe(page: Page, protocols: string[]): Promise<Probe> {
  return page.evaluate(
    ([url, protocols]) =>
      new Promise<Probe>((resolve) => {
        const ws = new WebSocket(url, protocols);
        const frames: Probe["frames"] = [];
        ws.onmessage = (e) => frames.push(JSON.parse(String(e.data)));
        ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, frames });
      }),
    [syncUrl, protocols] as const,
  );
}

const bearer = (token: string) => ["djazzkit", `djazzkit.bearer.${token}`];

describe("a raw WebSocket in Chromium", () => {
  it("a foreign origin's page learns 4403 forbidden (not 1006)", async () => {
    const page = await pageAt(foreign);
    const seen = await probe(page, bearer(await mintJwt(USER)));
    expect(seen.code).toBe(4403);
    expect(seen.frames).toEqual([expect.objectContaining({ type: "error", code: "forbidden" })]);
    expect(seen.reason).toBe("origin not allowed");
    await page.close();
  });

  it("an allowed page without a credential learns 4401 auth_required, with or without offering djazzkit", async () => {
    const page = await pageAt(allowed);
    for (const protocols of [["djazzkit"], []]) {
      const seen = await probe(page, protocols);
      expect(seen.code).toBe(4401);
      expect(seen.frames).toEqual([expect.objectContaining({ type: "error", code: "auth_required" })]);
    }
    await page.close();
  });

  it("an allowed page with an expired token learns 4401 auth_expired", async () => {
    const page = await pageAt(allowed);
    const seen = await probe(page, bearer(await mintJwt(USER, { expiresInS: -60 })));
    expect(seen.code).toBe(4401);
    expect(seen.frames).toEqual([expect.objectContaining({ type: "error", code: "auth_expired" })]);
    await page.close();
  });
});

describe("the SDK in Chromium", () => {
  it("an allowed page with a valid token syncs and writes", async () => {
    const page = await pageAt(allowed);
    const outcome = await page.evaluate(
      async ([url, token, schemaVersion]) => {
        const { RelayClient } = (window as unknown as { Djazzkit: typeof import("../../client/relay-client.js") }).Djazzkit;
        const client = new RelayClient({ url, token, clientId: "browser-ok", schemaVersion, socketFactory: (u, p) => new WebSocket(u, p) as unknown as WebSocketLike });
        const ready = await client.connect();
        const handle = client.create("notes.Note", { title: "from Chromium" });
        const result = await handle;
        const deadline = Date.now() + 5000;
        while (client.get("notes.Note", handle.row_id) === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        const row = client.get("notes.Note", handle.row_id);
        await client.close();
        return { identity: ready.identity, status: result.status, title: row?.data?.title };
      },
      [syncUrl, await mintJwt(USER), manifest.schema_version] as const,
    );
    expect(outcome).toEqual({ identity: { user_id: USER, anonymous: false }, status: "applied", title: "from Chromium" });
    await page.close();
  });

  it("a foreign origin's page stops after one attempt, with the reason, and does not retry", async () => {
    const page = await pageAt(foreign);
    const outcome = await page.evaluate(
      async ([url, token, schemaVersion]) => {
        const { RelayClient } = (window as unknown as { Djazzkit: typeof import("../../client/relay-client.js") }).Djazzkit;
        let attempts = 0;
        const client = new RelayClient({
          url, token, clientId: "browser-foreign", schemaVersion,
          socketFactory: (u, p) => { attempts++; return new WebSocket(u, p) as unknown as WebSocketLike; },
          backoff: { baseMs: 10, maxMs: 50 },
        });
        const error = await client.connect().then(() => null, (e: { code: string }) => e.code);
        await new Promise((r) => setTimeout(r, 1500)); // a retrying client would have tried again by now
        const out = { error, attempts, state: client.state, refusal: client.refusal };
        await client.close();
        return out;
      },
      [syncUrl, await mintJwt(USER), manifest.schema_version] as const,
    );
    expect(outcome).toEqual({
      error: "forbidden",
      attempts: 1,
      state: "stopped",
      refusal: { close_code: 4403, code: "forbidden", message: expect.stringContaining("is not allowed") },
    });
    await page.close();
  });

  it("an expired token leads to exactly one more getToken() call and a successful reconnect", async () => {
    const page = await pageAt(allowed);
    const outcome = await page.evaluate(
      async ([url, expired, fresh, schemaVersion]) => {
        const { RelayClient } = (window as unknown as { Djazzkit: typeof import("../../client/relay-client.js") }).Djazzkit;
        const tokens = [expired, fresh];
        let calls = 0;
        let sockets = 0;
        const client = new RelayClient({
          url, clientId: "browser-refresh", schemaVersion,
          token: async () => tokens[Math.min(calls++, tokens.length - 1)],
          socketFactory: (u, p) => { sockets++; return new WebSocket(u, p) as unknown as WebSocketLike; },
        });
        const ready = await client.connect();
        const out = { calls, sockets, identity: ready.identity, state: client.state };
        await client.close();
        return out;
      },
      [syncUrl, await mintJwt(USER, { expiresInS: -60 }), await mintJwt(USER), manifest.schema_version] as const,
    );
    // One call before the first connect (expired: 4401), exactly one after it, then ready.
    expect(outcome).toEqual({ calls: 2, sockets: 2, identity: { user_id: USER, anonymous: false }, state: "ready" });
    await page.close();
  });
});
