#!/usr/bin/env node
/**
 * `npm run bench [-- --quick | --smoke | --only 1,3 | --repeats N | --label NAME | --no-write]`
 *
 * Bundles bench/bench.ts with esbuild (Node 20 cannot strip types) into .test-tmp/bench-<pid>/,
 * then runs it in a child with the open-file soft limit raised to the hard limit (scenario 5
 * opens a thousand sockets on each side). A watchdog kills the child and every process group
 * it started (wrangler dev, workerd) if it overruns; nothing outlives the command.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleNodeEntry } from "../scripts/bundle-node-entry.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const quick = args.includes("--quick") || args.includes("--smoke");
const deadlineS = quick ? 600 : 3600;

const { dir, outfile } = await bundleNodeEntry(root, "bench/bench.ts", "bench");
const pidFile = join(dir, "pids");
const child = spawn("sh", ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" --enable-source-maps "$@"', process.execPath, outfile, ...args], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, DJAZZKIT_BENCH_PIDFILE: pidFile },
});

/** Whatever bench.ts started and could not stop itself (it was killed): wrangler groups, the peer. */
function killLeftovers() {
  if (!existsSync(pidFile)) return;
  for (const line of readFileSync(pidFile, "utf8").split("\n")) {
    const n = Number(line);
    if (!Number.isInteger(n) || n === 0) continue;
    try {
      process.kill(-n, "SIGKILL"); // n > 0: kill(-n) ends the process group (wrangler dev); n < 0: the single pid -n
    } catch {
      // already gone (the normal case)
    }
  }
}
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${deadlineS} s; killing it`);
  child.kill("SIGTERM");
  setTimeout(() => child.kill("SIGKILL"), 10_000).unref();
}, deadlineS * 1000);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  clearTimeout(watchdog);
  if (signal !== null || code !== 0) killLeftovers();
  rmSync(dir, { recursive: true, force: true });
  process.exit(code ?? (signal ? 1 : 0));
});
