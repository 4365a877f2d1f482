/** Command-line options of `npm run load` and facts about the machine it ran on. */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";

export interface LoadOptions {
  users: number;
  socketsPerUser: number;
  /** Length of the steady push phase. */
  seconds: number;
  seed: number;
  /** Writes per device per second during the steady phase (exponential inter-arrival times). */
  rate: number;
  /** Hard deadline of the whole run; past it the run is aborted (exit 3) and wrangler killed. */
  deadlineS: number;
  /** Rewrite bench/LOAD.md with the results. */
  write: boolean;
  /** The command line, for the report. */
  command: string;
}

const DEFAULTS = { users: 100, socketsPerUser: 10, seconds: 30, seed: 1, rate: 0.5, deadlineS: 300 };

function num(name: string, raw: string | undefined, min: number, max: number): number {
  const v = Number(raw);
  if (raw === undefined || !Number.isFinite(v) || v < min || v > max) throw new Error(`--${name} wants a number in ${min}..${max}, got ${raw}`);
  return v;
}

export function parseOptions(argv: string[]): LoadOptions {
  const o: LoadOptions = { ...DEFAULTS, write: true, command: ["npm run load", ...(argv.length ? ["--", ...argv] : [])].join(" ") };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => argv[++i];
    switch (arg) {
      case "--users": o.users = Math.floor(num("users", value(), 1, 1000)); break;
      case "--sockets-per-user": o.socketsPerUser = Math.floor(num("sockets-per-user", value(), 1, 100)); break;
      case "--seconds": o.seconds = num("seconds", value(), 1, 600); break;
      case "--seed": o.seed = Math.floor(num("seed", value(), 0, 2 ** 31 - 1)); break;
      case "--rate": o.rate = num("rate", value(), 0.01, 20); break;
      case "--deadline": o.deadlineS = num("deadline", value(), 30, 3600); break;
      case "--no-write": o.write = false; break;
      default: throw new Error(`unknown option ${arg} (options: --users N --sockets-per-user N --seconds S --seed N --rate W/s --deadline S --no-write)`);
    }
  }
  return o;
}

/** The soft limit on open files of this process (wrangler and workerd inherit it). */
export function openFileLimit(): number | null {
  try {
    const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"));
    const soft = line?.trim().split(/\s+/)[3];
    return soft === undefined ? null : soft === "unlimited" ? Infinity : Number(soft);
  } catch {
    return null;
  }
}

export interface MachineInfo {
  nproc: number;
  cpu: string;
  memGiB: number;
  node: string;
  os: string;
  date: string;
  openFiles: number | null;
  commit: string;
  /** Relay sources (worker, durable, schemas, client, wrangler.toml) differ from the commit. */
  dirty: boolean;
}

export function machineInfo(): MachineInfo {
  let commit = "unknown";
  let dirty = false;
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    dirty = execFileSync("git", ["status", "--porcelain", "--", "worker", "durable", "schemas", "client", "wrangler.toml"], { encoding: "utf8" }).trim() !== "";
  } catch {
    // not a git checkout
  }
  let os: string = process.platform;
  try {
    os = /PRETTY_NAME="([^"]+)"/.exec(readFileSync("/etc/os-release", "utf8"))?.[1] ?? os;
  } catch {
    // keep the platform name
  }
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    memGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    openFiles: openFileLimit(),
    commit,
    dirty,
  };
}

/** CPU seconds (user + system) and resident MiB of every live process in process group `pgid`. */
export function groupUsage(pgid: number): { cpuS: number; rssMiB: number } {
  let ticks = 0;
  let pages = 0;
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const f = stat.slice(stat.lastIndexOf(")") + 2).split(" "); // f[0] is field 3 (state)
      if (Number(f[2]) !== pgid) continue;
      ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
      pages += Number(f[21]); // rss (field 24)
    } catch {
      // the process ended meanwhile
    }
  }
  return { cpuS: ticks / 100, rssMiB: Math.round((pages * 4096) / 2 ** 20) };
}

/** CPU seconds (user + system) of this process. */
export function selfCpuS(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
