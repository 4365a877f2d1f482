/**
 * Scenario 4 (issue 12): catch-up of N rows to a fresh client: rows/s, frames, and the peak
 * resident memory of the runtime while it serves them. Relay: one user holding N rows; a new
 * socket sends `sync_start` without a cursor and is timed until `sync_ready`. Peer: a database
 * holding the same N documents; one `_changes?include_docs=true` read from the start (the
 * peer's changes feed, in one response: its best case). Filling is not timed. Memory: RSS of
 * wrangler's workerd processes (relay) or of the peer's Node process, sampled every 25 ms.
 */
import { BenchSocket, inFlight } from "../bench-socket.js";
import { figure, type Figure, type ScenarioResult } from "../figures.js";
import { bulkDocs, httpOk } from "../peer-http.js";
import { groupRss, peakSampler, rssOf, SCHEMA_VERSION, tokenFor } from "../services.js";
import { size, type BenchContext } from "./context.js";
import { batches, createMutation, makeDocs } from "./docs.js";

const MB = 1024 * 1024;

export async function runCatchup(ctx: BenchContext): Promise<Omit<ScenarioResult, "seconds">> {
  const sizes = ctx.smoke ? [1_000] : ctx.quick ? [5_000] : [10_000, 100_000];
  const figures: Figure[] = [];
  const notes: string[] = [];
  for (const n of sizes) {
    const docs = makeDocs("lww", n);
    // ---- fill both sides (not timed) ----
    const token = await tokenFor(ctx.newUser());
    const url = `${ctx.relay.wsUrl}/djazzkit/sync`;
    const filler = await BenchSocket.open(url, token);
    const frames = batches(docs, 100).map((b) => b.map((d) => createMutation("lww", d)));
    await inFlight(frames.length, ctx.window, (i) => filler.push(frames[i]!));
    await filler.close();
    const db = `${ctx.peer.url}/${ctx.unique("c")}`;
    await httpOk("PUT", db);
    const bodies = batches(docs, 100).map((b) => b.map((d) => ({ _id: d.row_id, ...d.data })));
    await inFlight(bodies.length, ctx.window, (i) => bulkDocs(db, bodies[i]!));

    const relay = { rate: [] as number[], frames: [] as number[], peak: [] as number[], base: [] as number[] };
    const peer = { rate: [] as number[], peak: [] as number[], base: [] as number[] };
    const relayRss = () => groupRss(ctx.relay.pid, /workerd/);
    try {
      for (let run = 0; run < ctx.repeats; run++) {
        const sides = [
          async () => {
            const sock = await BenchSocket.open(url, token);
            relay.base.push(relayRss());
            const mem = peakSampler(relayRss);
            const t0 = performance.now();
            const got = await sock.syncStart(SCHEMA_VERSION, `bench-catchup-${run}`);
            const s = (performance.now() - t0) / 1000;
            relay.peak.push(mem.stop());
            await sock.close();
            if (got.rows < n) throw new Error(`catch-up delivered ${got.rows} of ${n} rows`);
            relay.rate.push(got.rows / s);
            relay.frames.push(got.frames);
          },
          async () => {
            peer.base.push(rssOf(ctx.peer.pid));
            const mem = peakSampler(() => rssOf(ctx.peer.pid));
            const t0 = performance.now();
            const res = (await httpOk("GET", `${db}/_changes?include_docs=true&since=0`)) as { results: unknown[] };
            const s = (performance.now() - t0) / 1000;
            peer.peak.push(mem.stop());
            if (res.results.length < n) throw new Error(`peer _changes delivered ${res.results.length} of ${n} rows`);
            peer.rate.push(res.results.length / s);
          },
        ];
        for (const side of run % 2 ? [...sides].reverse() : sides) await side();
      }
    } finally {
      await httpOk("DELETE", db);
    }
    ctx.log(`catch-up ${n}: relay ${relay.rate.map(Math.round).join("/")} rows/s (${relay.frames[0]} frames, peak ${(Math.max(...relay.peak) / MB).toFixed(0)} MB) | peer ${peer.rate.map(Math.round).join("/")} rows/s (peak ${(Math.max(...peer.peak) / MB).toFixed(0)} MB)`);
    figures.push(
      figure(
        { scenario: 4, id: `catchup.${n}.rate`, label: `catch-up of ${n.toLocaleString("en")} rows`, unit: "rows/s", better: "higher", extra: { rows: n, relay_frames: relay.frames, peer_frames: 1 } },
        relay.rate,
        peer.rate,
        { target: { text: ">= 3x the peer's changes feed", on: "ratio", kind: "min", bound: 3 } },
      ),
      figure(
        { scenario: 4, id: `catchup.${n}.peak_mb`, label: `peak runtime RSS during catch-up of ${n.toLocaleString("en")} rows`, unit: "MB", better: "lower", extra: { relay_rss_before_mb: relay.base.map((b) => Math.round(b / MB)), peer_rss_before_mb: peer.base.map((b) => Math.round(b / MB)) } },
        relay.peak.map((b) => b / MB),
        peer.peak.map((b) => b / MB),
      ),
    );
  }
  notes.push("relay memory is the sum of RSS over wrangler's workerd processes (the relay object and the Worker); peer memory is the PouchDB Server process; 'flat in the number of rows' is read by comparing the peaks across sizes");
  return { scenario: 4, title: "Catch-up of a fresh client", figures, notes };
}
