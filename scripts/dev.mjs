#!/usr/bin/env node
/**
 * `npm run dev`: the relay standalone under `wrangler dev --local` on 127.0.0.1:${PORT:-8787}.
 *
 * Runs wrangler directly (not through npx) in its own process group and forwards SIGINT,
 * SIGTERM and SIGHUP to the whole group, so stopping this script also stops wrangler's workerd
 * processes instead of leaving them holding the port. Extra arguments go to wrangler dev.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
if (!existsSync(wrangler)) {
  console.error("wrangler is not installed: run `npm ci` first.");
  process.exit(1);
}

const port = process.env.PORT || "8787";
const args = ["dev", "--local", "--ip", "127.0.0.1", "--port", port, ...process.argv.slice(2)];
const child = spawn(wrangler, args, {
  cwd: root,
  stdio: "inherit",
  detached: true, // own process group: signals reach wrangler and its workerd children together
  env: {
    ...process.env,
    // Offline-friendly: no telemetry, no Request.cf fetch, no update banner.
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_HIDE_BANNER: "true",
  },
});

let stopping = false;
function stop(signal) {
  if (stopping) return;
  stopping = true;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // the group is already gone
  }
  // If wrangler ignores the polite signal, make sure nothing outlives us.
  setTimeout(() => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, 5000).unref();
}

for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => stop(signal));

// `npm run dev` stopped with SIGTERM kills its `sh -c` without passing the signal on; notice
// being orphaned (the parent changed) and stop too, so no workerd outlives the command.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) stop("SIGTERM");
}, 1000).unref();
process.on("exit", () => {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
});

child.on("exit", (code, signal) => {
  process.exit(code ?? (signal ? 128 + (signal === "SIGINT" ? 2 : 15) : 0));
});
