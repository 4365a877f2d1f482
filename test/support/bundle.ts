/**
 * Bundle the Worker (worker/index.ts, which also exports the Durable Object class) into one
 * ES module for Miniflare, which loads neither TypeScript nor bare imports (docs/TOOLCHAIN.md).
 * One bundle per test run: `bundleWorker()` caches by process, and a vitest globalSetup can
 * pass the path to test files through DJAZZKIT_TEST_BUNDLE.
 */
import { build } from "esbuild";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(fileURLToPath(new URL("../..", import.meta.url)));
export const BUNDLE_ENV = "DJAZZKIT_TEST_BUNDLE";

let cached: Promise<string> | undefined;

/** Path of the bundled worker module; built once per process (or taken from the env). */
export function bundleWorker(opts: { force?: boolean } = {}): Promise<string> {
  const fromEnv = process.env[BUNDLE_ENV];
  if (fromEnv && !opts.force) return Promise.resolve(fromEnv);
  if (!cached || opts.force) cached = buildBundle();
  return cached;
}

function buildBundle(): Promise<string> {
  return bundleModule(join(REPO_ROOT, "worker/index.ts"));
}

/**
 * Bundle any Worker entry module into `<fresh temp dir>/worker.mjs`. Miniflare must be given
 * `modulesRoot: dirname(path)`: workerd refuses module names that climb out of the root.
 */
export async function bundleModule(entry: string): Promise<string> {
  const outdir = mkdtempSync(join(tmpdir(), "djazzkit-bundle-"));
  const outfile = join(outdir, "worker.mjs");
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    conditions: ["workerd", "worker", "browser"],
    mainFields: ["module", "main"],
    external: ["cloudflare:*", "node:*"],
    loader: { ".json": "json" },
    sourcemap: "inline",
    logLevel: "error",
  });
  return outfile;
}

/** `compatibility_date` and `compatibility_flags` from wrangler.toml (the one source of truth). */
export function wranglerCompat(): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8");
  const date = /^\s*compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  const flagsText = /^\s*compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1] ?? "";
  const flags = [...flagsText.matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
  return { compatibilityDate: date, compatibilityFlags: flags };
}
