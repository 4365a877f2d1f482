/**
 * Scenarios 6 and 7 (issue 12), against the real sample Django (Debian's Django, started by the
 * bench; never skipped: a missing Django fails the scenario with how to install it).
 *   relay (wrangler dev, origin mode) -> fault proxy (counts requests, cuts the origin) -> Django
 * 6. Origin requests per 1,000 client writes under sustained load: U users, one socket each,
 *    one write every 1/r s, until every write is confirmed (`mutation_confirmed`); every request
 *    the relay made to the origin meanwhile is counted at the proxy, and push -> confirmation
 *    is timed (what coalescing costs). Then one isolated write after an idle interval, timed
 *    to its confirmation (it must not wait for the interval). Then the drain rate after
 *    an outage: the origin refuses connections for the outage while the writers go on, then
 *    comes back; the backlog is timed from the first to the last confirmation after the
 *    restore (and the wait before the first one, which is the outbox's backoff, is reported).
 * 7. Edge query: the same query AST answered by the user's object (`POST /djazzkit/query`
 *    through the Worker) and by Django (`POST <prefix>query`, signed by the relay's own
 *    OriginClient), sequentially and alternating; p50 per run and the ratio.
 */
import { OriginClient } from "../../origin-client/client.js";
import { loadSettings } from "../../schemas/config.js";
import { startDjango, type DjangoHandle } from "../../test/support/django.js";
import { startFaultProxy, type FaultProxy } from "../../test/support/fault-proxy.js";
import { freePort } from "../../test/support/ports.js";
import type { WranglerDevHandle } from "../../test/support/relay.js";
import { seedUsers } from "../../test/support/sample-hooks.js";
import { BenchSocket, inFlight, type Frame } from "../bench-socket.js";
import { figure, type Figure, type ScenarioResult } from "../figures.js";
import { httpOk } from "../peer-http.js";
import { startRelayDev, tokenFor } from "../services.js";
import { percentile } from "../stats.js";
import { size, type BenchContext } from "./context.js";
import { batches, createMutation, makeDocs } from "./docs.js";

const SECRET = "bench-relay-secret-shared-with-django";
/** The relay's default coalescing interval (the bench runs with it). */
const MIN_INTERVAL_MS = loadSettings({}).DJAZZKIT_OUTBOX_MIN_INTERVAL_MS;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A writer socket: synced (so confirmations reach it), counting `mutation_confirmed` frames. */
class Writer {
  confirmed = new Map<string, number>();
  private constructor(readonly sock: BenchSocket) {}
  static async open(relay: WranglerDevHandle, user: string): Promise<Writer> {
    const sock = await BenchSocket.open(`${relay.wsUrl}/djazzkit/sync`, await tokenFor(user));
    // The origin's schema version, learnt the way a stale client learns it.
    const version = await new Promise<string>((resolve, reject) => {
      sock.onFrame = (f: Frame) => {
        if (f.type === "schema_mismatch") resolve(String(f.server_schema_version));
        else if (f.type === "error") reject(new Error(`sync_start: ${JSON.stringify(f)}`));
      };
      sock.ws.send(JSON.stringify({ type: "sync_start", client_id: `bench-writer-${user}-probe`, schema_version: "0" }));
    });
    await sock.syncStart(version, `bench-writer-${user}`);
    const w = new Writer(sock);
    sock.onFrame = (f, at) => {
      if (f.type === "mutation_confirmed") w.confirmed.set(String(f.mutation_id), at);
      if (f.type === "mutation_rejected") throw new Error(`origin rejected a bench write: ${JSON.stringify(f)}`);
    };
    return w;
  }
}

async function until(done: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Each writer pushes one create every `intervalMs` until `stop()` says so; returns the mutation
 * ids. `sentAt` (when given) records when each push left.
 */
async function writeSteadily(writers: Writer[], intervalMs: number, stop: () => boolean, sentAt?: Map<string, number>): Promise<string[]> {
  const ids: string[] = [];
  await Promise.all(
    writers.map(async (w) => {
      await sleep(Math.random() * intervalMs);
      while (!stop()) {
        const m = createMutation("lww", makeDocs("lww", 1)[0]!);
        ids.push(String(m.mutation_id));
        sentAt?.set(String(m.mutation_id), performance.now());
        await w.sock.push([m]);
        await sleep(intervalMs * (0.5 + Math.random()));
      }
    }),
  );
  return ids;
}

const allConfirmed = (writers: Writer[], ids: string[]) => {
  const seen = new Set<string>();
  for (const w of writers) for (const id of w.confirmed.keys()) seen.add(id);
  return ids.every((id) => seen.has(id));
};

export async function runOrigin(ctx: BenchContext, only?: number[]): Promise<Array<Omit<ScenarioResult, "seconds">>> {
  const want6 = !only || only.includes(6);
  const want7 = !only || only.includes(7);
  const relayPort = await freePort();
  const stops: Array<() => Promise<unknown>> = [];
  try {
    const django: DjangoHandle = await startDjango({ secret: SECRET, relayUrl: `http://127.0.0.1:${relayPort}` });
    stops.push(() => django.stop());
    const proxy: FaultProxy = await startFaultProxy(django.url);
    stops.push(() => proxy.close());
    const relay = await startRelayDev(
      {
        DJAZZKIT_ORIGIN_URL: proxy.url,
        DJAZZKIT_RELAY_SECRET: SECRET,
        DJAZZKIT_ORIGIN_TIMEOUT_MS: "5000",
        // Default 300 s: after a long outage the first retry could wait a minute; the drain, not
        // the backoff, is what scenario 6 measures (the wait is reported separately).
        DJAZZKIT_OUTBOX_BACKOFF_MAX_MS: "5000",
      },
      relayPort,
    );
    stops.push(() => relay.stop());
    const users = size(ctx, 2, 5, 10);
    const ids = await seedUsers(django, Array.from({ length: users }, (_, i) => `bench${i}`));
    const userIds = Object.values(ids);
    ctx.log(`origin stack: django ${django.url}, proxy ${proxy.url}, relay ${relay.url}, users ${userIds.join(",")}`);
    const out: Array<Omit<ScenarioResult, "seconds">> = [];
    if (want6) out.push(await sustained(ctx, relay, proxy, userIds));
    if (want7) out.push(await edgeQuery(ctx, relay, django, userIds[0]!));
    return out;
  } finally {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  }
}

async function sustained(ctx: BenchContext, relay: WranglerDevHandle, proxy: FaultProxy, userIds: string[]): Promise<Omit<ScenarioResult, "seconds">> {
  const rate = size(ctx, 5, 10, 20); // writes/s per user
  const loadS = size(ctx, 2, 4, 30);
  const outageS = size(ctx, 2, 3, 60);
  const writers: Writer[] = [];
  try {
    for (const u of userIds) writers.push(await Writer.open(relay, u));
    // ---- sustained load ----
    proxy.reset();
    const t0 = performance.now();
    const sentAt = new Map<string, number>();
    const ids = await writeSteadily(writers, 1000 / rate, () => performance.now() - t0 > loadS * 1000, sentAt);
    await until(() => allConfirmed(writers, ids), 120_000, "every write of the sustained load to be confirmed by the origin");
    const loadEnd = performance.now();
    const counts = proxy.counts();
    const requests = Object.values(counts).reduce((a, b) => a + b, 0);
    const perK = (requests / ids.length) * 1000;
    // The price of coalescing (DJAZZKIT_OUTBOX_MIN_INTERVAL_MS): push sent -> mutation_confirmed.
    const confirmMs = ids.map((id) => Math.max(...writers.map((w) => w.confirmed.get(id) ?? -Infinity)) - sentAt.get(id)!);
    const [confirmP50, confirmP99] = [percentile(confirmMs, 50), percentile(confirmMs, 99)];
    ctx.log(`origin: ${ids.length} writes in ${((loadEnd - t0) / 1000).toFixed(1)} s -> ${requests} origin requests (${JSON.stringify(counts)}), ${perK.toFixed(1)} per 1,000 writes; push -> mutation_confirmed p50 ${confirmP50.toFixed(0)} ms, p99 ${confirmP99.toFixed(0)} ms`);

    // ---- an isolated write on an idle object: confirmed without waiting for the interval ----
    await sleep(MIN_INTERVAL_MS + 500);
    const idle = createMutation("lww", makeDocs("lww", 1)[0]!);
    const idleId = String(idle.mutation_id);
    const idleSent = performance.now();
    await writers[0]!.sock.push([idle]);
    await until(() => writers[0]!.confirmed.has(idleId), 30_000, "the idle write to be confirmed");
    const idleMs = writers[0]!.confirmed.get(idleId)! - idleSent;
    ctx.log(`origin: an isolated write after ${((MIN_INTERVAL_MS + 500) / 1000).toFixed(1)} s idle confirmed in ${idleMs.toFixed(0)} ms`);

    // ---- outage, then drain ----
    await proxy.setMode("refuse");
    const o0 = performance.now();
    const backlog = await writeSteadily(writers, 1000 / rate, () => performance.now() - o0 > outageS * 1000);
    const confirmedDuring = backlog.filter((id) => writers.some((w) => w.confirmed.has(id))).length;
    await proxy.setMode("pass");
    const restoredAt = performance.now();
    await until(() => allConfirmed(writers, backlog), 300_000, "the outage backlog to drain");
    const times = backlog.map((id) => Math.max(...writers.map((w) => w.confirmed.get(id) ?? -Infinity))).filter((t) => t >= restoredAt).sort((a, b) => a - b);
    const first = times[0] ?? restoredAt;
    const last = times[times.length - 1] ?? restoredAt;
    const drainRate = times.length / Math.max(0.001, (last - first) / 1000);
    ctx.log(`origin: outage ${outageS} s, backlog ${backlog.length} (${confirmedDuring} confirmed during it); first confirmation ${((first - restoredAt) / 1000).toFixed(2)} s after the restore, drained at ${drainRate.toFixed(0)} writes/s`);
    const extra = { users: userIds.length, writes_per_s_per_user: rate, load_s: loadS, writes: ids.length, origin_requests: counts };
    const figures: Figure[] = [
      figure({ scenario: 6, id: "origin.requests_per_1000", label: "origin requests per 1,000 client writes (sustained load)", unit: "requests", better: "lower", extra }, [perK], undefined, {
        target: { text: "<= 20 (1 per 50 writes)", on: "relay", kind: "max", bound: 20 },
      }),
      figure({ scenario: 6, id: "origin.confirm_p50_ms", label: "push -> mutation_confirmed under sustained load, p50 (coalescing's price)", unit: "ms", better: "lower", extra: { p99_ms: Math.round(confirmP99), min_interval_ms: MIN_INTERVAL_MS } }, [confirmP50]),
      figure({ scenario: 6, id: "origin.idle_confirm_ms", label: "push -> mutation_confirmed of an isolated write on an idle object", unit: "ms", better: "lower" }, [idleMs]),
      figure({ scenario: 6, id: "origin.drain_rate", label: `outbox drain rate after a ${outageS} s outage`, unit: "writes/s", better: "higher", extra: { outage_s: outageS, backlog: backlog.length } }, [drainRate]),
      figure({ scenario: 6, id: "origin.drain_first_s", label: `wait for the first confirmation after the origin returned (outbox backoff)`, unit: "s", better: "lower" }, [(first - restoredAt) / 1000]),
    ];
    return {
      scenario: 6,
      title: "With the Django origin: origin requests per 1,000 writes, drain after an outage",
      figures,
      notes: [
        `${userIds.length} users, one socket each, ${rate} writes/s per user for ${loadS} s; one run (no peer: PouchDB Server has no origin)`,
        "the relay runs with DJAZZKIT_OUTBOX_BACKOFF_MAX_MS=5000 (default 300000) so the first retry after the outage comes within seconds",
        `DJAZZKIT_OUTBOX_MIN_INTERVAL_MS at its default (${MIN_INTERVAL_MS} ms): a busy object drains at most once per interval unless a full batch waits; an idle object's write drains at once`,
      ],
    };
  } finally {
    await Promise.all(writers.map((w) => w.sock.close()));
  }
}

async function edgeQuery(ctx: BenchContext, relay: WranglerDevHandle, django: DjangoHandle, userId: string): Promise<Omit<ScenarioResult, "seconds">> {
  const rows = ctx.queryRows ?? size(ctx, 200, 500, 2_000);
  const queries = size(ctx, 10, 30, 200);
  const token = await tokenFor(userId);
  const w = await Writer.open(relay, userId);
  const docs = makeDocs("lww", rows);
  const frames = batches(docs, 100).map((b) => b.map((d) => createMutation("lww", d)));
  await inFlight(frames.length, ctx.window, (i) => w.sock.push(frames[i]!));
  const mids = frames.flat().map((m) => String(m.mutation_id));
  await until(() => mids.every((id) => w.confirmed.has(id)), 120_000, "the query rows to reach Django");
  await w.sock.close();

  const query = { model: "notes.Task", where: { and: [{ field: "done", op: "eq", value: false }, { field: "title", op: "icontains", value: "plants" }] }, order_by: [["title", "asc"]], limit: 50 };
  const origin = new OriginClient({ baseUrl: django.url, secret: SECRET, timeoutMs: 10_000 });
  const edge = async () => {
    const t = performance.now();
    const res = (await httpOk("POST", `${relay.url}/djazzkit/query`, query, { Authorization: `Bearer ${token}` })) as { rows: unknown[] };
    if (res.rows.length === 0) throw new Error("edge query returned no rows");
    return performance.now() - t;
  };
  const direct = async () => {
    const t = performance.now();
    const res = await origin.query(userId, query);
    if (res.rows.length === 0) throw new Error("Django query returned no rows");
    return performance.now() - t;
  };
  await edge();
  await direct();
  const relayP50: number[] = [];
  const djangoP50: number[] = [];
  await ctx.profileSection(relay, "edge-query", async () => {
    for (let run = 0; run < ctx.repeats; run++) {
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < queries; i++) {
        if ((i + run) % 2) {
          a.push(await edge());
          b.push(await direct());
        } else {
          b.push(await direct());
          a.push(await edge());
        }
      }
      relayP50.push(percentile(a, 50));
      djangoP50.push(percentile(b, 50));
    }
  });
  ctx.log(`edge query: relay p50 ${relayP50.map((x) => x.toFixed(2)).join("/")} ms | Django p50 ${djangoP50.map((x) => x.toFixed(2)).join("/")} ms`);
  return {
    scenario: 7,
    title: "Edge query in the user's object vs the same query answered by Django",
    figures: [
      figure({ scenario: 7, id: "query.p50", label: `query p50 (${rows} rows held, limit 50)`, unit: "ms", better: "lower", extra: { rows, queries_per_run: queries, query } }, relayP50, djangoP50, {
        target: { text: "<= 0.2x Django's latency", on: "ratio", kind: "max", bound: 0.2 },
      }),
    ],
    notes: ["here the peer column is Django (runserver, SQLite) answering the signed origin query call directly; the relay side includes the Worker hop and the bearer-token check"],
  };
}
