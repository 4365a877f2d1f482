#!/usr/bin/env node
/**
 * Builds the demo into demo/dist (the Worker's static assets, wrangler.toml `[assets]`): the page
 * (app.js) and the replica Worker (replica-worker.js), minified by esbuild, plus sqlite-wasm's own
 * files under /sqlite-wasm/ (the engine is loaded as a separate module next to its .wasm).
 * Prints the bundle sizes; fails when the demo's JavaScript (SQLite engine excluded) is over the
 * client's budget of 40 KB min+gzip.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
export const DIST = join(here, "dist");
export const BUDGET_BYTES = 40 * 1024;
const SQLITE = join(root, "node_modules/@sqlite.org/sqlite-wasm/dist");

/** Builds demo/dist; returns the min+gzip size of each bundle. */
export async function buildDemo({ quiet = false } = {}) {
  // Empty the directory but keep it: a running `wrangler dev` watches it, and a removed and
  // re-created directory would leave it serving 404s.
  mkdirSync(DIST, { recursive: true });
  for (const f of readdirSync(DIST)) rmSync(join(DIST, f), { recursive: true, force: true });
  mkdirSync(join(DIST, "sqlite-wasm"), { recursive: true });
  await build({
    entryPoints: { app: join(here, "src/app.ts"), "replica-worker": join(here, "src/replica-worker.ts") },
    outdir: DIST, bundle: true, minify: true, format: "esm", platform: "browser", target: "es2022",
    conditions: ["djazzkit-source"], logLevel: "error",
    plugins: [{
      name: "sqlite-wasm-external",
      setup(b) { b.onResolve({ filter: /^@sqlite\.org\/sqlite-wasm$/ }, () => ({ path: "/sqlite-wasm/index.mjs", external: true })); },
    }],
  });
  copyFileSync(join(here, "src/index.html"), join(DIST, "index.html"));
  for (const f of ["index.mjs", "sqlite3.wasm"]) copyFileSync(join(SQLITE, f), join(DIST, "sqlite-wasm", f));
  const sizes = Object.fromEntries(["app.js", "replica-worker.js"].map((f) => [f, gzipSync(readFileSync(join(DIST, f)), { level: 9 }).byteLength]));
  const total = sizes["app.js"] + sizes["replica-worker.js"];
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  if (!quiet) console.log(`demo bundle (min+gzip, SQLite engine excluded): page ${kb(sizes["app.js"])} + replica worker ${kb(sizes["replica-worker.js"])} = ${kb(total)} (budget ${kb(BUDGET_BYTES)})`);
  if (total > BUDGET_BYTES) throw new Error(`demo bundle is ${total} B min+gzip, over the ${BUDGET_BYTES} B budget`);
  return { ...sizes, total };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    await buildDemo();
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  }
}
