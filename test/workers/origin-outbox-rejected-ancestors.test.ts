/**
 * Rejected updates kept under confirmed descendants (sim seed 1531, issue 8 item 2), against
 * the same in-process origin as origin-outbox-invariants.test.ts (validates an item's own data,
 * refuses titles "REJECT", stores whatever `winner` and `conflicts` the item names; real Django
 * does the same for a row with no Django edit, since `is_concurrent` needs a by_django row).
 *
 * A chain a2..a7 where a3 and a4 are rejected and a5..a7 applied, plus a fork b on a2, a3 or
 * a4, committed in sampled orders with settles at sampled points and batch sizes 1..5: after
 * the drain no revision is left pending (a pending one blocks the winner correction for ever)
 * and the origin holds the relay's winner and conflict set. The second case is the seed's own
 * end state: Django on the fork with no conflict, the relay on a7 with the fork as a conflict.
 * Both fail before 758e1b6 (a kept ancestor confirmed before its rejection was stored).
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadSettings } from "../../schemas/config.js";
import type { ApplyMutation, ApplyRequest } from "../../schemas/origin.js";
import type { RowData } from "../../schemas/protocol.js";
import { type PlannedMutation } from "../../durable/writes/commit.js";
import { commitWrites } from "../support/workers/commit-writes.js";
import { OriginClient } from "../../origin-client/client.js";
import { OriginBackedLink } from "../../durable/origin/backed-link.js";
import { drainOutbox } from "../../durable/origin/drain.js";
import { outboxSize, readBatch, settleBatch } from "../../durable/origin/outbox.js";
import { revisionId } from "../../revtree/index.js";
import { getRow } from "../../durable/storage/row-store.js";
import { migrate } from "../../durable/storage/migrations.js";
import { bindOwner } from "../../durable/storage/owner.js";
import { WriteQueue } from "../../durable/writes/queue.js";
import { newUser, uuid } from "../support/workers/object-client.js";

const NOTE = "notes.Note";
const TASK = "notes.Task";

interface Held { rev: string; deleted: boolean; data: RowData | null; conflicts: string[] }

/** A Django stand-in: per-item validation of the item's own data only, stores the named winner. */
function fakeDjango() {
  const rows = new Map<string, Held>();
  const seen = new Map<string, "applied" | "rejected">();
  const refusedStates: string[] = [];
  const refused = (d: RowData | null | undefined) => d != null && d["title"] === "REJECT";
  const apply = (m: ApplyMutation): "applied" | "rejected" => {
    const first = seen.get(m.mutation_id);
    if (first) return first;
    const verdict = !m.deleted && refused(m.data) ? "rejected" : "applied";
    seen.set(m.mutation_id, verdict);
    if (verdict === "applied") {
      if (!m.winner.deleted && refused(m.winner.data)) refusedStates.push(`${m.mutation_id} told to hold ${m.winner.rev}`);
      for (const c of m.conflicts) if (refused(c.data)) refusedStates.push(`${m.mutation_id} told to keep conflict ${c.rev}`);
      rows.set(m.row_id, { rev: m.winner.rev, deleted: m.winner.deleted, data: m.winner.data, conflicts: m.conflicts.map((c) => c.rev) });
    }
    return verdict;
  };
  return { rows, seen, refusedStates, apply };
}

function setup(state: DurableObjectState, user: string, batch: number) {
  migrate(state.storage);
  bindOwner(state.storage.sql, { user_id: user, expires_at: null } as never);
  const django = fakeDjango();
  const client = new OriginClient({
    baseUrl: "http://origin.test",
    secret: "s",
    timeoutMs: 2000,
    fetch: async (_input, init) => {
      const body = JSON.parse(String(init?.body)) as ApplyRequest;
      const results = body.mutations.map((m) => {
        const status = django.apply(m);
        return status === "applied" ? { mutation_id: m.mutation_id, status } : { mutation_id: m.mutation_id, status, code: "origin_rejected", message: "title: REJECT is refused" };
      });
      return new Response(JSON.stringify({ results }), { status: 200, headers: { "content-type": "application/json" } });
    },
  });
  const settings = loadSettings({ ...env, DJAZZKIT_ORIGIN_URL: "http://origin.test", DJAZZKIT_OUTBOX_BATCH: String(batch) });
  const writes = new WriteQueue();
  const link = new OriginBackedLink(state, settings, writes, client);
  const drainAll = async () => {
    for (let i = 0; i < 50 && outboxSize(state.storage.sql) > 0; i++) await drainOutbox({ ctx: state, settings, client, writes });
    expect(outboxSize(state.storage.sql)).toBe(0);
  };
  /** One batch read, answered and settled, nothing else (no further batches). */
  const sendOneBatch = () => {
    const sql = state.storage.sql;
    const sent = readBatch(sql, batch);
    const results = sent.map((e) => {
      const status = django.apply(e.apply);
      return status === "applied" ? { mutation_id: e.mutation_id, status } : { mutation_id: e.mutation_id, status, code: "origin_rejected", message: "no" };
    });
    state.storage.transactionSync(() => settleBatch(sql, sent, { results }, new Date().toISOString()));
  };
  const commit = (planned: PlannedMutation[]) => commitWrites(state.storage, link, planned, { revsLimit: 100, nowIso: new Date().toISOString(), clientId: "c1" });
  return { django, drainAll, commit, sendOneBatch };
}

async function note(mutationId: string, row: string, title: string, parent: string | null): Promise<PlannedMutation> {
  const data = { title, body: "", archived: false, priority: null, tags: ["manual"], author: 1 };
  const rev = await revisionId(false, parent, data);
  return { mutation_id: mutationId, model: NOTE, row_id: row, operation: parent === null ? "create" : "update", node: { rev, parent, deleted: false, data }, extra: [], result: { mutation_id: mutationId, status: "applied", rev } };
}

async function task(mutationId: string, row: string): Promise<PlannedMutation> {
  const data = { title: "filler", done: false, due: null, owner: 1 };
  const rev = await revisionId(false, null, data);
  return { mutation_id: mutationId, model: TASK, row_id: row, operation: "create", node: { rev, parent: null, deleted: false, data }, extra: [], result: { mutation_id: mutationId, status: "applied", rev } };
}

/** The laws, once the outbox has drained. */
function checkLaws(sql: SqlStorage, django: ReturnType<typeof fakeDjango>, row: string, confirmed: PlannedMutation[], label: string) {
  expect(django.refusedStates, label).toEqual([]);
  const relay = getRow(sql, NOTE, row)!;
  expect(relay.data?.["title"], label).not.toBe("REJECT");
  const held = django.rows.get(row)!;
  expect({ rev: held.rev, deleted: held.deleted, conflicts: [...held.conflicts].sort() }, label).toEqual({ rev: relay.rev, deleted: relay.deleted, conflicts: [...relay.conflicts].sort() });
  for (const m of confirmed) {
    if (django.seen.get(m.mutation_id) !== "applied") continue;
    const live = [relay.rev, ...relay.conflicts];
    // The confirmed revision, or a descendant of it, is still a live leaf.
    const leafRevs = sql.exec<{ rev: string; parent: string | null }>(`SELECT rev, parent FROM revisions WHERE model = ? AND row_id = ?`, NOTE, row).toArray();
    const parentOf = new Map(leafRevs.map((r) => [r.rev, r.parent]));
    const reaches = live.some((leaf) => {
      for (let at: string | null | undefined = leaf; at != null; at = parentOf.get(at)) if (at === m.node.rev) return true;
      return false;
    });
    expect(reaches, `${label}: confirmed ${m.mutation_id} lost`).toBe(true);
  }
}

function stub(user: string) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
}


/** Deterministic PRNG (mulberry32): the cases below are a fixed sample of commit/settle interleavings. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("sim seed 1531: two rejected updates with confirmed descendants and a fork", () => {
  it("a3, a4 REJECT under a5..a7 applied, a fork b5 on a4, every batch size 1..5 and sampled settle points", async () => {
    const next = rng(1531);
    for (let n = 0; n < 120; n++) {
      const batch = 1 + (n % 5);
      const forkAt = 2 + Math.floor(next() * 3); // fork parent: a2, a3 or a4
      const user = newUser();
      await runInDurableObject(stub(user), async (_o, state) => {
        const t = setup(state, user, batch);
        const sql = state.storage.sql;
        const row = uuid();
        const r1 = await note("r1", row, "root", null);
        t.commit([r1]);
        await t.drainAll();
        const chain: PlannedMutation[] = [];
        let parent = r1.node.rev;
        const titles = ["a2", "REJECT", "REJECT", "a5", "a6", "a7"];
        for (let i = 0; i < titles.length; i++) {
          const m = await note(`a${i + 2}`, row, titles[i]!, parent);
          chain.push(m);
          parent = m.node.rev;
        }
        const fork = await note("b", row, `fork ${n}`, chain[forkAt - 2]!.node.rev);
        // commit order: the chain, with the fork anywhere after its parent
        const forkPos = forkAt - 1 + Math.floor(next() * (titles.length - forkAt + 2));
        const order = [...chain];
        order.splice(forkPos, 0, fork);
        const steps: string[] = [];
        for (const m of order) {
          t.commit([m]);
          steps.push(m.mutation_id);
          const settles = Math.floor(next() * 3) === 0 ? 1 + Math.floor(next() * 2) : 0;
          for (let s = 0; s < settles; s++) {
            t.sendOneBatch();
            steps.push("|");
          }
        }
        await t.drainAll();
        const label = `case ${n}: batch ${batch}, fork on a${forkAt}, steps ${steps.join(" ")}`;
        expect(t.django.seen.get("a3"), label).toBe("rejected");
        expect(t.django.seen.get("a4"), label).toBe("rejected");
        const pending = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM revisions WHERE model = ? AND row_id = ? AND pending = 1`, NOTE, row).one().n;
        expect(pending, `${label}: revisions left pending`).toBe(0);
        checkLaws(sql, t.django, row, [r1, chain[0]!, chain[3]!, chain[4]!, chain[5]!, fork], label);
      });
    }
  }, 60_000);

  it("the seed's signature: a3 rejected in one batch, then a4 (REJECT) a5 a6 a7 and the fork b on a4 in the next: Django ends on a7 with b as its conflict", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const t = setup(state, user, 5);
      const sql = state.storage.sql;
      const row = uuid();
      const r1 = await note("r1", row, "root", null);
      t.commit([r1]);
      await t.drainAll();
      const fill = await Promise.all([0, 1, 2].map((i) => task(`f${i}`, uuid())));
      const a2 = await note("a2", row, "a2", r1.node.rev);
      const a3 = await note("a3", row, "REJECT", a2.node.rev);
      const a4 = await note("a4", row, "REJECT", a3.node.rev);
      const a5 = await note("a5", row, "a5", a4.node.rev);
      const a6 = await note("a6", row, "a6", a5.node.rev);
      const a7 = await note("a7", row, "a7", a6.node.rev);
      const b = await note("b", row, "fork", a4.node.rev);
      for (const m of [...fill, a2, a3, a4, a5, a6, a7, b]) t.commit([m]);
      // batch 1 [f0 f1 f2 a2 a3]: a3 rejected, kept under a4; batch 2 [a4 a5 a6 a7 b]: a4
      // rejected, the rest applied, and b (read while a5..a7 were pending) tells the origin to
      // hold b with no conflict; only a winner correction brings it back to a7 with b.
      t.sendOneBatch();
      t.sendOneBatch();
      expect(t.django.rows.get(row)).toMatchObject({ rev: b.node.rev, conflicts: [] });
      await t.drainAll();
      expect(t.django.seen.get("a3")).toBe("rejected");
      expect(t.django.seen.get("a4")).toBe("rejected");
      const relay = getRow(sql, NOTE, row)!;
      expect({ rev: relay.rev, conflicts: relay.conflicts }).toEqual({ rev: a7.node.rev, conflicts: [b.node.rev] });
      checkLaws(sql, t.django, row, [r1, a2, a5, a6, a7, b], "seed 1531 signature");
    });
  });
});
