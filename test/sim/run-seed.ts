/**
 * One seed's run: fresh users, clients behind their own network links, a random workload with
 * network faults throughout, client processes that share client ids and restart with a fresh
 * store, and (in some seeds) an origin outage or an object restart mid-stream; then heal
 * everything, wait for quiescence (bounded) and check the history.
 */
import type { FaultMode } from "../support/fault-proxy.js";
import { sleep } from "../support/ports.js";
import { check, isTransient, type UserView } from "./checker.js";
import type { SimEnv } from "./harness.js";
import { format, History } from "./history.js";
import { CALM, type LinkFaults } from "./net-proxy.js";
import { Prng } from "./prng.js";
import { Processes } from "./processes.js";
import { djangoPoke } from "../support/sample-hooks.js";
import { djangoOp } from "./django-edits.js";
import { forkOp, randomOp } from "./workload.js";

export interface SeedOptions {
  seed: number;
  clients?: number;
  users?: number;
  ops?: number;
  /** Probability that a seed restarts the object (relay) mid-stream. */
  pRestart?: number;
  /** Probability that a seed has an origin outage (fault proxy) mid-stream. */
  pOrigin?: number;
  /** Probability, per op, that a client process is killed and restarted with a fresh store. */
  pProcessRestart?: number;
  /**
   * Origin mode: ~5% of created notes are titled REJECT, which the sample origin refuses
   * (default true).
   */
  rejections?: boolean;
  /**
   * Origin mode: chance per op step of one more edit made through Django's ORM on the same
   * rows (django-edits.ts; default 0.15, 0 turns them off). Drawn from its own stream, so the
   * clients' workload of a seed is the same with or without them.
   */
  pDjango?: number;
  /** Quiescence bound in ms (default 10 s standalone, 20 s with an origin). */
  quiesceMs?: number;
}

export interface SeedResult {
  seed: number;
  ok: boolean;
  violations: string[];
  history: History;
  ms: number;
  faults: string[];
  /** Milliseconds spent connecting, issuing ops, healing, and reaching quiescence. */
  phases: Record<string, number>;
  /** Mutation id -> row, for every write the clients made. */
  made: Map<string, { model: string; row_id: string }>;
  /** Row changes seen with a non-empty conflict set, resolutions issued, origin rejections seen. */
  stats: { conflicts: number; resolves: number; rejections: number; djangoEdits: number };
}

const ORIGIN_FAULTS: FaultMode[] = ["refuse", "reset", "500", "slow", "timeout"];

function randomFaults(rng: Prng): LinkFaults {
  const level = rng.pick([0, 1, 1, 2]);
  if (level === 0) return { ...CALM };
  const p = level === 1 ? 0.08 : 0.2;
  return {
    delayMs: [0, rng.pick([0, 5, 20, 60])],
    dropPush: rng.chance(0.6) ? p : 0,
    dupPush: rng.chance(0.6) ? p : 0,
    swapPush: rng.chance(0.5) ? p : 0,
    dropAck: rng.chance(0.6) ? p : 0,
    dupAck: rng.chance(0.5) ? p : 0,
  };
}

export async function runSeed(env: SimEnv, o: SeedOptions): Promise<SeedResult> {
  const t0 = Date.now();
  const rng = new Prng(o.seed);
  const plan = rng.fork("plan");
  const work = rng.fork("work");
  const dj = rng.fork("django");
  const djangoEdits: Promise<void>[] = [];
  const history = new History();
  const nClients = o.clients ?? 3;
  const nUsers = Math.max(1, Math.min(o.users ?? 2, nClients));
  const nOps = o.ops ?? 20;
  const restartAt = env.stack.relay && plan.chance(o.pRestart ?? 0.05) ? plan.int(1, Math.max(1, nOps - 1)) : -1;
  const origin = plan.chance(o.pOrigin ?? 0.1)
    ? { mode: plan.pick(ORIGIN_FAULTS), from: plan.int(0, Math.max(0, nOps - 2)), to: 0 }
    : null;
  if (origin) origin.to = plan.int(origin.from + 1, nOps);
  const faults: string[] = [];
  if (restartAt >= 0) faults.push(`restart@${restartAt}`);
  if (origin) faults.push(`origin:${origin.mode}@${origin.from}-${origin.to}`);

  const users = await env.takeUsers(nUsers);
  const procs = new Processes(env, history, rng);
  const clients = procs.live;
  const links = procs.links;
  const lives = rng.fork("processes");
  const shareAll = lives.chance(0.3);
  const clientIds = Processes.clientIds(o.seed, nClients, nUsers, shareAll);
  const made = new Map<string, { model: string; row_id: string }>();
  let restartP: Promise<void> | null = null;
  let violations: string[] = [];
  const phases: Record<string, number> = {};
  let tp = Date.now();
  const phase = (name: string) => { phases[name] = Date.now() - tp; tp = Date.now(); };
  try {
    for (let i = 0; i < nClients; i++) {
      const userId = users[i % nUsers]!;
      const name = `s${o.seed}-u${i % nUsers}-c${i}-${Date.now().toString(36)}`;
      const linkFaults = randomFaults(plan);
      if (linkFaults.dropPush || linkFaults.dropAck) faults.push(`net${i}:${JSON.stringify(linkFaults)}`);
      await procs.add(userId, clientIds[i]!, name, linkFaults);
    }
    if (shareAll) faults.push("one client id for all");
    await Promise.race([Promise.all(clients.map((c) => c.client.ready.catch(() => {}))), sleep(3_000)]);
    phase("connect");

    for (let i = 0; i < nOps; i++) {
      if (origin && i === origin.from) {
        history.add("sim", "fault", { fault: `origin ${origin.mode}` });
        await env.stack.proxy.setMode({ mode: origin.mode, delayMs: 1_500 });
      }
      if (origin && i === origin.to) {
        history.add("sim", "fault", { fault: "origin pass" });
        await env.stack.proxy.setMode("pass");
      }
      if (i === restartAt) {
        history.add("sim", "fault", { fault: "relay restart" });
        restartP = env.stack.relay!.restart({ downMs: work.int(0, 300) }).then(() => history.add("sim", "fault", { fault: "relay up" }));
      }
      const c = work.pick(clients);
      const wl = { rejections: env.originMode && (o.rejections ?? true) };
      if (!(work.chance(0.2) && forkOp(work, clients, history, wl))) randomOp(work, c, history, wl);
      if (env.originMode && dj.chance(o.pDjango ?? 0.15)) djangoEdits.push(djangoOp(dj, env.stack.django, clients, history));
      const roll = work.next();
      if (roll < 0.06) work.pick(links).disconnect();
      else if (roll < 0.08) {
        const l = work.pick(links);
        l.down = true;
        l.disconnect();
        history.add(l.name, "fault", { fault: "partition" });
        setTimeout(() => { l.down = false; }, work.int(50, 400));
      }
      if (lives.chance(o.pProcessRestart ?? 0.03)) await procs.restart(lives.int(0, clients.length - 1));
      await sleep(work.int(0, 12));
    }
    if (procs.restarts.length > 0) faults.push(`process restarts ${procs.restarts.length}`);

    phase("ops");
    // Heal everything, then wait for quiescence.
    history.add("sim", "fault", { fault: "heal" });
    if (origin) await env.stack.proxy.setMode("pass");
    for (const l of links) l.heal();
    if (restartP) await restartP;
    await Promise.all(djangoEdits);
    // Django's pokes made during an outage or a relay restart may have run out of retries (the
    // sim gives it 2); a real origin keeps retrying, and the relay's idle pull (60 s) heals the
    // rest. Model that: once healed, Django pokes the seed's users again.
    if (djangoEdits.length > 0) await djangoPoke(env.stack.django, users).catch((err: unknown) => history.add("django", "django", { op: "poke failed", error: String(err) }));
    for (const c of procs.all) for (const [id, m] of c.made) made.set(id, m);
    phase("heal");

    const deadline = Date.now() + (o.quiesceMs ?? (env.originMode ? 20_000 : 10_000));
    let last = "";
    for (;;) {
      const unsettled = clients.filter((c) => !c.settled);
      if (unsettled.length === 0) {
        const views: UserView[] = [];
        const os = env.originMode ? await env.originState(users) : null;
        for (const u of users) {
          const view: UserView = {
            userId: u,
            clients: clients.filter((c) => c.userId === u).map((c) => ({ name: c.name, rows: c.rows() })),
            object: await env.catchUp(u),
          };
          if (os) view.origin = os.rows.get(u)!;
          views.push(view);
        }
        violations = check({ history, users: views, originMode: env.originMode, ...(os ? { applied: os.applied } : {}), made, processes: procs.all });
        if (violations.every((x) => !isTransient(x)) || Date.now() > deadline) break;
        last = "checks";
      } else {
        last = `not quiescent: ${unsettled.map((c) => `${c.name} state=${c.client.state} pending=${c.client.pendingCount}`).join("; ")}`;
        if (Date.now() > deadline) { violations = [last]; break; }
      }
      await sleep(50);
    }
    void last;
    phase("quiesce");
  } catch (err) {
    violations.push(`harness error: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await Promise.all(procs.all.map((c) => c.close()));
    for (const l of links) env.net.forget(l.name);
    if (origin) await env.stack.proxy.setMode("pass").catch(() => {});
    if (restartP) await restartP.catch(() => {});
  }
  return { seed: o.seed, ok: violations.length === 0, violations, history, ms: Date.now() - t0, faults, phases, made, stats: {
    conflicts: history.events.filter((e) => e.kind === "change" && Array.isArray(e["conflicts"]) && (e["conflicts"] as unknown[]).length > 0).length,
    resolves: history.events.filter((e) => e.kind === "op" && e["op"] === "resolve").length,
    rejections: history.of("rejected").length,
    djangoEdits: history.of("django").filter((e) => String(e["op"]).endsWith("answered") && e["status"] === 200).length,
  } };
}

/**
 * A failing seed as printed: `seed=N`, the violations, every event of the rows they name
 * (ops, pushes, acks, changes, confirmations of those rows, plus connections and faults),
 * and the history tail.
 */
export function describeFailure(r: SeedResult, tail = 60): string {
  const rows = new Set(r.violations.flatMap((v) => [...v.matchAll(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g)].map((m) => m[0])));
  const ofRow = (id: unknown) => rows.has(r.made.get(String(id))?.row_id ?? "");
  const related = r.history.events.filter((e) => rows.has(String(e["row_id"] ?? "")) || ofRow(e["mutation_id"]) ||
    (Array.isArray(e["ids"]) && (e["ids"] as unknown[]).some(ofRow)) || ["fault", "ready", "close", "reset"].includes(e.kind));
  return [`seed=${r.seed} FAILED (${r.ms} ms; faults ${r.faults.join(" ") || "net only"})`, ...r.violations.slice(0, 20).map((v) => `  ${v}`),
    `  replay: npm run soak -- --seed ${r.seed}`,
    ...(rows.size ? ["  events of the rows named above:", related.map(format).join("\n").replace(/^/gm, "    ")] : []),
    ...(tail > 0 ? ["  history tail:", r.history.tail(tail).replace(/^/gm, "    ")] : [])].join("\n");
}
