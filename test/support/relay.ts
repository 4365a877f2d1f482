/**
 * Run the relay (Worker + UserObject) from Node for end-to-end tests, two ways:
 * - `startRelay`: Miniflare in this process on the bundled worker; Durable Object storage is
 *   persisted to a temp dir so `restart()` (a new workerd on the same port) keeps the data,
 *   like an object eviction or a deploy.
 * - `startWranglerDev`: the real `wrangler dev --local` as a child process (about 3 s to
 *   ready, ~420 MB), stopped by its own PID.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Log, LogLevel, Miniflare } from "miniflare";
import { bundleWorker, REPO_ROOT, wranglerCompat } from "./bundle.js";
import { freePort, sleep, waitForHttp } from "./ports.js";

export type Bindings = Record<string, string>;

export interface StartRelayOptions {
  /** Worker vars and secrets (DJAZZKIT_*), all strings as wrangler passes them. */
  bindings?: Bindings;
  /** Fixed port; default a free one. It is kept across `restart()`. */
  port?: number;
  /** Durable Object storage dir; default a fresh temp dir, removed by `stop()`. */
  persistDir?: string;
  /** Miniflare log level (default WARN: worker errors show, request logs do not). */
  logLevel?: LogLevel;
}

export interface RelayHandle {
  url: string;
  wsUrl: string;
  port: number;
  persistDir: string;
  /** The live Miniflare instance (replaced by `restart`). */
  readonly mf: Miniflare;
  /** Tear the runtime down and bring a new one up on the same port and storage. */
  restart(opts?: { bindings?: Bindings; downMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

export async function startRelay(opts: StartRelayOptions = {}): Promise<RelayHandle> {
  const scriptPath = await bundleWorker();
  const port = opts.port ?? (await freePort());
  const ownDir = opts.persistDir === undefined;
  const persistDir = opts.persistDir ?? mkdtempSync(join(tmpdir(), "djazzkit-do-"));
  const { compatibilityDate, compatibilityFlags } = wranglerCompat();
  let bindings: Bindings = { ...opts.bindings };

  const create = async (): Promise<Miniflare> => {
    const instance = new Miniflare({
      modules: true,
      scriptPath,
      // The bundle lives in a temp dir; workerd refuses module names that climb out of
      // modulesRoot (default: cwd) with "can't use '..' to break out of starting directory".
      modulesRoot: dirname(scriptPath),
      compatibilityDate,
      compatibilityFlags,
      durableObjects: { USER_OBJECT: { className: "UserObject", useSQLite: true } },
      durableObjectsPersist: persistDir,
      bindings,
      host: "127.0.0.1",
      port,
      log: new Log(opts.logLevel ?? LogLevel.WARN),
    });
    await instance.ready;
    return instance;
  };

  let mf = await create();
  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    port,
    persistDir,
    get mf() {
      return mf;
    },
    async restart(r = {}) {
      await mf.dispose();
      if (r.downMs) await sleep(r.downMs);
      if (r.bindings) bindings = { ...r.bindings };
      mf = await create();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await mf.dispose();
      if (ownDir) rmSync(persistDir, { recursive: true, force: true });
    },
  };
}

export interface WranglerDevOptions {
  vars?: Bindings;
  port?: number;
  /**
   * `--persist-to` dir, kept by `stop()` so a second `startWranglerDev` on the same dir and port
   * is a restart with the same Durable Object data (a deploy); default a fresh temp dir, removed.
   */
  persistDir?: string;
  /** Milliseconds to wait for /djazzkit/health (default 60 s). */
  readyTimeoutMs?: number;
  /** Another wrangler config (`-c`), e.g. the bench's test-only ceiling Worker; default wrangler.toml. */
  config?: string;
}

export interface WranglerDevHandle {
  url: string;
  wsUrl: string;
  port: number;
  pid: number;
  /** wrangler's DevTools (CDP) proxy into workerd: `ws://127.0.0.1:<port>/ws` (the bench's CPU profiles). */
  inspectorPort: number;
  /** Everything wrangler printed so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

/** `wrangler dev --local` on loopback with a fresh `--persist-to` dir (or `opts.persistDir`). */
export async function startWranglerDev(opts: WranglerDevOptions = {}): Promise<WranglerDevHandle> {
  const port = opts.port ?? (await freePort());
  const ownDir = opts.persistDir === undefined;
  const persistDir = opts.persistDir ?? mkdtempSync(join(tmpdir(), "djazzkit-wrangler-"));
  const inspectorPort = await freePort();
  const args = ["dev", "--local", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", persistDir, "--inspector-port", String(inspectorPort)];
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push("--var", `${k}:${v}`);
  if (opts.config !== undefined) args.push("--config", opts.config);
  const child: ChildProcess = spawn(join(REPO_ROOT, "node_modules/.bin/wrangler"), args, {
    cwd: REPO_ROOT,
    // Own process group, so stop() can end wrangler and the workerd processes it started.
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      ...process.env,
      WRANGLER_SEND_METRICS: "false",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_HIDE_BANNER: "true",
      NO_COLOR: "1",
      CI: "true",
    },
  });
  let out = "";
  const append = (chunk: Buffer) => {
    out = (out + chunk.toString("utf8")).slice(-20_000);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  let exited: string | null = null;
  const exitPromise = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = `wrangler dev exited (code ${code}, signal ${signal}):\n${out}`;
      resolve();
    }),
  );
  const stop = async () => {
    if (exited === null && child.pid !== undefined) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        // already gone
      }
      const killed = await Promise.race([exitPromise.then(() => true), sleep(5_000).then(() => false)]);
      if (!killed) {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
        await exitPromise;
      }
    }
    if (ownDir) rmSync(persistDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/djazzkit/health`, {
      timeoutMs: opts.readyTimeoutMs ?? 60_000,
      intervalMs: 200,
      accept: (s) => s === 200,
      alive: () => exited,
    });
  } catch (err) {
    await stop();
    throw new Error(`wrangler dev did not become ready: ${(err as Error).message}\n--- wrangler output ---\n${out}`);
  }
  return { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}`, port, pid: child.pid!, inspectorPort, output: () => out, stop };
}
