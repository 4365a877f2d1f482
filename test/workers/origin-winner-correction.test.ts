/**
 * Winner corrections (durable/origin/winner-correction.ts), against the in-process origin:
 * two branches of a Note go out in one batch and both are applied. The second item names its
 * own view of the row (settled revisions plus its own: origin/view.ts), which cannot include
 * the first, winning branch, so the origin ends on the losing leaf. After the drain the origin
 * has seen a corrective apply that makes it hold the relay's winner with the loser as a
 * conflict; a resend keeps the same mutation_id, and a correction has no author and is never
 * undone. A rejection alone never needs a correction: no item names another's unsettled revision.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadSettings } from "../../schemas/config.js";
import type { ApplyMutation, ApplyRequest } from "../../schemas/origin.js";
import { type PlannedMutation } from "../../durable/writes/commit.js";
import { commitWrites } from "../support/workers/commit-writes.js";
import { OriginClient } from "../../origin-client/client.js";
import { OriginBackedLink } from "../../durable/origin/backed-link.js";
import { drainOutbox } from "../../durable/origin/drain.js";
import { outboxSize, readBatch, settleBatch } from "../../durable/origin/outbox.js";
import { CORRECTIVE_PREFIX } from "../../durable/origin/winner-correction.js";
import { revisionId, winningRev } from "../../revtree/index.js";
import { getRow, loadTree } from "../../durable/storage/row-store.js";
import { migrate } from "../../durable/storage/migrations.js";
import { bindOwner } from "../../durable/storage/owner.js";
import { WriteQueue } from "../../durable/writes/queue.js";
import { newUser, uuid } from "../support/workers/object-client.js";

const NOTE = "notes.Note";
type Verdict = (m: ApplyMutation, call: number) => "applied" | "rejected" | "fail";

function setup(state: DurableObjectState, user: string, verdict: Verdict) {
  migrate(state.storage);
  bindOwner(state.storage.sql, { user_id: user, expires_at: null } as never);
  const sent: ApplyMutation[][] = [];
  const client = new OriginClient({
    baseUrl: "http://origin.test",
    secret: "s",
    timeoutMs: 2000,
    fetch: async (_input, init) => {
      const body = JSON.parse(String(init?.body)) as ApplyRequest;
      sent.push(body.mutations);
      const verdicts = body.mutations.map((m) => verdict(m, sent.length));
      if (verdicts.includes("fail")) return new Response("{}", { status: 503 });
      const results = body.mutations.map((m, i) =>
        verdicts[i] === "applied" ? { mutation_id: m.mutation_id, status: "applied" } : { mutation_id: m.mutation_id, status: "rejected", code: "origin_rejected", message: "no" });
      return new Response(JSON.stringify({ results }), { status: 200, headers: { "content-type": "application/json" } });
    },
  });
  const settings = loadSettings({ ...env, DJAZZKIT_ORIGIN_URL: "http://origin.test", DJAZZKIT_OUTBOX_BATCH: "2", DJAZZKIT_OUTBOX_BACKOFF_BASE_MS: "1000", DJAZZKIT_OUTBOX_BACKOFF_MAX_MS: "5000" });
  const writes = new WriteQueue();
  const link = new OriginBackedLink(state, settings, writes, client);
  const drain = () => drainOutbox({ ctx: state, settings, client, writes });
  return { sent, link, drain };
}

async function plan(mutationId: string, row: string, title: string, parent: string | null): Promise<PlannedMutation> {
  const data = { title, body: "", archived: false, priority: null, tags: ["manual"], author: 1 };
  const rev = await revisionId(false, parent, data);
  return {
    mutation_id: mutationId, model: NOTE, row_id: row, operation: parent === null ? "create" : "update",
    node: { rev, parent, deleted: false, data }, extra: [], result: { mutation_id: mutationId, status: "applied", rev },
  };
}

/** Two edits of `root`; the first returned wins over the second. */
async function twoBranches(row: string, root: string): Promise<[PlannedMutation, PlannedMutation]> {
  const a = await plan("m:1", row, "branch a", root);
  const b = await plan("m:2", row, "branch b", root);
  const aWins = winningRev([a.node, b.node]) === a.node.rev;
  const [w, l] = aWins ? [a, b] : [b, a];
  return [{ ...w, mutation_id: "m:1", result: { ...w.result, mutation_id: "m:1" } }, { ...l, mutation_id: "m:2", result: { ...l.result, mutation_id: "m:2" } }];
}

function stub(user: string) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
}

const now = () => new Date().toISOString();

describe("winner corrections", () => {
  it("two applied branches in one batch, the first winning: the origin is told the relay's winner, once", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      let failCorrection = true;
      const t = setup(state, user, (m) => {
        if (m.mutation_id.startsWith(CORRECTIVE_PREFIX) && failCorrection) {
          failCorrection = false; // the first answer for the correction is lost: it is sent again
          return "fail";
        }
        return "applied";
      });
      const sql = state.storage.sql;
      const row = uuid();
      const root = await plan("m:0", row, "root", null);
      commitWrites(state.storage, t.link, [root], { revsLimit: 100, nowIso: now(), clientId: "c1" });
      await t.drain();
      const [win, lose] = await twoBranches(row, root.node.rev);
      commitWrites(state.storage, t.link, [win], { revsLimit: 100, nowIso: now(), clientId: "c1" });
      commitWrites(state.storage, t.link, [lose], { revsLimit: 100, nowIso: now(), clientId: "c1" });
      expect(getRow(sql, NOTE, row)).toMatchObject({ rev: win.node.rev, conflicts: [lose.node.rev] });

      expect((await t.drain()).state).toBe("backoff"); // [m:1, m:2] settled; the correction's answer lost
      expect(t.sent[1]!.map((m) => m.mutation_id)).toEqual(["m:1", "m:2"]);
      expect(t.sent[1]![0]!.winner.rev).toBe(win.node.rev);
      expect(t.sent[1]![1]!.winner.rev).toBe(lose.node.rev); // m:2 could not name m:1's unsettled leaf
      expect((await t.drain()).state).toBe("empty");

      const corrections = t.sent.slice(2);
      expect(corrections).toHaveLength(2);
      expect(corrections[0]).toEqual(corrections[1]); // same mutation_id and body on the resend
      const fix = corrections[0]![0]!;
      expect(fix).toMatchObject({
        model: NOTE, row_id: row, operation: "update", rev: win.node.rev, parent_rev: root.node.rev, deleted: false,
        data: win.node.data, winner: { rev: win.node.rev, deleted: false, data: win.node.data }, conflicts: [{ rev: lose.node.rev, data: lose.node.data }],
      });
      expect(fix.mutation_id.startsWith(`${CORRECTIVE_PREFIX}${row}:${win.node.rev}`)).toBe(true);
      expect(getRow(sql, NOTE, row)).toMatchObject({ rev: win.node.rev, data: win.node.data, conflicts: [lose.node.rev] });
      expect(outboxSize(sql)).toBe(0);
      expect(sql.exec(`SELECT COUNT(*) AS n FROM mutations WHERE mutation_id LIKE 'relay:winner:%'`).one().n).toBe(0);

      // Nothing more to send: a second drain neither duplicates the correction nor sends anything.
      await t.drain();
      expect(t.sent).toHaveLength(4);
    });
  });

  it("a correction has no author and is never undone: a rejected one is dropped (not re-queued), an applied one confirms nothing", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const t = setup(state, user, () => "applied");
      const sql = state.storage.sql;
      const row = uuid();
      const root = await plan("m:0", row, "root", null);
      commitWrites(state.storage, t.link, [root], { revsLimit: 100, nowIso: now() });
      await t.drain();
      const [win, lose] = await twoBranches(row, root.node.rev);
      commitWrites(state.storage, t.link, [win, lose], { revsLimit: 100, nowIso: now() });
      const batch = readBatch(sql, 2);
      settleBatch(sql, batch, { results: [
        { mutation_id: "m:1", status: "applied" },
        { mutation_id: "m:2", status: "applied" },
      ] }, now());
      const [fix] = readBatch(sql, 2);
      expect(fix).toMatchObject({ corrective: true, client_id: null, apply: { rev: win.node.rev } });
      const before = loadTree(sql, NOTE, row);
      for (const status of ["rejected", "applied"] as const) {
        const out = settleBatch(sql, [fix!], { results: [{ mutation_id: fix!.mutation_id, status, code: "origin_rejected", message: "no" }] }, now());
        expect(out).toMatchObject({ confirmed: [], rejected: [], changed: [] });
        expect(loadTree(sql, NOTE, row)).toEqual(before);
        expect(outboxSize(sql)).toBe(0);
      }
      expect(getRow(sql, NOTE, row)!.rev).toBe(win.node.rev);
    });
  });

  it("no correction when the origin already holds the relay's winner (the rejected leaf lost)", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const t = setup(state, user, (m) => (m.mutation_id === "m:2" ? "rejected" : "applied"));
      const row = uuid();
      const root = await plan("m:0", row, "root", null);
      commitWrites(state.storage, t.link, [root], { revsLimit: 100, nowIso: now() });
      await t.drain();
      const [win, lose] = await twoBranches(row, root.node.rev);
      commitWrites(state.storage, t.link, [win], { revsLimit: 100, nowIso: now() });
      commitWrites(state.storage, t.link, [lose], { revsLimit: 100, nowIso: now() });
      await t.drain();
      expect(t.sent.flat().map((m) => m.mutation_id)).toEqual(["m:0", "m:1", "m:2"]);
      expect(getRow(state.storage.sql, NOTE, row)).toMatchObject({ rev: win.node.rev, conflicts: [] });
    });
  });
});
