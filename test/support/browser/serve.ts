/**
 * Bundles the browser test app (page, replica Worker, main-thread fallback page) with esbuild and
 * serves it from 127.0.0.1 with sqlite-wasm's own files under /sqlite-wasm/ (its module finds
 * sqlite3.wasm next to itself). No COOP/COEP headers: opfs-sahpool does not need them.
 */
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join, normalize } from "node:path";
import { build, type Plugin } from "esbuild";
import { REPO_ROOT } from "../bundle.js";

const SQLITE_DIST = join(REPO_ROOT, "node_modules/@sqlite.org/sqlite-wasm/dist");
const TYPES: Record<string, string> = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

/** The engine stays a separate module, loaded from where its wasm file is. */
const sqliteExternal: Plugin = {
  name: "sqlite-wasm-external",
  setup(b) {
    b.onResolve({ filter: /^@sqlite\.org\/sqlite-wasm$/ }, () => ({ path: "/sqlite-wasm/index.mjs", external: true }));
    b.onResolve({ filter: /^@djazzkit\/core$/ }, () => ({ path: join(REPO_ROOT, "client/index.ts") }));
    b.onResolve({ filter: /^@djazzkit\/core\/browser$/ }, () => ({ path: join(REPO_ROOT, "client/browser.ts") }));
  },
};

export interface BrowserApp { url: string; stop(): Promise<void> }

export async function serveBrowserApp(): Promise<BrowserApp> {
  const dir = mkdtempSync(join(tmpdir(), "djazzkit-browser-app-"));
  await build({
    entryPoints: { "page": join(REPO_ROOT, "test/support/browser/page.ts"), "replica-worker": join(REPO_ROOT, "test/support/browser/replica-worker.ts"), "fallback": join(REPO_ROOT, "test/support/browser/fallback.ts") },
    outdir: dir, bundle: true, format: "esm", platform: "browser", target: "es2022", plugins: [sqliteExternal], logLevel: "error",
  });
  writeFileSync(join(dir, "index.html"), '<!doctype html><meta charset="utf-8"><title>replica</title><script type="module" src="/page.js"></script>');
  writeFileSync(join(dir, "fallback.html"), '<!doctype html><meta charset="utf-8"><title>fallback</title><script type="module" src="/fallback.js"></script>');
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = path.startsWith("/sqlite-wasm/") ? join(SQLITE_DIST, normalize(path.slice("/sqlite-wasm/".length))) : join(dir, normalize(path === "/" ? "index.html" : path.slice(1)));
    if (!file.startsWith(SQLITE_DIST) && !file.startsWith(dir)) { res.writeHead(403).end(); return; }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
