/**
 * Scenario 2 (issue 12): conflicting revisions/s. Every row of a `revision_tree` model gets two
 * concurrent children of the same parent. Relay: `update` mutations naming the same `base_rev`
 * (the second opens a branch), 100 per `push`, `window` pushes in flight. Peer: the same two
 * children per document as `_bulk_docs` with `new_edits: false` (each with its `_revisions`
 * path), 100 per request. Rows are created first on both sides, outside the timed region.
 */
import { createHash } from "node:crypto";
import { BenchSocket, inFlight } from "../bench-socket.js";
import { figure, type ScenarioResult } from "../figures.js";
import { bulkDocs, httpOk } from "../peer-http.js";
import { tokenFor } from "../services.js";
import { size, type BenchContext } from "./context.js";
import { batches, createMutation, makeDocs, updateMutation, type Doc } from "./docs.js";

const BATCH = 100;
const md5 = (s: string) => createHash("md5").update(s).digest("hex");

async function relayConflicts(ctx: BenchContext, docs: Doc[]): Promise<number> {
  const sock = await BenchSocket.open(`${ctx.relay.wsUrl}/djazzkit/sync`, await tokenFor(ctx.newUser()));
  try {
    const rev = new Map<string, string>();
    for (const b of batches(docs, BATCH)) {
      const res = await sock.push(b.map((d) => createMutation("revision_tree", d)));
      (res.results as Array<{ rev: string }>).forEach((r, i) => rev.set(b[i]!.row_id, r.rev));
    }
    const muts = docs.flatMap((d, i) => [
      updateMutation("revision_tree", d.row_id, rev.get(d.row_id)!, { ...d.data, title: `left ${i}` }),
      updateMutation("revision_tree", d.row_id, rev.get(d.row_id)!, { ...d.data, title: `right ${i}` }),
    ]);
    const frames = batches(muts, BATCH);
    const t0 = performance.now();
    await inFlight(frames.length, ctx.window, (i) => sock.push(frames[i]!));
    return muts.length / ((performance.now() - t0) / 1000);
  } finally {
    await sock.close();
  }
}

async function peerConflicts(ctx: BenchContext, docs: Doc[]): Promise<number> {
  const db = `${ctx.peer.url}/${ctx.unique("x")}`;
  await httpOk("PUT", db);
  try {
    const root = (d: Doc) => md5(`root:${d.row_id}`);
    for (const b of batches(docs, BATCH)) {
      await bulkDocs(db, b.map((d) => ({ _id: d.row_id, _rev: `1-${root(d)}`, ...d.data })), false);
    }
    const children = docs.flatMap((d, i) =>
      (["left", "right"] as const).map((side) => {
        const h = md5(`${side}:${d.row_id}`);
        return { _id: d.row_id, _rev: `2-${h}`, _revisions: { start: 2, ids: [h, root(d)] }, ...d.data, title: `${side} ${i}` };
      }),
    );
    const bodies = batches(children, BATCH);
    const t0 = performance.now();
    await inFlight(bodies.length, ctx.window, (i) => bulkDocs(db, bodies[i]!, false));
    return children.length / ((performance.now() - t0) / 1000);
  } finally {
    await httpOk("DELETE", db);
  }
}

export async function runConflicts(ctx: BenchContext): Promise<Omit<ScenarioResult, "seconds">> {
  const rows = size(ctx, 100, 1_000, 3_000);
  const relay: number[] = [];
  const peer: number[] = [];
  for (let run = 0; run < ctx.repeats; run++) {
    const docs = makeDocs("revision_tree", rows);
    if (run % 2) {
      peer.push(await peerConflicts(ctx, docs));
      relay.push(await relayConflicts(ctx, docs));
    } else {
      relay.push(await relayConflicts(ctx, docs));
      peer.push(await peerConflicts(ctx, docs));
    }
  }
  ctx.log(`conflicts: relay ${relay.map(Math.round).join("/")} peer ${peer.map(Math.round).join("/")} revisions/s`);
  return {
    scenario: 2,
    title: "Conflicting revisions/s (revision_tree, two concurrent children per row)",
    figures: [
      figure(
        { scenario: 2, id: "conflicts", label: "conflicting revisions/s (2 children per row, batch 100)", unit: "revisions/s", better: "higher", extra: { rows, revisions_per_run: rows * 2 } },
        relay,
        peer,
      ),
    ],
    notes: [`${rows} rows per run, created first (not timed); 100 revisions per frame/request, ${ctx.window} in flight; peer: _bulk_docs with new_edits: false`],
  };
}
