/**
 * `npm run load` (issue 5): the relay under `wrangler dev --local` on 127.0.0.1, 1,000 devices
 * (100 users x 10 sockets, `RelayClient` over `ws`, seeded) pushing steadily; then a deploy:
 * wrangler is stopped and started again on the same port and persisted state, every socket
 * drops at once and reconnects with the SDK's full-jitter backoff from its stored cursor.
 * Measures recovery time, reconnect attempts, push ack latency and frame rates; verifies that
 * nothing acked is lost, devices of a user agree, and no socket sees another user's rows.
 * Exits 1 on any violation, 3 past the hard deadline. Run through bench/load.mjs (bundles this).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import type { WebSocketLike } from "../client/index.js";
import { REPO_ROOT } from "../test/support/bundle.js";
import { freePort, sleep } from "../test/support/ports.js";
import { startWranglerDev, type WranglerDevHandle } from "../test/support/relay.js";
import { type CheckStats, checkDevices, checkFreshDevices } from "./load-check.js";
import { SimClient } from "./load-clients.js";
import { History } from "./load-history.js";
import { groupUsage, machineInfo, openFileLimit, parseOptions, selfCpuS } from "./load-options.js";
import { NOTES_MARKER, type Timeline, renderReport, summary } from "./load-report.js";
import { rng, subSeed } from "./load-rng.js";
import { mintJwt } from "../test/support/jwt.js";
import { TEST_JWT_SECRET } from "../test/support/secrets.js";

const opts = parseOptions(process.argv.slice(2));
/** The standalone relay serves djazzkit.schema.json; devices are built for that version. */
const schema = JSON.parse(readFileSync(join(REPO_ROOT, "djazzkit.schema.json"), "utf8")) as { schema_version: string };
const started = performance.now();
const deadlineAt = started + opts.deadlineS * 1000;
const left = () => deadlineAt - performance.now();
const log = (msg: string) => console.log(`[load ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);

const history = new History();
const persistDir = mkdtempSync(join(tmpdir(), "djazzkit-load-"));
const pidFile = process.env.DJAZZKIT_LOAD_PIDFILE;
let relay: WranglerDevHandle | undefined;
const devices: SimClient[] = [];
const writeTimers = new Set<ReturnType<typeof setTimeout>>();

// ---- cleanup: always, even on failure, the deadline or a signal ----------------------------
let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const t of writeTimers) clearTimeout(t);
    await Promise.race([Promise.all(devices.map((d) => d.client.close())), sleep(5_000)]);
    await relay?.stop().catch(() => undefined);
    rmSync(persistDir, { recursive: true, force: true });
  })();
  return cleaning;
}
process.on("exit", () => {
  // Last resort (a throw inside cleanup): never leave wrangler or workerd behind.
  if (relay) try { process.kill(-relay.pid, "SIGKILL"); } catch { /* gone */ }
});
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}
const deadline = setTimeout(() => {
  log(`hard deadline of ${opts.deadlineS} s reached: aborting`);
  for (const m of history.messages) console.error(`  ${m}`);
  void cleanup().finally(() => process.exit(3));
}, opts.deadlineS * 1000);

async function startRelayProcess(port: number | undefined, vars: Record<string, string>): Promise<WranglerDevHandle> {
  const handle = await startWranglerDev({ vars, persistDir, readyTimeoutMs: Math.min(90_000, left()), ...(port === undefined ? {} : { port }) });
  if (pidFile) writeFileSync(pidFile, String(handle.pid));
  return handle;
}

/** Polls `done` every `everyMs` until it holds or `timeoutMs` passes; returns whether it held. */
async function until(done: () => boolean, timeoutMs: number, everyMs = 100): Promise<boolean> {
  const end = performance.now() + Math.max(0, timeoutMs);
  while (performance.now() < end) {
    if (done()) return true;
    await sleep(everyMs);
  }
  return done();
}

const socketFactory = (url: string, protocols: string[]) => new WebSocket(url, protocols, { perMessageDeflate: false }) as unknown as WebSocketLike;

async function run(): Promise<{ timeline: Timeline; stats: CheckStats; notes: string[] }> {
  const notes: string[] = [];
  const total = opts.users * opts.socketsPerUser;
  const files = openFileLimit();
  if (files !== null && files < total * 3 + 512) {
    notes.push(`open-file limit ${files} is low for ${total} sockets; raise it with \`ulimit -n\` (bench/load.mjs raises the soft limit to the hard one)`);
  }
  // Defaults: 64 sockets per user, 50 frames/s per socket (burst 200). The run needs
  // sockets-per-user + 1 (the fresh device of the check) and ~1 frame/s per socket.
  const vars: Record<string, string> = { DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET };
  if (opts.socketsPerUser + 1 > 64) {
    vars.DJAZZKIT_MAX_SOCKETS_PER_USER = String(opts.socketsPerUser + 1);
    notes.push(`DJAZZKIT_MAX_SOCKETS_PER_USER raised to ${vars.DJAZZKIT_MAX_SOCKETS_PER_USER}`);
  }

  log(`starting wrangler dev (persist ${persistDir})`);
  relay = await startRelayProcess(await freePort(), vars);
  const port = relay.port;
  log(`relay on ${relay.url}`);

  const tokens = new Map<number, string>();
  for (let u = 1; u <= opts.users; u++) tokens.set(u, await mintJwt(u, { expiresInS: 3600 }));
  for (let u = 1; u <= opts.users; u++) {
    for (let d = 0; d < opts.socketsPerUser; d++) {
      devices.push(new SimClient({ wsUrl: relay.wsUrl, token: tokens.get(u)!, user: u, device: d, seed: opts.seed, schemaVersion: schema.schema_version, history }));
    }
  }

  // ---- connect: every device reaches sync_ready -------------------------------------------
  const tConnect = performance.now();
  for (const [i, d] of devices.entries()) {
    d.client.connect().catch(() => undefined); // state is polled below
    if (i % 50 === 49) await sleep(20);
  }
  if (!(await until(() => devices.every((d) => d.client.state === "ready"), Math.min(120_000, left() - 60_000)))) {
    throw new Error(`only ${devices.filter((d) => d.client.state === "ready").length}/${total} devices reached sync_ready`);
  }
  const connectMs = performance.now() - tConnect;
  log(`${total} sockets ready in ${(connectMs / 1000).toFixed(1)} s`);

  // ---- steady pushes -----------------------------------------------------------------------
  history.phase = "steady";
  const steadyMs = Math.min(opts.seconds * 1000, left() - 120_000);
  if (steadyMs < opts.seconds * 1000) notes.push(`steady phase cut to ${(steadyMs / 1000).toFixed(0)} s by the deadline`);
  const tSteady = performance.now();
  const cpu0 = { relay: groupUsage(relay.pid).cpuS, load: selfCpuS() };
  const load0 = loadavg()[0]!;
  const steadyEnd = tSteady + steadyMs;
  const maxWrites = Math.ceil(opts.rate * opts.seconds * 4) + 10; // per device, a hard bound
  const arrival = rng(subSeed(opts.seed, 999_999));
  const next = () => (-Math.log(1 - arrival()) / opts.rate) * 1000;
  for (const d of devices) {
    const tick = () => {
      writeTimers.delete(timer);
      if (performance.now() >= steadyEnd || d.writes >= maxWrites) return;
      d.writeOnce();
      timer = setTimeout(tick, next());
      writeTimers.add(timer);
    };
    let timer = setTimeout(tick, next());
    writeTimers.add(timer);
  }
  const progressEvery = 5_000;
  while (performance.now() < steadyEnd) {
    await sleep(Math.min(progressEvery, steadyEnd - performance.now()));
    log(`steady: ${history.writesMade} writes, ${history.acked} acked, ${history.ackLatencyMs.length} latencies, ${history.closesBeforeDrop} closes, ${history.violationCount} violations`);
  }
  for (const t of writeTimers) clearTimeout(t);
  writeTimers.clear();
  const steadyActualMs = performance.now() - tSteady;
  const load1 = loadavg()[0]!;
  const relayUsage = groupUsage(relay.pid);
  const cpu = { relayS: relayUsage.cpuS - cpu0.relay, loadS: selfCpuS() - cpu0.load, relayRssMiB: relayUsage.rssMiB };
  const pendingAtDrop = devices.reduce((n, d) => n + d.client.pendingCount, 0);

  // ---- deploy: every socket drops at once, the relay comes back on the same port and data --
  history.phase = "recovery";
  const ackedAtDrop = history.acked;
  const tDrop = performance.now();
  log(`deploy: stopping wrangler (${pendingAtDrop} writes pending at the drop)`);
  await relay.stop();
  relay = undefined;
  const tDown = performance.now();
  relay = await startRelayProcess(port, vars);
  const tUp = performance.now();
  log(`relay back on port ${port} after ${((tUp - tDrop) / 1000).toFixed(1)} s`);
  const recoveryBudget = Math.min(180_000, left() - 45_000);
  const allReady = await until(() => devices.every((d) => d.readyAfterDropAt !== null), recoveryBudget);
  const tAllReady = performance.now();
  const converged = allReady && (await until(() => devices.every((d) => d.caughtUp()), recoveryBudget - (tAllReady - tDrop)));
  const tConverged = performance.now();
  if (!allReady) history.violation("recovery", `${devices.filter((d) => d.readyAfterDropAt === null).length}/${total} devices not back to sync_ready within ${(recoveryBudget / 1000).toFixed(0)} s`);
  else if (!converged) history.violation("recovery", `${devices.filter((d) => !d.caughtUp()).length}/${total} devices ready but missing acked rows or with pending writes at the recovery deadline`);
  log(allReady && converged ? `recovered: all ready after ${((tAllReady - tDrop) / 1000).toFixed(1)} s, every acked row everywhere after ${((tConverged - tDrop) / 1000).toFixed(1)} s` : "recovery incomplete");

  // ---- verify ------------------------------------------------------------------------------
  history.phase = "verify";
  const stats: CheckStats = { rowsChecked: 0, laterWinners: 0, conflictRows: 0, freshClientsChecked: 0 };
  checkDevices(history, devices, stats);
  await checkFreshDevices(history, { wsUrl: relay.wsUrl, schemaVersion: schema.schema_version, tokens, devices, timeoutMs: 30_000, concurrency: 10 }, socketFactory, stats);
  log(`verified ${stats.rowsChecked} acked rows at every device plus ${stats.freshClientsChecked} fresh devices: ${history.violationCount} violations`);

  return {
    stats, notes,
    timeline: {
      connectMs, steadyMs: steadyActualMs, steadyStart: tSteady, cpu, loadAvg: [load0, load1], ackedAtDrop, pendingAtDrop,
      stopMs: tDown - tDrop, restartMs: tUp - tDown, allReadyMs: allReady ? tAllReady - tDrop : null,
      convergedMs: allReady && converged ? tConverged - tDrop : null,
      readyAfterDropMs: devices.flatMap((d) => (d.readyAfterDropAt === null ? [] : [d.readyAfterDropAt - tDrop])),
      reconnects: devices.map((d) => d.reconnectsAfterDrop),
      rowsPerUser: [...history.latest.values()].map((rows) => rows.size),
    },
  };
}

let code = 0;
try {
  const { timeline, stats, notes } = await run();
  const machine = machineInfo();
  console.log(summary(opts, history, timeline, stats, notes));
  if (opts.write) {
    const path = join(REPO_ROOT, "bench/LOAD.md");
    const old = existsSync(path) ? readFileSync(path, "utf8") : "";
    const kept = old.includes(NOTES_MARKER) ? old.slice(old.indexOf(NOTES_MARKER)) : "";
    writeFileSync(path, renderReport(opts, machine, history, timeline, stats, notes, kept));
    log("wrote bench/LOAD.md");
  }
  code = history.violationCount > 0 ? 1 : 0;
} catch (err) {
  console.error(`load test failed: ${(err as Error).stack ?? String(err)}`);
  if (relay) console.error(`--- wrangler output (tail) ---\n${relay.output().slice(-4000)}`);
  code = 2;
} finally {
  clearTimeout(deadline);
  await cleanup();
}
if (history.violationCount > 0) {
  console.error(`${history.violationCount} violations:`);
  for (const m of history.messages) console.error(`  ${m}`);
}
process.exit(code);
