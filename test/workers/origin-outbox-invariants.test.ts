/**
 * The winner invariant of the outbox (issue 8 item 2, DESIGN 8), whatever the batch boundaries,
 * against an in-process origin that behaves like Django before its own fix: it validates an
 * item's own data (titles "REJECT" are refused) but stores whatever `winner` the item names.
 * Laws checked over every batch size 1..5 and several filler counts, so boundaries fall
 * everywhere:
 * - the origin is never told to hold a state its validation refuses (no REJECT winner or
 *   conflict is ever sent);
 * - a revision the origin rejected is never the relay's winner once settled;
 * - after the outbox drains, the origin holds the relay's winner and conflict set;
 * - a confirmed mutation's data is the winner or a retained conflict.
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
import { revisionId, winningRev } from "../../revtree/index.js";
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

describe("the outbox winner invariant across batch boundaries", () => {
  it("issue 8 repro scaled down: fillers, a valid M2 on r1 and a REJECT M1b on a1, every batch size 1..5", async () => {
    for (let batch = 1; batch <= 5; batch++) {
      for (const fillers of [0, 1, 2, 3, 4]) {
        const user = newUser();
        await runInDurableObject(stub(user), async (_o, state) => {
          const t = setup(state, user, batch);
          const sql = state.storage.sql;
          const row = uuid();
          const r1 = await note("r1", row, "root", null);
          t.commit([r1]);
          await t.drainAll();
          const a1 = await note("a1", row, "first edit", r1.node.rev);
          t.commit([a1]);
          await t.drainAll();
          const fill = await Promise.all(Array.from({ length: fillers }, (_, i) => task(`f${i}`, uuid())));
          const m2 = await note("m2", row, "valid concurrent", r1.node.rev);
          const m1b = await note("m1b", row, "REJECT", a1.node.rev);
          t.commit([...fill, m2, m1b]);
          expect(getRow(sql, NOTE, row)!.rev).toBe(m1b.node.rev); // generation 3 wins at the relay until rejected
          await t.drainAll();
          const label = `batch ${batch}, ${fillers} fillers`;
          expect(t.django.seen.get("m1b"), label).toBe("rejected");
          expect(t.django.seen.get("m2"), label).toBe("applied");
          checkLaws(sql, t.django, row, [r1, a1, m2], label);
        });
      }
    }
  });

  it("a write arriving after a winner correction is queued, then rejected: the origin still ends on the relay's winner", async () => {
    for (let batch = 1; batch <= 5; batch++) {
      const user = newUser();
      await runInDurableObject(stub(user), async (_o, state) => {
        const t = setup(state, user, batch);
        const sql = state.storage.sql;
        const row = uuid();
        const r1 = await note("r1", row, "root", null);
        t.commit([r1]);
        await t.drainAll();
        // A REJECT branch that wins at the relay and a valid branch, in one batch (batch >= 2):
        // the rejection changes the winner an applied item may have told the origin about.
        const m1 = await note("m1", row, "REJECT", r1.node.rev);
        let m2 = await note("m2", row, "valid branch", r1.node.rev);
        for (let i = 0; winningRev([m1.node, m2.node]) !== m1.node.rev; i++) m2 = await note("m2", row, `valid branch ${i}`, r1.node.rev);
        t.commit([m1, m2]);
        // Settle exactly one batch, then write a REJECT child of the winner before the rest
        // (a winner correction, when one was queued) is sent.
        t.sendOneBatch();
        const winner = getRow(sql, NOTE, row)!;
        const m3 = await note("m3", row, "REJECT", winner.rev);
        t.commit([m3]);
        await t.drainAll();
        expect(t.django.seen.get("m3")).toBe("rejected");
        checkLaws(sql, t.django, row, [r1, m2], `batch ${batch}`);
      });
    }
  });
});

