#!/usr/bin/env node
/**
 * `npm run soak -- --seeds N [--seed S] [--clients C] [--ops K] ...` (arguments: test/sim/soak.ts).
 * Node 20 cannot strip types: bundles test/sim/soak.ts and the worker with esbuild into
 * .test-tmp/soak-<pid>/ (two levels below the repo root, so test/support's REPO_ROOT resolves
 * and bare imports resolve from node_modules), then runs it and removes the directory.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleNodeEntry } from "../../scripts/bundle-node-entry.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const { dir, outfile } = await bundleNodeEntry(root, "test/sim/soak.ts", "soak");
const child = spawn(process.execPath, ["--enable-source-maps", outfile, ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  rmSync(dir, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
