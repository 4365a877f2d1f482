/**
 * Scenario 1 (issue 12): acked writes/s at batch 1, 10 and 100, for `lww` and `revision_tree`,
 * with the same documents and the same in-flight window on both sides, and the relay's share
 * of the ceiling object. Relay: one socket of a fresh user, `push` frames of `batch` creates,
 * `window` frames in flight, a write counts when its `push_result` arrived. Peer: `_bulk_docs`
 * of the same documents into a fresh database, `window` requests in flight. Ceiling: the same
 * frames to the bare-SQLite object. Sides alternate their order from run to run.
 */
import { BenchSocket, inFlight } from "../bench-socket.js";
import { figure, type Figure, type ScenarioResult } from "../figures.js";
import { bulkDocs, httpOk } from "../peer-http.js";
import { cpuMs, tokenFor } from "../services.js";
import { size, type BenchContext } from "./context.js";
import { batches, createMutation, makeDocs, type Doc, type Mode } from "./docs.js";

export const BATCHES = [1, 10, 100] as const;

/** Writes per run for a batch size (enough frames that the window stays full for a while). */
function writesFor(ctx: BenchContext, batch: number): number {
  const n = batch === 1 ? size(ctx, 50, 200, 1_000) : batch === 10 ? size(ctx, 200, 1_000, 5_000) : size(ctx, 1_000, 4_000, 20_000);
  return Math.max(batch, Math.round(n * ctx.scale));
}

/** A side's result: acked writes/s, and its server's CPU time per write (robust on a shared box). */
export interface WriteRun {
  rate: number;
  cpuUsPerWrite: number;
}

async function timed(docs: number, server: () => number, run: () => Promise<void>): Promise<WriteRun> {
  const c0 = server();
  const t0 = performance.now();
  await run();
  const s = (performance.now() - t0) / 1000;
  return { rate: docs / s, cpuUsPerWrite: ((server() - c0) * 1000) / docs };
}

export async function relayWrites(ctx: BenchContext, mode: Mode, docs: Doc[], batch: number): Promise<WriteRun> {
  const user = ctx.newUser();
  const sock = await BenchSocket.open(`${ctx.relay.wsUrl}/djazzkit/sync`, await tokenFor(user));
  try {
    await sock.push(makeDocs(mode, 5).map((d) => createMutation(mode, d))); // wakes the object, settles its schema
    const frames = batches(docs, batch).map((b) => b.map((d) => createMutation(mode, d)));
    return await timed(docs.length, () => cpuMs(ctx.relay.pid, /workerd/), () => inFlight(frames.length, ctx.window, (i) => sock.push(frames[i]!)));
  } finally {
    await sock.close();
  }
}

export async function ceilingWrites(ctx: BenchContext, mode: Mode, docs: Doc[], batch: number): Promise<WriteRun> {
  const sock = await BenchSocket.open(`${ctx.ceiling.wsUrl}/djazzkit/sync?object=${ctx.unique("c")}`);
  try {
    await sock.push(makeDocs(mode, 5).map((d) => createMutation(mode, d)));
    const frames = batches(docs, batch).map((b) => b.map((d) => createMutation(mode, d)));
    return await timed(docs.length, () => cpuMs(ctx.ceiling.pid, /workerd/), () => inFlight(frames.length, ctx.window, (i) => sock.push(frames[i]!)));
  } finally {
    await sock.close();
  }
}

export async function peerWrites(ctx: BenchContext, docs: Doc[], batch: number): Promise<WriteRun> {
  const db = `${ctx.peer.url}/${ctx.unique("w")}`;
  await httpOk("PUT", db);
  try {
    await bulkDocs(db, makeDocs("lww", 5).map((d) => ({ _id: d.row_id, ...d.data })));
    const bodies = batches(docs, batch).map((b) => b.map((d) => ({ _id: d.row_id, ...d.data })));
    return await timed(docs.length, () => cpuMs(-ctx.peer.pid), () => inFlight(bodies.length, ctx.window, (i) => bulkDocs(db, bodies[i]!)));
  } finally {
    await httpOk("DELETE", db);
  }
}

export async function runWrites(ctx: BenchContext): Promise<Omit<ScenarioResult, "seconds">> {
  const figures: Figure[] = [];
  for (const mode of ["lww", "revision_tree"] as const) {
    for (const batch of BATCHES) {
      const n = writesFor(ctx, batch);
      const relayRuns: WriteRun[] = [];
      const peerRuns: WriteRun[] = [];
      const ceilingRuns: WriteRun[] = [];
      for (let run = 0; run < ctx.repeats; run++) {
        const docs = makeDocs(mode, n);
        const sides = [
          async () => relayRuns.push(await relayWrites(ctx, mode, docs, batch)),
          async () => peerRuns.push(await peerWrites(ctx, docs, batch)),
          async () => ceilingRuns.push(await ceilingWrites(ctx, mode, docs, batch)),
        ];
        for (const side of run % 2 ? [...sides].reverse() : sides) await side();
      }
      const relay = relayRuns.map((r) => r.rate);
      const peer = peerRuns.map((r) => r.rate);
      const ceiling = ceilingRuns.map((r) => r.rate);
      ctx.log(`writes ${mode} batch ${batch}: relay ${relay.map(Math.round).join("/")} peer ${peer.map(Math.round).join("/")} ceiling ${ceiling.map(Math.round).join("/")} writes/s; CPU µs/write relay ${relayRuns.map((r) => Math.round(r.cpuUsPerWrite)).join("/")} peer ${peerRuns.map((r) => Math.round(r.cpuUsPerWrite)).join("/")} ceiling ${ceilingRuns.map((r) => Math.round(r.cpuUsPerWrite)).join("/")}`);
      figures.push(
        figure(
          { scenario: 1, id: `writes.${mode}.b${batch}`, label: `acked writes/s, ${mode}, batch ${batch}`, unit: "writes/s", better: "higher", extra: { writes_per_run: n, window: ctx.window } },
          relay,
          peer,
          { ceilingRuns: ceiling, target: { text: ">= 1.5x the peer", on: "ratio", kind: "min", bound: 1.5 } },
        ),
      );
      figures.push(
        figure(
          { scenario: 1, id: `writes.${mode}.b${batch}.cpu`, label: `server CPU per acked write, ${mode}, batch ${batch}`, unit: "µs", better: "lower" },
          relayRuns.map((r) => r.cpuUsPerWrite),
          peerRuns.map((r) => r.cpuUsPerWrite),
          { ceilingRuns: ceilingRuns.map((r) => r.cpuUsPerWrite) },
        ),
      );
      if (batch === 100) {
        figures.push(
          figure(
            { scenario: 1, id: `writes.${mode}.b100.ceiling`, label: `share of the ceiling object, ${mode}, batch 100`, unit: "writes/s", better: "higher" },
            relay,
            undefined,
            { ceilingRuns: ceiling, target: { text: ">= 50% of the ceiling", on: "ceiling_share", kind: "min", bound: 0.5 } },
          ),
        );
      }
    }
  }
  return {
    scenario: 1,
    title: "Acked writes/s (batch 1, 10, 100; lww and revision_tree)",
    figures,
    notes: [
      `${ctx.window} frames (relay, ceiling) or requests (peer) in flight; each run writes fresh rows into a fresh user object / database`,
      "server CPU per acked write: user+system CPU time of the serving processes (the relay's and the ceiling's workerd, the peer's Node process) over the run, divided by the writes; it moves far less with the neighbours' load than writes/s do. In the CPU rows the ceiling column is the ceiling object's CPU per write, and its percentage is relay / ceiling (how many times the ceiling's CPU the relay spends)",
      "the relay runs with DJAZZKIT_RATE_LIMIT_PER_S=100000 so the per-socket frame limit (default 50/s) does not cap a single benchmark socket; the write queue's back-pressure (DJAZZKIT_MAX_QUEUED_WRITES=64) stays on",
    ],
  };
}
