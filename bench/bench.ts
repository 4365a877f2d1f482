/**
 * `npm run bench [-- --quick] [--smoke] [--only 1,3] [--repeats N] [--label NAME] [--no-write]`
 * (issue 12): the relay against PouchDB Server, measured side by side in one run. Starts
 * everything itself on loopback (the relay standalone under `wrangler dev`, the test-only
 * ceiling Worker under `wrangler dev`, the peer as express-pouchdb over the in-memory adapter;
 * scenarios 6 and 7 start the sample Django too), runs the scenarios, and writes
 * bench/results/<label>.json and .svg and, for full runs, bench/BENCH.md.
 *
 * `--profile`: also record a CPU profile of the relay's workerd isolate over the scenarios run
 * (bench/results/profile-<label>.cpuprofile, summary printed); the figures are then not clean.
 *
 * `--scale N`: scenario 1 writes N times as many rows per run (e.g. `--quick --only 1 --scale 5`).
 * `--rows N`: scenario 7 holds N rows (e.g. `--quick --only 7 --rows 2000`, the full mode's size).
 * `--render [--label NAME]`: only rewrite bench/BENCH.md (and the SVG) from saved results.
 *
 * Modes: full (default), `--quick` (smaller sizes, under 2 minutes), `--smoke` (CI: tiny sizes,
 * writes nothing; exits 1 only when a scenario errors, never because a figure is slow).
 * Run through bench/bench.mjs, which bundles this file (Node 20 cannot strip types).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { REPO_ROOT } from "../test/support/bundle.js";
import type { WranglerDevHandle } from "../test/support/relay.js";
import { renderBenchMd, renderSvg, type BenchRun } from "./bench-report.js";
import { startCpuProfile, summarizeProfile } from "./cpu-profile.js";
import type { ScenarioResult } from "./figures.js";
import { machineInfo } from "./load-options.js";
import { removeRelayBundle, startCeilingDev, startPeer, startRelayDev, type Peer } from "./services.js";
import { runCatchup } from "./scenarios/catchup.js";
import { runConflicts } from "./scenarios/conflicts.js";
import type { BenchContext } from "./scenarios/context.js";
import { runFanout } from "./scenarios/fanout.js";
import { runManyUsers } from "./scenarios/many-users.js";
import { runOrigin } from "./scenarios/origin.js";
import { runRevtree } from "./scenarios/revtree.js";
import { runWrites } from "./scenarios/writes.js";

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const opt = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const smoke = flag("--smoke");
const quick = smoke || flag("--quick");
const mode = smoke ? "smoke" : quick ? "quick" : "full";
const repeats = Number(opt("--repeats") ?? (smoke ? 1 : quick ? 3 : 5));
const only = opt("--only")?.split(",").map(Number);
const label = opt("--label") ?? (mode === "full" ? "latest" : mode);
const write = !smoke && !flag("--no-write") && !flag("--profile");

const started = performance.now();
const log = (msg: string) => console.log(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);

const SCENARIOS: Array<{ n: number[]; run: (ctx: BenchContext) => Promise<Array<Omit<ScenarioResult, "seconds">>> }> = [
  { n: [8], run: async (ctx) => [await runRevtree(ctx)] },
  { n: [1], run: async (ctx) => [await runWrites(ctx)] },
  { n: [2], run: async (ctx) => [await runConflicts(ctx)] },
  { n: [3], run: async (ctx) => [await runFanout(ctx)] },
  { n: [4], run: async (ctx) => [await runCatchup(ctx)] },
  { n: [5], run: async (ctx) => [await runManyUsers(ctx)] },
  { n: [6, 7], run: (ctx) => runOrigin(ctx, only) },
];

function version(pkg: string): string {
  try {
    return (JSON.parse(readFileSync(join(REPO_ROOT, "node_modules", pkg, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}
function djangoVersion(): string {
  try {
    return execFileSync("/usr/bin/python3", ["-c", "import django; print(django.get_version())"], { encoding: "utf8" }).trim();
  } catch {
    return "missing";
  }
}

const stops: Array<() => Promise<void>> = [];
let stopping: Promise<void> | undefined;
const stopAll = () => (stopping ??= (async () => {
  for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  removeRelayBundle();
})());
for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => void stopAll().finally(() => process.exit(130)));

/** BenchContext.profileSection: a CPU profile of a scenario's own relay over one section. */
async function profileSection<T>(relay: WranglerDevHandle, name: string, fn: () => Promise<T>): Promise<T> {
  if (!flag("--profile")) return fn();
  const profiler = await startCpuProfile(relay.inspectorPort);
  const out = await fn();
  const profile = await profiler.stop();
  const dir = join(REPO_ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `profile-${label}-${name}.cpuprofile`), JSON.stringify(profile));
  console.log(`profile of ${name}:\n${summarizeProfile(profile)}`);
  log(`wrote bench/results/profile-${label}-${name}.cpuprofile`);
  return out;
}

async function main(): Promise<number> {
  if (flag("--render")) return render();
  const loadStart = loadavg();
  const machine = machineInfo(); // at the start: the code the relay bundle is built from
  log(`mode ${mode}, ${repeats} runs per figure${only ? `, scenarios ${only.join(",")}` : ""}`);
  const [relay, ceiling, peer] = await Promise.all([startRelayDev(), startCeilingDev(), startPeer()]) as [WranglerDevHandle, WranglerDevHandle, Peer];
  stops.push(() => relay.stop(), () => ceiling.stop(), () => peer.stop());
  log(`relay ${relay.url}, ceiling ${ceiling.url}, peer ${peer.url}`);
  let n = 0;
  const ctx: BenchContext = { quick, smoke, repeats, scale: Number(opt("--scale") ?? 1), queryRows: opt("--rows") === undefined ? undefined : Number(opt("--rows")), window: 8, relay, ceiling, peer, unique: (p) => `bench-${p}-${process.pid}-${++n}`, newUser: () => String(1_000_000 + ++n), log, profileSection };

  const profiler = flag("--profile") ? await startCpuProfile(relay.inspectorPort) : undefined;
  const scenarios: ScenarioResult[] = [];
  for (const s of SCENARIOS) {
    if (only && !s.n.some((x) => only.includes(x))) continue;
    const t0 = performance.now();
    try {
      for (const r of await s.run(ctx)) scenarios.push({ ...r, seconds: (performance.now() - t0) / 1000 });
    } catch (err) {
      const e = err as Error;
      log(`scenario ${s.n.join("/")} FAILED: ${e.stack ?? e.message}`);
      for (const x of s.n) if (!only || only.includes(x)) scenarios.push({ scenario: x, title: `scenario ${x}`, figures: [], notes: [], error: e.message, seconds: (performance.now() - t0) / 1000 });
    }
  }
  scenarios.sort((a, b) => a.scenario - b.scenario);
  if (profiler) {
    const profile = await profiler.stop();
    const dir = join(REPO_ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `profile-${label}.cpuprofile`), JSON.stringify(profile));
    console.log(summarizeProfile(profile));
    log(`wrote bench/results/profile-${label}.cpuprofile`);
  }
  await stopAll();

  const run: BenchRun = {
    label,
    mode,
    started_at: new Date(Date.now() - (performance.now() - started)).toISOString(),
    seconds: (performance.now() - started) / 1000,
    machine: machine as unknown as Record<string, unknown>,
    versions: {
      node: process.version,
      wrangler: version("wrangler"),
      workerd: version("workerd"),
      "express-pouchdb": version("express-pouchdb"),
      "pouchdb-core": version("pouchdb-core"),
      "pouchdb-adapter-memory": version("pouchdb-adapter-memory"),
      "pouchdb-merge": version("pouchdb-merge"),
      django: djangoVersion(),
    },
    load_avg: { start: loadStart, end: loadavg() },
    repeats,
    window: ctx.window,
    scenarios,
  };
  for (const s of scenarios) {
    for (const f of s.figures) {
      const t = f.target ? ` [${f.target.met ? "met" : "MISSED"}: ${f.target.text}]` : "";
      log(`${s.scenario} ${f.label}: relay ${f.relay.median} ${f.unit}${f.peer ? `, peer ${f.peer.median}` : ""}${f.ratio ? `, relay/peer ${f.ratio.median}` : ""}${f.ceiling_share ? `, ceiling share ${f.ceiling_share.median}` : ""}${t}`);
    }
  }
  if (write) {
    const dir = join(REPO_ROOT, "bench/results");
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${label}.json`), `${JSON.stringify(run, null, 1)}\n`);
    writeFileSync(join(dir, `${label}.svg`), renderSvg(run));
    log(`wrote bench/results/${label}.json and .svg`);
    if (mode === "full") {
      const beforeFile = join(dir, "before.json");
      const before = label !== "before" && existsSync(beforeFile) ? (JSON.parse(readFileSync(beforeFile, "utf8")) as BenchRun) : undefined;
      writeFileSync(join(REPO_ROOT, "bench/BENCH.md"), renderBenchMd(REPO_ROOT, run, before));
      log("wrote bench/BENCH.md");
    }
  }
  const failed = scenarios.filter((s) => s.error);
  if (failed.length > 0) {
    log(`${failed.length} scenario(s) failed: ${failed.map((s) => s.scenario).join(", ")}`);
    return 1;
  }
  log(`done: ${scenarios.length} scenarios ran (slowness never fails the bench)`);
  return 0;
}

/** `--render [--label NAME]`: rewrite bench/BENCH.md from saved results (NAME, default latest; beside before). */
function render(): number {
  const dir = join(REPO_ROOT, "bench/results");
  const read = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8")) as BenchRun;
  const run = read(label === "quick" || label === "smoke" ? "latest" : label);
  const before = run.label !== "before" && existsSync(join(dir, "before.json")) ? read("before") : undefined;
  writeFileSync(join(REPO_ROOT, "bench/BENCH.md"), renderBenchMd(REPO_ROOT, run, before));
  writeFileSync(join(dir, `${run.label}.svg`), renderSvg(run));
  log(`rendered bench/BENCH.md from bench/results/${run.label}.json`);
  return 0;
}

main()
  .then(async (code) => {
    await stopAll();
    process.exit(code);
  })
  .catch(async (err) => {
    console.error(err);
    await stopAll();
    process.exit(1);
  });
