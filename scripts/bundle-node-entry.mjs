/**
 * Node 20 cannot strip types: the TypeScript command-line entries (`npm run load`, `npm run soak`)
 * are bundled with esbuild into `.test-tmp/<name>-<pid>/` first. That folder sits two levels
 * below the repo root, so test/support's REPO_ROOT still resolves, and bare imports stay
 * external and resolve from node_modules.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

/** Bundle `entry` (relative to `root`); returns the temp folder and the bundle's path. */
export async function bundleNodeEntry(root, entry, name) {
  const dir = join(root, ".test-tmp", `${name}-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${name}.mjs`);
  await build({
    entryPoints: [join(root, entry)],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    logLevel: "warning",
  });
  return { dir, outfile };
}
