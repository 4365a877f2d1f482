/**
 * Scenario 3 (issue 12): fan-out of one write to 1, 10 and 100 sockets, p50 and p99 of the
 * time from sending the write to each socket receiving it. Relay: N live sockets of one user
 * (sync_start done) and a separate writer socket pushing one create at a time. Peer: N
 * continuous `_changes` feeds on one database and a writer doing one `PUT` at a time. Writes
 * are sequential: the next starts once every socket saw the previous one. Each socket must see
 * each write exactly once (a duplicate or a miss fails the scenario).
 */
import { BenchSocket } from "../bench-socket.js";
import { figure, type Figure, type ScenarioResult } from "../figures.js";
import { continuousChanges, httpOk, type ChangesFeed } from "../peer-http.js";
import { SCHEMA_VERSION, tokenFor } from "../services.js";
import { percentile } from "../stats.js";
import { size, type BenchContext } from "./context.js";
import { createMutation, makeDocs } from "./docs.js";

export const FANOUT_SOCKETS = [1, 10, 100] as const;
const WAIT_MS = 10_000;
const GAP_MS = 5;

/** Tracks, per write, when each receiver saw it; resolves once all have. */
class Arrivals {
  #sentAt = new Map<string, number>();
  #seen = new Map<string, Set<number>>();
  #waiting = new Map<string, () => void>();
  latencies: number[] = [];
  constructor(readonly receivers: number) {}

  expect(id: string, sentAt: number): Promise<void> {
    this.#sentAt.set(id, sentAt);
    this.#seen.set(id, new Set());
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`fan-out: ${this.#seen.get(id)?.size ?? 0}/${this.receivers} receivers saw write ${id} within ${WAIT_MS} ms`)), WAIT_MS);
      this.#waiting.set(id, () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  saw(receiver: number, id: string, at: number): void {
    const seen = this.#seen.get(id);
    const sentAt = this.#sentAt.get(id);
    if (!seen || sentAt === undefined) return; // a write of the warm-up
    if (seen.has(receiver)) throw new Error(`fan-out: receiver ${receiver} saw write ${id} twice (exactly-once broken)`);
    seen.add(receiver);
    this.latencies.push(at - sentAt);
    if (seen.size === this.receivers) this.#waiting.get(id)?.();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function relayFanout(ctx: BenchContext, n: number, writes: number): Promise<number[]> {
  const token = await tokenFor(ctx.newUser());
  const url = `${ctx.relay.wsUrl}/djazzkit/sync`;
  const writer = await BenchSocket.open(url, token);
  const receivers: BenchSocket[] = [];
  try {
    await writer.push(makeDocs("lww", 1).map((d) => createMutation("lww", d)));
    for (let i = 0; i < n; i++) receivers.push(await BenchSocket.open(url, token));
    await Promise.all(receivers.map((s, i) => s.syncStart(SCHEMA_VERSION, `bench-recv-${i}`)));
    const arrivals = new Arrivals(n);
    receivers.forEach((s, i) => {
      s.onFrame = (f, at) => {
        if (f.type !== "changes") return;
        for (const row of f.rows as Array<{ row_id: string }>) arrivals.saw(i, row.row_id, at);
      };
    });
    for (const [i, d] of makeDocs("lww", writes + 1).entries()) {
      const wait = arrivals.expect(d.row_id, performance.now());
      await Promise.all([writer.push([createMutation("lww", d)]), wait]);
      if (i === 0) arrivals.latencies.length = 0; // the first write only proves every receiver is connected
      await sleep(GAP_MS);
    }
    return arrivals.latencies;
  } finally {
    await Promise.all([writer, ...receivers].map((s) => s.close()));
  }
}

async function peerFanout(ctx: BenchContext, n: number, writes: number): Promise<number[]> {
  const db = `${ctx.peer.url}/${ctx.unique("f")}`;
  await httpOk("PUT", db);
  const feeds: ChangesFeed[] = [];
  try {
    for (let i = 0; i < n; i++) feeds.push(await continuousChanges(db));
    const arrivals = new Arrivals(n);
    feeds.forEach((feed, i) => (feed.onChange = (c, at) => arrivals.saw(i, c.id, at)));
    for (const [i, d] of makeDocs("lww", writes + 1).entries()) {
      const wait = arrivals.expect(d.row_id, performance.now());
      await Promise.all([httpOk("PUT", `${db}/${d.row_id}`, d.data), wait]);
      if (i === 0) arrivals.latencies.length = 0; // the first write only proves every feed is connected
      await sleep(GAP_MS);
    }
    return arrivals.latencies;
  } finally {
    for (const f of feeds) f.close();
    await httpOk("DELETE", db);
  }
}

export async function runFanout(ctx: BenchContext): Promise<Omit<ScenarioResult, "seconds">> {
  const writes = size(ctx, 5, 20, 100);
  const figures: Figure[] = [];
  for (const n of FANOUT_SOCKETS) {
    const relay = { p50: [] as number[], p99: [] as number[] };
    const peer = { p50: [] as number[], p99: [] as number[] };
    for (let run = 0; run < ctx.repeats; run++) {
      const sides = [
        async () => {
          const l = await relayFanout(ctx, n, writes);
          relay.p50.push(percentile(l, 50));
          relay.p99.push(percentile(l, 99));
        },
        async () => {
          const l = await peerFanout(ctx, n, writes);
          peer.p50.push(percentile(l, 50));
          peer.p99.push(percentile(l, 99));
        },
      ];
      for (const side of run % 2 ? [...sides].reverse() : sides) await side();
    }
    ctx.log(`fan-out ${n}: relay p50 ${relay.p50.map((x) => x.toFixed(1)).join("/")} p99 ${relay.p99.map((x) => x.toFixed(1)).join("/")} | peer p50 ${peer.p50.map((x) => x.toFixed(1)).join("/")} p99 ${peer.p99.map((x) => x.toFixed(1)).join("/")} ms`);
    const extra = { writes_per_run: writes, sockets: n };
    const target100 = n === 100;
    figures.push(
      figure({ scenario: 3, id: `fanout.${n}.p50`, label: `fan-out to ${n} socket${n > 1 ? "s" : ""}, p50`, unit: "ms", better: "lower", extra }, relay.p50, peer.p50,
        target100 ? { target: { text: "no worse than the peer (<= 1.0x)", on: "ratio", kind: "max", bound: 1.0 } } : {}),
      figure({ scenario: 3, id: `fanout.${n}.p99`, label: `fan-out to ${n} socket${n > 1 ? "s" : ""}, p99`, unit: "ms", better: "lower", extra }, relay.p99, peer.p99,
        target100 ? { target: { text: "<= 0.7x the peer", on: "ratio", kind: "max", bound: 0.7 } } : {}),
    );
  }
  return {
    scenario: 3,
    title: "Fan-out of one write (1, 10, 100 sockets)",
    figures,
    notes: [`${writes} sequential writes per run; latency from sending the write to each socket (relay) or continuous _changes feed (peer) receiving it; the writer is a separate connection on both sides`],
  };
}
