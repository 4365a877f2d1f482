/**
 * An outbox test harness for the winner invariant (issue 8 item 2): an in-process origin that
 * behaves like Django before its own fix (validates an item's own data, refuses titles
 * "REJECT", stores whatever `winner` and `conflicts` the item names), a user object's storage
 * wired to it, planned note and task writes, and the laws checked once the outbox has drained.
 * Used by origin-outbox-invariants and origin-outbox-rejected-ancestors.
 */
import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { loadSettings } from "../../../schemas/config.js";
import type { ApplyMutation, ApplyRequest } from "../../../schemas/origin.js";
import type { RowData } from "../../../schemas/protocol.js";
import { type PlannedMutation } from "../../../durable/writes/commit.js";
import { commitWrites } from "./commit-writes.js";
import { OriginClient } from "../../../origin-client/client.js";
import { OriginBackedLink } from "../../../durable/origin/backed-link.js";
import { drainOutbox } from "../../../durable/origin/drain.js";
import { outboxSize, readBatch, settleBatch } from "../../../durable/origin/outbox.js";
import { revisionId } from "../../../revtree/index.js";
import { getRow } from "../../../durable/storage/row-store.js";
import { migrate } from "../../../durable/storage/migrations.js";
import { bindOwner } from "../../../durable/storage/owner.js";
import { WriteQueue } from "../../../durable/writes/queue.js";

export const NOTE = "notes.Note";
export const TASK = "notes.Task";

export interface Held { rev: string; deleted: boolean; data: RowData | null; conflicts: string[] }

/** A Django stand-in: per-item validation of the item's own data only, stores the named winner. */
export function fakeDjango() {
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

export function setup(state: DurableObjectState, user: string, batch: number) {
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

export async function note(mutationId: string, row: string, title: string, parent: string | null): Promise<PlannedMutation> {
  const data = { title, body: "", archived: false, priority: null, tags: ["manual"], author: 1 };
  const rev = await revisionId(false, parent, data);
  return { mutation_id: mutationId, model: NOTE, row_id: row, operation: parent === null ? "create" : "update", node: { rev, parent, deleted: false, data }, extra: [], result: { mutation_id: mutationId, status: "applied", rev } };
}

export async function task(mutationId: string, row: string): Promise<PlannedMutation> {
  const data = { title: "filler", done: false, due: null, owner: 1 };
  const rev = await revisionId(false, null, data);
  return { mutation_id: mutationId, model: TASK, row_id: row, operation: "create", node: { rev, parent: null, deleted: false, data }, extra: [], result: { mutation_id: mutationId, status: "applied", rev } };
}

/** The laws, once the outbox has drained. */
export function checkLaws(sql: SqlStorage, django: ReturnType<typeof fakeDjango>, row: string, confirmed: PlannedMutation[], label: string) {
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

export function stub(user: string) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
}

