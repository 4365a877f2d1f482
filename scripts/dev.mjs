#!/usr/bin/env node
/**
 * `npm run dev`: the relay standalone under `wrangler dev --local` on 127.0.0.1:${PORT:-8787},
 * with the demo app (demo/, built by wrangler's `[build]` step) as its static assets at `/`.
 *
 * Dev sign-in: the first run writes a random DJAZZKIT_JWT_SECRET to `.dev.vars` (git-ignored;
 * `wrangler dev` reads it, `wrangler deploy` never does). Once the relay answers, this script
 * prints links that sign the demo in as alice and bob with short-lived tokens it mints itself
 * (`npm run token -- <user>` makes more). No HTTP endpoint mints tokens.
 *
 * Runs wrangler directly (not through npx) in its own process group and forwards SIGINT,
 * SIGTERM and SIGHUP to the whole group, so stopping this script also stops wrangler's workerd
 * processes instead of leaving them holding the port. Extra arguments go to wrangler dev.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEMO_USERS, ensureDevSecret, mintDevToken, signInLink } from "./dev-auth.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const wrangler = join(root, "node_modules", ".bin", "wrangler");
if (!existsSync(wrangler)) {
  console.error("wrangler is not installed: run `npm ci` first.");
  process.exit(1);
}

const port = process.env.PORT || "8787";
const dev = ensureDevSecret(root);
if (dev.created) console.log(`Created a dev JWT secret in ${dev.file} (git-ignored, never deployed).`);
/** How long the printed sign-in links work. */
const LINK_TTL_S = 2 * 3600;
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

// Print the sign-in links once the relay answers (the build and workerd take a few seconds).
void (async () => {
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 600; i++) {
    await new Promise((r) => setTimeout(r, 250));
    if (child.exitCode !== null || child.signalCode !== null) return; // ours failed (port taken?): another server answers
    const ok = await fetch(`${base}/djazzkit/health`).then((r) => r.ok, () => false);
    if (!ok) continue;
    const lines = [];
    for (const user of Object.keys(DEMO_USERS)) {
      lines.push(`  ${user.padEnd(6)} ${signInLink(base, await mintDevToken(dev.secret, user, LINK_TTL_S))}`);
    }
    console.log(`\n  djazzkit demo is up. Open a link (valid ${LINK_TTL_S / 3600} h; \`npm run token -- alice\` for scripts):\n${lines.join("\n")}\n`);
    return;
  }
})();

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
