/**
 * Scenario 5 (issue 12): many users at once. U users with S sockets each; every socket is a
 * live sync client (sync_start done, so it also receives its user's other devices' writes) and
 * writes steadily: one create every 1/r s (with jitter; never more than one of its own in
 * flight). Aggregate acked writes/s and ack latency p50/p99 over the steady window. Peer: U
 * databases, S clients each holding a continuous `_changes` feed on their user's database and
 * doing one `PUT` every 1/r s. The offered load is the same on both sides.
 */
import { BenchSocket } from "../bench-socket.js";
import { figure, type ScenarioResult } from "../figures.js";
import { continuousChanges, httpOk, type ChangesFeed } from "../peer-http.js";
import { SCHEMA_VERSION, tokenFor } from "../services.js";
import { percentile } from "../stats.js";
import { size, type BenchContext } from "./context.js";
import { createMutation, makeDocs } from "./docs.js";

interface Load {
  users: number;
  sockets: number;
  /** Writes per second per socket. */
  rate: number;
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Drive `clients` writers for `seconds`; returns achieved acked writes/s and latencies. */
async function drive(load: Load, writers: Array<() => Promise<void>>): Promise<{ rate: number; lat: number[] }> {
  const lat: number[] = [];
  const interval = 1000 / load.rate;
  const end = performance.now() + load.seconds * 1000;
  let acked = 0;
  const t0 = performance.now();
  await Promise.all(
    writers.map(async (write) => {
      await sleep(Math.random() * interval); // spread the start
      let next = performance.now();
      while (performance.now() < end) {
        const t = performance.now();
        await write();
        lat.push(performance.now() - t);
        acked++;
        next += interval * (0.5 + Math.random());
        const wait = next - performance.now();
        if (wait > 0) await sleep(wait);
        else next = performance.now();
      }
    }),
  );
  return { rate: acked / ((performance.now() - t0) / 1000), lat };
}

async function relayMany(ctx: BenchContext, load: Load): Promise<{ rate: number; lat: number[] }> {
  const url = `${ctx.relay.wsUrl}/djazzkit/sync`;
  const socks: BenchSocket[] = [];
  try {
    for (let u = 0; u < load.users; u++) {
      const token = await tokenFor(ctx.newUser());
      for (let s = 0; s < load.sockets; s++) socks.push(await BenchSocket.open(url, token));
    }
    await Promise.all(socks.map((s, i) => s.syncStart(SCHEMA_VERSION, `bench-many-${i}`)));
    return await drive(load, socks.map((s) => async () => {
      await s.push(makeDocs("lww", 1).map((d) => createMutation("lww", d)));
    }));
  } finally {
    await Promise.all(socks.map((s) => s.close()));
  }
}

async function peerMany(ctx: BenchContext, load: Load): Promise<{ rate: number; lat: number[] }> {
  const dbs: string[] = [];
  const feeds: ChangesFeed[] = [];
  try {
    for (let u = 0; u < load.users; u++) {
      const db = `${ctx.peer.url}/${ctx.unique("m")}`;
      await httpOk("PUT", db);
      dbs.push(db);
      for (let s = 0; s < load.sockets; s++) feeds.push(await continuousChanges(db));
    }
    const writers = feeds.map((_, i) => async () => {
      const d = makeDocs("lww", 1)[0]!;
      await httpOk("PUT", `${dbs[Math.floor(i / load.sockets)]}/${d.row_id}`, d.data);
    });
    return await drive(load, writers);
  } finally {
    for (const f of feeds) f.close();
    for (const db of dbs) await httpOk("DELETE", db);
  }
}

export async function runManyUsers(ctx: BenchContext): Promise<Omit<ScenarioResult, "seconds">> {
  const load: Load = {
    users: size(ctx, 4, 10, 100),
    sockets: size(ctx, 2, 4, 10),
    rate: 1,
    seconds: size(ctx, 2, 3, 10),
  };
  const relay = { rate: [] as number[], p50: [] as number[], p99: [] as number[] };
  const peer = { rate: [] as number[], p50: [] as number[], p99: [] as number[] };
  for (let run = 0; run < ctx.repeats; run++) {
    const sides = [
      async () => {
        const r = await relayMany(ctx, load);
        relay.rate.push(r.rate);
        relay.p50.push(percentile(r.lat, 50));
        relay.p99.push(percentile(r.lat, 99));
      },
      async () => {
        const r = await peerMany(ctx, load);
        peer.rate.push(r.rate);
        peer.p50.push(percentile(r.lat, 50));
        peer.p99.push(percentile(r.lat, 99));
      },
    ];
    for (const side of run % 2 ? [...sides].reverse() : sides) await side();
  }
  ctx.log(`many users: relay ${relay.rate.map(Math.round).join("/")} writes/s p99 ${relay.p99.map((x) => x.toFixed(1)).join("/")} ms | peer ${peer.rate.map(Math.round).join("/")} writes/s p99 ${peer.p99.map((x) => x.toFixed(1)).join("/")} ms`);
  const extra = { ...load, offered_writes_per_s: load.users * load.sockets * load.rate };
  const label = `${load.users} users x ${load.sockets} sockets, ${load.rate} write/s each`;
  return {
    scenario: 5,
    title: "Many users at once",
    figures: [
      figure({ scenario: 5, id: "many.rate", label: `aggregate acked writes/s, ${label}`, unit: "writes/s", better: "higher", extra }, relay.rate, peer.rate),
      figure({ scenario: 5, id: "many.p50", label: `ack p50, ${label}`, unit: "ms", better: "lower", extra }, relay.p50, peer.p50),
      figure({ scenario: 5, id: "many.p99", label: `ack p99, ${label}`, unit: "ms", better: "lower", extra }, relay.p99, peer.p99, {
        target: { text: "relay ack p99 < 100 ms", on: "relay", kind: "max", bound: 100 },
      }),
    ],
    notes: [`every relay socket is a live sync client and every peer client holds a continuous _changes feed, so each write is also delivered to the user's other ${load.sockets - 1} devices on both sides; ${load.seconds} s per run`],
  };
}
