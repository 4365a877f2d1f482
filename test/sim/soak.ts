/**
 * `npm run soak -- [--seeds N] [--seed S] [--from F] [--clients C] [--users U] [--ops K]
 *                 [--p-restart P] [--p-origin P] [--p-process-restart P] [--concurrency J] [--no-rejections]
 *                 [--standalone]`
 * Runs seeds F..F+N-1 (or the single seed S) against one stack, prints a line per failing
 * seed with its history tail and a summary; exits 1 on any violation.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { describeFailure, runSeed, type SeedOptions } from "./run-seed.js";
import { startSimEnv } from "./harness.js";

function arg(name: string): string | undefined {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}
const num = (name: string, dflt: number) => (arg(name) === undefined ? dflt : Number(arg(name)));

async function main(): Promise<number> {
  const single = arg("seed");
  const from = num("from", 1);
  const seeds = single !== undefined ? [Number(single)] : Array.from({ length: num("seeds", 200) }, (_, i) => from + i);
  const base: Omit<SeedOptions, "seed"> = {
    clients: num("clients", 3), users: num("users", 2), ops: num("ops", 20),
    pRestart: num("p-restart", 0.05), pOrigin: num("p-origin", 0.1), pProcessRestart: num("p-process-restart", 0.03), rejections: !process.argv.includes("--no-rejections"),
  };
  const t0 = Date.now();
  const env = await startSimEnv({ log: (l) => console.log(l), standalone: process.argv.includes("--standalone"), usersHint: Math.min(1000, seeds.length * (base.users ?? 2) + 10) });
  const failed: number[] = [];
  let ms = 0;
  let restarts = 0;
  let outages = 0;
  const totals = { conflicts: 0, resolves: 0, rejections: 0, djangoEdits: 0 };
  try {
    const queue = [...seeds];
    let done = 0;
    const worker = async () => {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
        const r = await runSeed(env, { ...base, seed });
        done++;
        ms += r.ms;
        if (r.faults.some((f) => f.startsWith("restart"))) restarts++;
        if (r.faults.some((f) => f.startsWith("origin:"))) outages++;
        totals.conflicts += r.stats.conflicts;
        totals.resolves += r.stats.resolves;
        totals.rejections += r.stats.rejections;
        totals.djangoEdits += r.stats.djangoEdits;
        if (!r.ok) {
          failed.push(seed);
          console.log(describeFailure(r));
          mkdirSync(".test-tmp", { recursive: true });
          const file = `.test-tmp/sim-seed-${seed}.log`;
          writeFileSync(file, `${describeFailure(r, 0)}\n${r.history.tail(r.history.events.length)}\n`);
          console.log(`  full history: ${file}`);
        } else if (single !== undefined || seeds.length <= 20) {
          console.log(`seed=${seed} ok (${r.ms} ms ${JSON.stringify(r.phases)}; ${r.faults.join(" ") || "net only"})`);
        }
        if (seeds.length > 20 && done % 50 === 0) console.log(`[soak] ${done}/${seeds.length} seeds, ${failed.length} failed`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, num("concurrency", 1)) }, worker));
  } finally {
    await env.stop();
  }
  const mode = env.originMode ? "origin" : "standalone";
  console.log(`[soak] mode=${mode} seeds=${seeds.length} failed=${failed.length}${failed.length ? ` (${failed.join(",")})` : ""} ` +
    `avg=${Math.round(ms / seeds.length)} ms/seed concurrency=${num("concurrency", 1)} restarts=${restarts} origin-outages=${outages} conflict-changes=${totals.conflicts} resolves=${totals.resolves} origin-rejections=${totals.rejections} django-edits=${totals.djangoEdits} total=${Math.round((Date.now() - t0) / 1000)} s`);
  return failed.length ? 1 : 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err);
  process.exit(2);
});
