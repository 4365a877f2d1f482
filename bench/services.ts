/**
 * What the bench starts for itself (issue 12), all on loopback and stopped by their own PIDs:
 * the relay standalone under `wrangler dev`, the test-only ceiling Worker under `wrangler dev`,
 * and the peer (PouchDB Server) in its own Node process. Also the resident memory of a
 * service's processes (wrangler's workerd children, or the peer), for the catch-up scenario.
 */
import { execFile, spawn } from "node:child_process";
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { REPO_ROOT } from "../test/support/bundle.js";
import { mintJwt } from "../test/support/jwt.js";
import { TEST_JWT_SECRET } from "../test/support/secrets.js";
import { startWranglerDev, type WranglerDevHandle } from "../test/support/relay.js";

/** Relay vars for the bench. Per-socket frame limits are raised so they do not cap throughput. */
export const RELAY_BENCH_VARS: Record<string, string> = {
  DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET,
  DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false",
  DJAZZKIT_RATE_LIMIT_PER_S: "100000",
  DJAZZKIT_RATE_LIMIT_BURST: "1000000",
  DJAZZKIT_MAX_SOCKETS_PER_USER: "256",
};

export const SCHEMA_VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, "djazzkit.schema.json"), "utf8")) as { schema_version: string }).schema_version;

export interface Peer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

export async function startPeer(): Promise<Peer> {
  const child = spawn(process.execPath, [join(REPO_ROOT, "bench/peer-server.cjs")], { cwd: REPO_ROOT, stdio: ["pipe", "pipe", "inherit"] });
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`peer server exited (code ${code}) before listening`)));
  });
  const { port } = JSON.parse(first) as { port: number };
  notePid(-child.pid!); // not a group leader: noted negative, killed by pid
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    async stop() {
      child.stdin?.end();
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** bench/bench.mjs passes a file where every started process group is noted, to kill them if this process dies. */
export function notePid(pid: number): void {
  const file = process.env.DJAZZKIT_BENCH_PIDFILE;
  if (file) appendFileSync(file, `${pid}\n`);
}

async function noted(h: Promise<WranglerDevHandle>): Promise<WranglerDevHandle> {
  const handle = await h;
  notePid(handle.pid);
  return handle;
}

let built: Promise<string> | undefined;
const builtDirs: string[] = [];

/**
 * The relay as it is when the bench starts, bundled once by `wrangler deploy --dry-run` into a
 * temp dir with a copy of wrangler.toml pointing at the bundle (`no_bundle`). wrangler dev of
 * the working tree would rebuild and restart on every source edit, cutting every socket of a
 * run in progress (and mixing two versions of the code in one run).
 */
function relayBundle(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "djazzkit-bench-relay-"));
    builtDirs.push(dir);
    await new Promise<void>((resolve, reject) => {
      execFile(join(REPO_ROOT, "node_modules/.bin/wrangler"), ["deploy", "--dry-run", "--outdir", join(dir, "dist")], {
        cwd: REPO_ROOT,
        env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_HIDE_BANNER: "true", NO_COLOR: "1" },
        maxBuffer: 16 * 1024 * 1024,
      }, (err, _stdout, stderr) => (err ? reject(new Error(`wrangler deploy --dry-run failed: ${err.message}\n${stderr}`)) : resolve()));
    });
    // The ceiling object is test-only (issue 12): it must never ship in the deployed bundle.
    if (/class Ceiling\b|djazzkit-bench-ceiling/.test(readFileSync(join(dir, "dist/index.js"), "utf8"))) {
      throw new Error("the deploy bundle contains the bench's ceiling Worker (bench/ceiling/); it must stay test-only");
    }
    // The copy lives in the temp dir: relative paths (static assets) point back into the repo,
    // and the custom [build] is dropped (the dry run just ran it; a watcher would rebuild).
    const toml = readFileSync(join(REPO_ROOT, "wrangler.toml"), "utf8")
      .replace(/^main\s*=.*$/m, 'main = "dist/index.js"\nno_bundle = true')
      .replace(/^(\s*directory\s*=\s*)"([^"]+)"/gm, (_m, key: string, path: string) => `${key}${JSON.stringify(resolve(REPO_ROOT, path))}`)
      .replace(/^\[build\][\s\S]*?(?=^\[|(?![\s\S]))/m, "");
    if (!toml.includes('main = "dist/index.js"')) throw new Error("wrangler.toml has no `main =` line to point at the bundle");
    writeFileSync(join(dir, "wrangler.toml"), toml);
    return join(dir, "wrangler.toml");
  })();
  return built;
}

/** Remove the temp bundle (bench.ts calls it when it stops everything). */
export function removeRelayBundle(): void {
  for (const d of builtDirs.splice(0)) rmSync(d, { recursive: true, force: true });
  built = undefined;
}

export async function startRelayDev(vars: Record<string, string> = {}, port?: number): Promise<WranglerDevHandle> {
  const config = await relayBundle();
  return noted(startWranglerDev({ config, vars: { ...RELAY_BENCH_VARS, ...vars }, readyTimeoutMs: 90_000, ...(port === undefined ? {} : { port }) }));
}

export function startCeilingDev(): Promise<WranglerDevHandle> {
  return noted(startWranglerDev({ config: join(REPO_ROOT, "bench/ceiling/wrangler.toml"), readyTimeoutMs: 90_000 }));
}

const tokens = new Map<string, Promise<string>>();
/** A bearer token for a bench user (cached). */
export function tokenFor(user: string): Promise<string> {
  let t = tokens.get(user);
  if (!t) tokens.set(user, (t = mintJwt(user, { expiresInS: 4 * 3600 })));
  return t;
}

/** Resident memory (bytes) of every process in process group `pgid` (wrangler dev: wrangler + workerd). */
export function groupRss(pgid: number, only?: RegExp): number {
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue; // field 5 of stat: pgrp
      if (only && !only.test(comm)) continue;
      total += rssOf(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

/** CPU time (ms, user + system) of every process in group `pgid`, or of one pid (`pgid` < 0). */
export function cpuMs(pgid: number, only?: RegExp): number {
  const tick = 10; // USER_HZ is 100 on Linux: one clock tick is 10 ms
  const read = (pid: string): number => {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const f = stat.slice(close + 2).split(" ");
    if (pgid > 0 && Number(f[2]) !== pgid) return 0;
    if (only && !only.test(comm)) return 0;
    return (Number(f[11]) + Number(f[12])) * tick; // fields 14 and 15 of stat: utime, stime
  };
  if (pgid < 0) return read(String(-pgid));
  let total = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      total += read(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return total;
}

export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples `read()` every `everyMs` until stopped; returns the peak. */
export function peakSampler(read: () => number, everyMs = 25): { stop(): number } {
  let peak = read();
  const t = setInterval(() => {
    try {
      peak = Math.max(peak, read());
    } catch {
      // process gone
    }
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      try {
        peak = Math.max(peak, read());
      } catch {
        // gone
      }
      return peak;
    },
  };
}
