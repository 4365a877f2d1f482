/**
 * Run the sample Django origin (django/sample) for end-to-end tests: a fresh database (a temp
 * SQLite file, or a new PostgreSQL database dropped again by `stop()`), migrations, then
 * `runserver 127.0.0.1:<port> --noreload` under Debian's /usr/bin/python3.
 * The engine is `DJAZZKIT_E2E_DB` (`sqlite`, the default, or `postgresql`) unless a test names one.
 * Never skips: a missing interpreter, Django or PostgreSQL fails the suite with a message saying
 * how to fix it.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "./bundle.js";
import { freePort, sleep, waitForHttp } from "./ports.js";

/** Debian's interpreter: the `python3` on PATH (pyenv) cannot see python3-django (docs/TOOLCHAIN.md). */
export const PYTHON = process.env.DJAZZKIT_TEST_PYTHON ?? "/usr/bin/python3";
export const SAMPLE_DIR = join(REPO_ROOT, "django/sample");
const MANAGE = join(SAMPLE_DIR, "manage.py");

export type DjangoEngine = "sqlite" | "postgresql";

/** The engine of this run: `DJAZZKIT_E2E_DB` (CI runs the origin suites once per engine). */
export function e2eEngine(): DjangoEngine {
  const raw = (process.env.DJAZZKIT_E2E_DB ?? "sqlite").trim().toLowerCase();
  if (raw === "" || raw === "sqlite") return "sqlite";
  if (raw === "postgresql" || raw === "postgres") return "postgresql";
  throw new Error(`DJAZZKIT_E2E_DB must be sqlite or postgresql, not ${JSON.stringify(raw)}`);
}

export interface StartDjangoOptions {
  /** The relay's base URL for pokes (DJAZZKIT_RELAY_URL); unset: Django sends no pokes. */
  relayUrl?: string;
  /** DJAZZKIT_RELAY_SECRET shared with the relay. */
  secret: string;
  port?: number;
  /** Extra environment for manage.py and runserver (e.g. DJAZZKIT_RELAY_POKE_RETRIES). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
  /** Database engine; default `e2eEngine()`. */
  engine?: DjangoEngine;
}

export interface DjangoHandle {
  url: string;
  port: number;
  /** The temp SQLite file (kept across restarts; unused on PostgreSQL except for its `.salt`). */
  dbPath: string;
  engine: DjangoEngine;
  /** The PostgreSQL database (kept across restarts, dropped by `stop()`), or null on SQLite. */
  pgName: string | null;
  /** Stop the server for good and delete its temp dir. */
  stop(): Promise<void>;
  /** Stop the server but keep the DB: the origin is down until `up()`. */
  down(): Promise<void>;
  /** Start the server again on the same port and DB. */
  up(): Promise<void>;
  /** down + up, optionally with a new relay URL or extra env. */
  restart(opts?: { relayUrl?: string; env?: Record<string, string> }): Promise<void>;
  /** Run `manage.py <args>` against the same DB; resolves with stdout, throws with stderr. */
  manage(args: string[], opts?: { input?: string }): Promise<string>;
  /** What runserver printed recently (for failure messages). */
  output(): string;
}

let checked: Promise<string> | undefined;

/** Throws a clear error when /usr/bin/python3 or Django is missing; resolves with Django's version. */
export function requireDjango(): Promise<string> {
  checked ??= (async () => {
    try {
      accessSync(PYTHON, constants.X_OK);
    } catch {
      throw new Error(`${PYTHON} is missing: the end-to-end suite needs Debian's Python with Django (apt-get install -y python3-django)`);
    }
    try {
      return (await run(PYTHON, ["-c", "import django; print(django.get_version())"], {})).trim();
    } catch (err) {
      throw new Error(`Django is not importable by ${PYTHON}: install it with \`apt-get install -y python3-django\` (${(err as Error).message})`);
    }
  })();
  return checked;
}

let pgChecked: Promise<void> | undefined;

/** Throws a clear error when psycopg2 or the local PostgreSQL server is missing. */
export function requirePostgres(): Promise<void> {
  pgChecked ??= (async () => {
    await requireDjango();
    try {
      await run(PYTHON, ["-c", "import psycopg2; psycopg2.connect(dbname='postgres').close()"], process.env);
    } catch (err) {
      throw new Error(
        "PostgreSQL is not reachable (psycopg2, dbname=postgres over the local socket): install and start it with " +
          "`apt-get install -y postgresql python3-psycopg2 && pg_ctlcluster 15 main start` and create your role " +
          `(\`su postgres -c "psql -c 'CREATE ROLE root SUPERUSER LOGIN'"\`), as .ci/run does.\n${(err as Error).message}`,
      );
    }
  })();
  return pgChecked;
}

let pgCounter = 0;

/** CREATE or DROP (forcing out leftover sessions) a PostgreSQL database through psycopg2. */
async function pgAdmin(action: "create" | "drop", name: string): Promise<void> {
  const sql = action === "create" ? `CREATE DATABASE "${name}"` : `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`;
  const script = `import psycopg2\nc = psycopg2.connect(dbname='postgres')\nc.autocommit = True\nc.cursor().execute(${JSON.stringify(sql)})\nc.close()\n`;
  await run(PYTHON, ["-c", script], process.env);
}

export async function startDjango(opts: StartDjangoOptions): Promise<DjangoHandle> {
  await requireDjango();
  const engine = opts.engine ?? e2eEngine();
  if (engine === "postgresql") await requirePostgres();
  const port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "djazzkit-django-"));
  const dbPath = join(dir, "db.sqlite3");
  const pgName = engine === "postgresql" ? `djazzkit_e2e_${process.pid}_${++pgCounter}_${Math.random().toString(36).slice(2, 8)}` : null;
  const cleanup = async () => {
    if (pgName) await pgAdmin("drop", pgName).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  let relayUrl = opts.relayUrl;
  let extraEnv = { ...opts.env };
  const env = (): NodeJS.ProcessEnv => ({
    ...process.env,
    DJANGO_SETTINGS_MODULE: "sample.settings",
    DJAZZKIT_SAMPLE_DB: dbPath,
    DJAZZKIT_SAMPLE_DB_ENGINE: engine,
    DJAZZKIT_SAMPLE_PG_NAME: pgName ?? "",
    DJAZZKIT_RELAY_SECRET: opts.secret,
    DJAZZKIT_RELAY_URL: relayUrl ?? "",
    DJAZZKIT_SAMPLE_TEST_HOOKS: "1",
    PYTHONUNBUFFERED: "1",
    PYTHONDONTWRITEBYTECODE: "1",
    ...extraEnv,
  });
  const manage = (args: string[], o: { input?: string } = {}) => run(PYTHON, [MANAGE, ...args], env(), o.input);

  try {
    if (pgName) await pgAdmin("create", pgName);
    await manage(["migrate", "--noinput"]);
  } catch (err) {
    await cleanup();
    throw new Error(`sample Django (${engine}) database set-up failed: ${(err as Error).message}`);
  }

  let child: ChildProcess | null = null;
  let out = "";
  let exitInfo: string | null = null;
  let exited: Promise<void> = Promise.resolve();

  const up = async () => {
    if (child) return;
    exitInfo = null;
    const proc = spawn(PYTHON, [MANAGE, "runserver", `127.0.0.1:${port}`, "--noreload"], { cwd: SAMPLE_DIR, env: env(), stdio: ["ignore", "pipe", "pipe"] });
    child = proc;
    const append = (c: Buffer) => {
      out = (out + c.toString("utf8")).slice(-20_000);
    };
    proc.stdout?.on("data", append);
    proc.stderr?.on("data", append);
    exited = new Promise<void>((resolve) =>
      proc.once("exit", (code, signal) => {
        exitInfo = `Django runserver exited (code ${code}, signal ${signal})`;
        if (child === proc) child = null;
        resolve();
      }),
    );
    try {
      await waitForHttp(`http://127.0.0.1:${port}/sample/health`, {
        timeoutMs: opts.readyTimeoutMs ?? 30_000,
        accept: (s) => s < 500,
        alive: () => (exitInfo ? `${exitInfo}:\n${out}` : null),
      });
    } catch (err) {
      await down();
      throw new Error(`sample Django did not start on port ${port}: ${(err as Error).message}\n--- runserver output ---\n${out}`);
    }
  };

  const down = async () => {
    const proc = child;
    if (!proc) return;
    proc.kill("SIGTERM");
    const gone = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
    if (!gone) {
      proc.kill("SIGKILL");
      await exited;
    }
    child = null;
  };

  try {
    await up();
  } catch (err) {
    await cleanup();
    throw err;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dbPath,
    engine,
    pgName,
    up,
    down,
    async restart(r = {}) {
      await down();
      if (r.relayUrl !== undefined) relayUrl = r.relayUrl;
      if (r.env) extraEnv = { ...extraEnv, ...r.env };
      await up();
    },
    async stop() {
      await down();
      await cleanup();
    },
    manage,
    output: () => out,
  };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = execFile(cmd, args, { cwd: SAMPLE_DIR, env, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${[cmd, ...args].join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    if (input !== undefined) proc.stdin?.end(input);
    else proc.stdin?.end();
  });
}
