#!/usr/bin/env node
/**
 * `npm run load [-- --users 100 --sockets-per-user 10 --seconds 30 --seed 1 --rate 0.5 --deadline 300 --no-write]`
 *
 * Bundles bench/load.ts with esbuild (Node 20 cannot strip types) into .test-tmp/load-<pid>/
 * (two levels below the repo root, so test/support's REPO_ROOT still resolves, and bare imports
 * resolve from node_modules), then runs it in a child whose open-file soft limit is raised to
 * the hard limit (1,000 sockets here, as many on the workerd side). A watchdog kills the child
 * and the wrangler process group it last started (pid file) if the child overruns its own
 * deadline by a minute, so nothing outlives the command.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleNodeEntry } from "../scripts/bundle-node-entry.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const i = args.indexOf("--deadline");
const deadlineS = i >= 0 ? Number(args[i + 1]) || 300 : 300;

const { dir, outfile } = await bundleNodeEntry(root, "bench/load.ts", "load");
const pidFile = join(dir, "wrangler.pid");

// `ulimit -n <hard>` may be refused (then the soft limit stays; load.ts notes a low one).
const child = spawn("sh", ["-c", 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" --enable-source-maps "$@"', process.execPath, outfile, ...args], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, DJAZZKIT_LOAD_PIDFILE: pidFile },
});

function killWrangler() {
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8"));
  try {
    if (pid > 0) process.kill(-pid, "SIGKILL");
  } catch {
    // already gone (the normal case: load.ts stops it)
  }
}

const watchdog = setTimeout(() => {
  console.error(`load: still running ${deadlineS + 60} s after start; killing it`);
  child.kill("SIGKILL");
  killWrangler();
}, (deadlineS + 60) * 1000);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => child.kill(signal));

child.on("exit", (code, signal) => {
  clearTimeout(watchdog);
  if (signal !== null) killWrangler(); // the child could not clean up after itself
  rmSync(dir, { recursive: true, force: true });
  process.exit(code ?? 1);
});
