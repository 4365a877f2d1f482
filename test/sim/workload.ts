/**
 * The random workload: creates, updates, deletes and conflict resolutions on `notes.Note`
 * (revision_tree) and `notes.Task` (lww), each issued by a random client of a random user on
 * that client's own view of the rows (so concurrent clients fork Note rows into conflicts).
 * Writes are not awaited: several are in flight at once, as in an app.
 */
import type { StoredRow } from "../../client/index.js";
import type { History } from "./history.js";
import type { Prng } from "./prng.js";
import type { SimClient } from "./sim-client.js";

export const NOTE = "notes.Note";
export const TASK = "notes.Task";

export interface WorkloadOptions {
  /** Origin mode: a few notes are titled REJECT, which the sample origin refuses. */
  rejections: boolean;
}

const WORDS = ["milk", "eggs", "plan", "call", "idea", "draft", "todo", "memo"];

/**
 * A note body of random length: with the sim's small DJAZZKIT_OUTBOX_BATCH_BYTES (harness.ts),
 * item sizes decide where outbox batches end, so boundaries fall at seeded random places.
 */
function body(rng: Prng): string {
  return rng.chance(0.3) ? `${rng.pick(WORDS)} ${"x".repeat(rng.int(0, 900))}` : rng.pick(WORDS);
}

function noteData(rng: Prng, userId: string, rejections: boolean): Record<string, unknown> {
  const title = rejections && rng.chance(0.05) ? "REJECT" : `${rng.pick(WORDS)} ${rng.int(0, 999)}`;
  // "manual" keeps the sample resolver from merging conflicts on its own (origin mode), so
  // conflict sets survive to be compared; the others may be auto-resolved by the origin.
  const tags = rng.chance(0.7) ? ["manual"] : rng.chance(0.5) ? [rng.pick(WORDS)] : null;
  return { title, body: body(rng), archived: rng.chance(0.2), priority: rng.chance(0.5) ? rng.int(0, 5) : null, tags, author: Number(userId) };
}

function live(rows: StoredRow[], model: string): StoredRow[] {
  return rows.filter((r) => r.model === model && !r.deleted);
}

/** Issues one random write on `c`; returns a one-line description for the history. */
export function randomOp(rng: Prng, c: SimClient, history: History, o: WorkloadOptions): void {
  const rows = c.rows();
  const notes = live(rows, NOTE);
  const tasks = live(rows, TASK);
  const conflicted = notes.filter((r) => r.conflicts.length > 0);
  const roll = rng.next();
  let op: { kind: string; model: string; row_id: string; handle: Promise<unknown> & { mutation_id: string } };
  if (conflicted.length > 0 && roll < 0.15) {
    const row = rng.pick(conflicted);
    const h = c.client.resolveConflict(NOTE, row.row_id, noteData(rng, c.userId, false));
    op = { kind: "resolve", model: NOTE, row_id: row.row_id, handle: h };
  } else if (notes.length === 0 || roll < 0.3) {
    const h = c.client.create(NOTE, noteData(rng, c.userId, o.rejections));
    op = { kind: "create", model: NOTE, row_id: h.row_id, handle: h };
  } else if (tasks.length === 0 || roll < 0.4) {
    const h = c.client.create(TASK, { title: rng.pick(WORDS), done: false, due: null, owner: Number(c.userId) });
    op = { kind: "create", model: TASK, row_id: h.row_id, handle: h };
  } else if (roll < 0.7) {
    const row = rng.pick(notes);
    // An update is a child of the winner, so it wins at the relay until the origin answers: a
    // REJECT title here is a rejection of the winning branch (issue 8 item 2).
    const patch = rng.chance(0.5)
      ? { title: o.rejections && rng.chance(0.08) ? "REJECT" : `${rng.pick(WORDS)} ${rng.int(0, 999)}` }
      : { body: body(rng), priority: rng.int(0, 5) };
    const h = c.client.update(NOTE, row.row_id, patch);
    op = { kind: "update", model: NOTE, row_id: row.row_id, handle: h };
  } else if (roll < 0.85) {
    const row = rng.pick(tasks);
    const h = c.client.update(TASK, row.row_id, rng.chance(0.5) ? { done: rng.chance(0.5) } : { title: rng.pick(WORDS) });
    op = { kind: "update", model: TASK, row_id: row.row_id, handle: h };
  } else {
    const model = rng.chance(0.5) ? NOTE : TASK;
    const pool = model === NOTE ? notes : tasks;
    const row = rng.pick(pool.length ? pool : notes);
    const m = pool.length ? model : NOTE;
    const h = c.client.delete(m, row.row_id);
    op = { kind: "delete", model: m, row_id: row.row_id, handle: h };
  }
  c.made.set(op.handle.mutation_id, { model: op.model, row_id: op.row_id, op: op.kind });
  history.add(c.name, "op", { op: op.kind, model: op.model, row_id: op.row_id, mutation_id: op.handle.mutation_id });
  op.handle.catch(() => {}); // resolves with the relay's result; rejects only on close()
}

/**
 * Two clients of one user update the same note in the same tick, each on its own view: in
 * revision_tree this forks the row into a conflict (unless the views already differ). With
 * rejections on, one of the two is sometimes titled REJECT.
 * Returns false when no two clients share a live note yet.
 */
export function forkOp(rng: Prng, clients: SimClient[], history: History, o: WorkloadOptions = { rejections: false }): boolean {
  const pairs: Array<[SimClient, SimClient, string]> = [];
  for (const a of clients) {
    for (const b of clients) {
      if (a === b || a.userId !== b.userId || a.name > b.name) continue;
      const mine = new Set(live(a.rows(), NOTE).map((r) => r.row_id));
      for (const r of live(b.rows(), NOTE)) if (mine.has(r.row_id)) pairs.push([a, b, r.row_id]);
    }
  }
  if (pairs.length === 0) return false;
  const [a, b, rowId] = rng.pick(pairs);
  // Sometimes one of the two branches is refused by the origin: whichever of them wins at the
  // relay, the rejection of a winning branch must leave the other one everywhere.
  const refused = o.rejections && rng.chance(0.3) ? rng.pick([a, b]) : null;
  for (const c of [a, b]) {
    const title = c === refused ? "REJECT" : `${rng.pick(WORDS)} ${rng.int(0, 999)}`;
    const h = c.client.update(NOTE, rowId, { title, tags: ["manual"] });
    c.made.set(h.mutation_id, { model: NOTE, row_id: rowId, op: "update" });
    history.add(c.name, "op", { op: "fork-update", model: NOTE, row_id: rowId, mutation_id: h.mutation_id });
    h.catch(() => {});
  }
  return true;
}
