/**
 * Builds @djazzkit/core into dist/: one ES module per entry (esbuild bundles the repo's shared
 * `schemas/` in, so the package needs nothing outside itself) and type declarations (tsc).
 * Entries: `.` (SyncClient, no SQLite engine), `./node` (better-sqlite3 files), `./browser`
 * (sqlite-wasm over OPFS), and the `djazzkit` command (dist/djazzkit.js, `npx djazzkit codegen`).
 * The SQLite engines stay external: apps install the one they use.
 */
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { chmodSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "dist");

export async function buildPackage({ minify = false, types = true } = {}) {
  rmSync(outdir, { recursive: true, force: true });
  await build({
    entryPoints: { index: join(here, "index.ts"), node: join(here, "node.ts"), browser: join(here, "browser.ts") },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    minify,
    mainFields: ["module", "main"],
    external: ["better-sqlite3", "@sqlite.org/sqlite-wasm", "node:*"],
    logLevel: "error",
  });
  // The `djazzkit` command (package.json `bin`): Node only, one self-contained file.
  await build({
    entryPoints: { djazzkit: join(here, "bin/djazzkit.ts") },
    outdir,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify,
    banner: { js: "#!/usr/bin/env node" },
    logLevel: "error",
  });
  chmodSync(join(outdir, "djazzkit.js"), 0o755);
  if (types) {
    execFileSync(process.execPath, [join(here, "../node_modules/typescript/bin/tsc"), "-p", join(here, "tsconfig.build.json")], { stdio: "inherit" });
  }
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildPackage();
