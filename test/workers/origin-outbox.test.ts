/**
 * The object's origin link inside workerd, against an in-process stand-in for Django (the
 * OriginClient's injected fetch): the outbox is written with the write and drained in order to
 * `POST apply`; `applied` confirms (parent body dropped), `rejected` undoes and recomputes the
 * winner, a failing origin keeps the outbox and backs off with the alarm armed; pulls page
 * through `GET changes`, skip echoes and rows with pending writes, and put origin rows on top of
 * the winner. (The end-to-end tests in test/e2e/origin-*.test.ts do the same against Django.)
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { loadSettings } from "../../schemas/config.js";
import type { ApplyRequest } from "../../schemas/origin.js";
import { storedResult, type PlannedMutation } from "../../durable/writes/commit.js";
import { commitWrites } from "../support/workers/commit-writes.js";
import { OriginClient } from "../../origin-client/client.js";
import { OriginBackedLink } from "../../durable/origin/backed-link.js";
import { drainOutbox } from "../../durable/origin/drain.js";
import { outboxSize } from "../../durable/origin/outbox.js";
import { pullFromOrigin } from "../../durable/origin/pull.js";
import { revisionId } from "../../revtree/index.js";
import { getRow, loadTree } from "../../durable/storage/row-store.js";
import { getMeta } from "../../durable/storage/meta.js";
import { migrate } from "../../durable/storage/migrations.js";
import { bindOwner } from "../../durable/storage/owner.js";
import { WriteQueue } from "../../durable/writes/queue.js";
import manifestJson from "../../djazzkit.schema.json";
import { newUser, uuid } from "../support/workers/object-client.js";

const TASK = "notes.Task";
type Handler = (path: string, body: unknown) => { status: number; json: unknown };

function fakeOrigin(handler: Handler): { client: OriginClient; calls: { path: string; body: unknown }[] } {
  const calls: { path: string; body: unknown }[] = [];
  const client = new OriginClient({
    baseUrl: "http://origin.test",
    secret: "s",
    timeoutMs: 2000,
    fetch: async (input, init) => {
      const url = new URL(String(input));
      const body = typeof init?.body === "string" && init.body !== "" ? JSON.parse(init.body) : null;
      calls.push({ path: url.pathname + url.search, body });
      const out = handler(url.pathname.replace("/djazzkit/relay/", ""), body);
      return new Response(JSON.stringify(out.json), { status: out.status, headers: { "content-type": "application/json" } });
    },
  });
  return { client, calls };
}

function settingsFor() {
  return loadSettings({ ...env, DJAZZKIT_ORIGIN_URL: "http://origin.test", DJAZZKIT_OUTBOX_BATCH: "2", DJAZZKIT_OUTBOX_BACKOFF_BASE_MS: "1000", DJAZZKIT_OUTBOX_BACKOFF_MAX_MS: "5000" });
}

async function plan(mutationId: string, row: string, title: string, parent: string | null): Promise<PlannedMutation> {
  const data = { title, done: false, due: null, owner: 1 };
  const rev = await revisionId(false, parent, data);
  return {
    mutation_id: mutationId, model: TASK, row_id: row, operation: parent === null ? "create" : "update",
    node: { rev, parent, deleted: false, data }, extra: [], result: { mutation_id: mutationId, status: "applied", rev },
  };
}

function stub(user: string) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
}

function setup(state: DurableObjectState, user: string, handler: Handler) {
  migrate(state.storage);
  bindOwner(state.storage.sql, { user_id: user, expires_at: null } as never);
  const origin = fakeOrigin(handler);
  const settings = settingsFor();
  const writes = new WriteQueue();
  const link = new OriginBackedLink(state, settings, writes, origin.client);
  return { ...origin, settings, writes, link };
}

describe("the outbox", () => {
  it("is written in the write's transaction and drained in order in batches; applied confirms and drops parent bodies", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const t = setup(state, user, (path, body) => ({
        status: 200,
        json: { results: (body as ApplyRequest).mutations.map((m) => ({ mutation_id: m.mutation_id, status: "applied" })) },
      }));
      const row = uuid();
      const p1 = await plan("m:1", row, "a", null);
      commitWrites(state.storage, t.link, [p1], { revsLimit: 100, nowIso: new Date().toISOString(), clientId: "c1" });
      const p2 = await plan("m:2", row, "b", p1.node.rev);
      const p3 = await plan("m:3", row, "c", p2.node.rev);
      commitWrites(state.storage, t.link, [p2, p3], { revsLimit: 100, nowIso: new Date().toISOString(), clientId: "c1" });
      expect(outboxSize(state.storage.sql)).toBe(3);
      expect(loadTree(state.storage.sql, TASK, row).every((n) => n.pending)).toBe(true);
      const out = await drainOutbox({ ctx: state, settings: t.settings, client: t.client, writes: t.writes });
      expect(out).toMatchObject({ state: "empty", pull: false });
      // Batches of 2, in order; the payload has the PROTOCOL 6 apply fields. The winner an item
      // names is its own revision over what the origin settled, never a later write still
      // pending (m:3 may yet be rejected: issue 8 item 2).
      expect(t.calls.map((c) => (c.body as ApplyRequest).mutations.map((m) => m.mutation_id))).toEqual([["m:1", "m:2"], ["m:3"]]);
      expect((t.calls[0]!.body as ApplyRequest).mutations[1]).toMatchObject({
        mutation_id: "m:2", model: TASK, row_id: row, operation: "update", rev: p2.node.rev, parent_rev: p1.node.rev,
        data: { title: "b" }, deleted: false, winner: { rev: p2.node.rev, deleted: false, data: { title: "b" } }, conflicts: [],
      });
      expect((t.calls[0]!.body as ApplyRequest).user).toBe(user);
      const tree = loadTree(state.storage.sql, TASK, row);
      expect(tree.every((n) => !n.pending)).toBe(true);
      expect(tree.find((n) => n.rev === p1.node.rev)!.data).toBeNull();
      expect(outboxSize(state.storage.sql)).toBe(0);
    });
  });

  it("a rejected mutation is undone, the winner recomputed and its stored result becomes the rejection", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const t = setup(state, user, (_path, body) => ({
        status: 200,
        json: {
          results: (body as ApplyRequest).mutations.map((m) =>
            m.mutation_id === "m:2" ? { mutation_id: m.mutation_id, status: "rejected", code: "origin_rejected", message: "no" } : { mutation_id: m.mutation_id, status: "applied" }),
        },
      }));
      const row = uuid();
      const p1 = await plan("m:1", row, "a", null);
      const p2 = await plan("m:2", row, "REJECT", p1.node.rev);
      commitWrites(state.storage, t.link, [p1], { revsLimit: 100, nowIso: new Date().toISOString() });
      commitWrites(state.storage, t.link, [p2], { revsLimit: 100, nowIso: new Date().toISOString() });
      expect(getRow(state.storage.sql, TASK, row)!.rev).toBe(p2.node.rev);
      await drainOutbox({ ctx: state, settings: t.settings, client: t.client, writes: t.writes });
      expect(getRow(state.storage.sql, TASK, row)).toMatchObject({ rev: p1.node.rev, data: { title: "a" } });
      expect(loadTree(state.storage.sql, TASK, row).map((n) => n.rev)).toEqual([p1.node.rev]);
      expect(storedResult(state.storage.sql, "m:2")).toMatchObject({ status: "rejected", code: "origin_rejected" });
    });
  });

  it("a failing origin keeps the outbox, backs off, and the alarm is armed no earlier than the retry", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      let fail = true;
      const t = setup(state, user, (_path, body) =>
        fail ? { status: 503, json: { code: "origin_unavailable", message: "down" } } : { status: 200, json: { results: (body as ApplyRequest).mutations.map((m) => ({ mutation_id: m.mutation_id, status: "applied" })) } });
      const row = uuid();
      commitWrites(state.storage, t.link, [await plan("m:1", row, "a", null)], { revsLimit: 100, nowIso: new Date().toISOString() });
      const before = Date.now();
      const out = await drainOutbox({ ctx: state, settings: t.settings, client: t.client, writes: t.writes });
      expect(out.state).toBe("backoff");
      expect(outboxSize(state.storage.sql)).toBe(1);
      expect(Number(getMeta(state.storage.sql, "outbox_attempts"))).toBe(1);
      const retryAt = Number(getMeta(state.storage.sql, "outbox_retry_at"));
      expect(retryAt).toBeGreaterThanOrEqual(before);
      expect(retryAt).toBeLessThanOrEqual(Date.now() + 1000);
      await state.storage.deleteAlarm();
      await t.link.arm();
      expect(await state.storage.getAlarm()).toBeGreaterThanOrEqual(retryAt);
      fail = false;
      // The alarm handler drains once the retry time has passed.
      await new Promise((r) => setTimeout(r, Math.max(0, retryAt - Date.now()) + 5));
      await t.link.alarm();
      expect(outboxSize(state.storage.sql)).toBe(0);
      expect(getMeta(state.storage.sql, "outbox_attempts")).toBe("0");
      await state.storage.deleteAlarm();
    });
  });
});

describe("pull", () => {
  it("pages through GET changes, skips echoes and rows with pending writes, puts origin rows on top of the winner", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const [echoRow, pendingRow, editedRow, newRow] = [uuid(), uuid(), uuid(), uuid()];
      let echoRev = "";
      const t = setup(state, user, (path) => {
        if (path === "schema") return { status: 200, json: manifestJson };
        if (path.startsWith("changes")) {
          const first = t.calls.filter((c) => c.path.includes("/changes")).length === 1;
          return first
            ? { status: 200, json: { rows: [{ model: TASK, row_id: echoRow, data: { title: "echo", done: false, due: null, owner: 1 }, deleted: false, rev: echoRev }, { model: TASK, row_id: pendingRow, data: { title: "older", done: false, due: null, owner: 1 }, deleted: false, rev: null }], cursor: "5", more: true } }
            : { status: 200, json: { rows: [{ model: TASK, row_id: editedRow, data: { title: "django", done: true, due: null, owner: 1, _djazzkit_id: editedRow }, deleted: false, rev: null }, { model: TASK, row_id: newRow, data: { title: "new", done: false, due: null, owner: 1 }, deleted: false, rev: null }], cursor: "9", more: false } };
        }
        return { status: 500, json: {} };
      });
      const pe = await plan("m:e", echoRow, "echo", null);
      echoRev = pe.node.rev;
      const pp = await plan("m:p", pendingRow, "relay", null);
      const pd = await plan("m:d", editedRow, "mine", null);
      commitWrites(state.storage, t.link, [pe, pp, pd], { revsLimit: 100, nowIso: new Date().toISOString() });
      // echoRow and editedRow confirmed; pendingRow still waits for the origin.
      state.storage.sql.exec(`UPDATE revisions SET pending = 0 WHERE row_id <> ?`, pendingRow);
      const changed = await pullFromOrigin({ ctx: state, client: t.client, writes: t.writes, manifest: () => Promise.resolve(manifestJson as never), revsLimit: 100 });
      expect(changed).toBe(2);
      expect(t.calls.filter((c) => c.path.includes("/changes")).map((c) => new URL(c.path, "http://x").searchParams.get("since"))).toEqual([null, "5"]);
      expect(getMeta(state.storage.sql, "origin_cursor")).toBe("9");
      expect(getRow(state.storage.sql, TASK, echoRow)!.rev).toBe(pe.node.rev);
      expect(getRow(state.storage.sql, TASK, pendingRow)!.data).toMatchObject({ title: "relay" });
      const edited = getRow(state.storage.sql, TASK, editedRow)!;
      expect(edited.data).toEqual({ title: "django", done: true, due: null, owner: 1 });
      expect(loadTree(state.storage.sql, TASK, editedRow).find((n) => n.rev === edited.rev)!.parent).toBe(pd.node.rev);
      expect(getRow(state.storage.sql, TASK, newRow)!.data).toMatchObject({ title: "new" });
      // Pulling the same rows again changes nothing.
      state.storage.sql.exec(`DELETE FROM meta WHERE key = 'origin_cursor'`);
      t.calls.length = 0;
      expect(await pullFromOrigin({ ctx: state, client: t.client, writes: t.writes, manifest: () => Promise.resolve(manifestJson as never), revsLimit: 100 })).toBe(0);
    });
  });

  it("a skipped origin row comes back when the pending write that hid it is rejected (cursor rewound, pulled again)", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const row = uuid();
      const t = setup(state, user, (path, body) => {
        if (path === "apply") {
          return { status: 200, json: { results: (body as ApplyRequest).mutations.map((m) => ({ mutation_id: m.mutation_id, status: "rejected", code: "origin_rejected", message: "no" })) } };
        }
        return { status: 200, json: { rows: [{ model: TASK, row_id: row, data: { title: "django", done: false, due: null, owner: 1 }, deleted: false, rev: null }], cursor: "7", more: false } };
      });
      const p1 = await plan("m:1", row, "relay", null);
      commitWrites(state.storage, t.link, [p1], { revsLimit: 100, nowIso: new Date().toISOString() });
      const pull = () => pullFromOrigin({ ctx: state, client: t.client, writes: t.writes, manifest: () => Promise.resolve(manifestJson as never), revsLimit: 100 });
      expect(await pull()).toBe(0); // skipped: the relay's write is pending
      expect(getMeta(state.storage.sql, "origin_cursor")).toBe("7");
      const out = await drainOutbox({ ctx: state, settings: t.settings, client: t.client, writes: t.writes });
      expect(out.pull).toBe(true);
      expect(getMeta(state.storage.sql, "origin_cursor")).toBeNull();
      expect(await pull()).toBe(1);
      expect(getRow(state.storage.sql, TASK, row)!.data).toMatchObject({ title: "django" });
    });
  });

  /**
   * Sim seed 22's set-up: the relay's create m:1 of a Task is committed and pending; Django
   * applied it (its answer still on the way) and then Django's own code edited the row. The
   * fake origin applies everything and answers that edit to any pull from before cursor "7".
   * `withAncestry: false` is an origin row without `revisions` (older than Django-side revisions).
   */
  async function seed22(state: DurableObjectState, user: string, withAncestry: boolean) {
    const row = uuid();
    let djangoRow: unknown = null;
    const t = setup(state, user, (path, body) => {
      if (path === "apply") return { status: 200, json: { results: (body as ApplyRequest).mutations.map((m) => ({ mutation_id: m.mutation_id, status: "applied" })) } };
      const since = new URL(path, "http://x").searchParams.get("since");
      return { status: 200, json: { rows: since === "7" ? [] : [djangoRow], cursor: "7", more: false } };
    });
    const p1 = await plan("m:1", row, "todo", null);
    commitWrites(state.storage, t.link, [p1], { revsLimit: 100, nowIso: new Date().toISOString() });
    const data = { title: "todo", done: true, due: null, owner: 1 };
    const djangoRev = await revisionId(false, p1.node.rev, data);
    djangoRow = { model: TASK, row_id: row, data, deleted: false, rev: djangoRev, ...(withAncestry ? { revisions: [p1.node.rev] } : {}) };
    const pull = () => pullFromOrigin({ ctx: state, client: t.client, writes: t.writes, manifest: () => Promise.resolve(manifestJson as never), revsLimit: 100 });
    const drain = () => drainOutbox({ ctx: state, settings: t.settings, client: t.client, writes: t.writes });
    return { row, p1, djangoRev, pull, drain };
  }

  it("a Django edit that names the pending write as its parent is taken at once, while the write is still pending (sim seed 22)", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const { row, p1, djangoRev, pull, drain } = await seed22(state, user, true);
      expect(await pull()).toBe(1); // a child of the winner: taken though the winner's write is pending
      expect(getRow(state.storage.sql, TASK, row)).toMatchObject({ rev: djangoRev, data: { done: true } });
      expect(loadTree(state.storage.sql, TASK, row).find((n) => n.rev === djangoRev)!.parent).toBe(p1.node.rev);
      await drain();
      expect(getRow(state.storage.sql, TASK, row)).toMatchObject({ rev: djangoRev, data: { done: true } });
    });
  });
  it("a Django edit with no ancestry, made after the relay's pending write reached Django, is pulled once the outbox drains (sim seed 22)", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const { row, pull, drain } = await seed22(state, user, false);
      expect(await pull()).toBe(0); // lww row with a pending write: skipped
      expect(getMeta(state.storage.sql, "origin_cursor")).toBe("7");
      const out = await drain();
      expect(out).toMatchObject({ state: "empty", pull: true }); // nothing rejected, still pulled again
      expect(getMeta(state.storage.sql, "origin_cursor")).toBeNull();
      expect(await pull()).toBe(1);
      expect(getRow(state.storage.sql, TASK, row)).toMatchObject({ data: { done: true } });
      // settled: nothing left to rewind to
      expect((await drain()).pull).toBe(false);
    });
  });

  it("a write rejected in the same batch as its applied child is confirmed with it, leaving nothing pending (sim seed 130)", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const t = setup(state, user, (_path, body) => ({
        status: 200,
        json: {
          results: (body as ApplyRequest).mutations.map((m) =>
            m.mutation_id === "m:2" ? { mutation_id: m.mutation_id, status: "rejected", code: "origin_rejected", message: "no" } : { mutation_id: m.mutation_id, status: "applied" }),
        },
      }));
      const row = uuid();
      const c = await plan("m:1", row, "a", null);
      commitWrites(state.storage, t.link, [c], { revsLimit: 100, nowIso: new Date().toISOString() });
      await drainOutbox({ ctx: state, settings: t.settings, client: t.client, writes: t.writes });
      const r = await plan("m:2", row, "REJECT", c.node.rev);
      const u = await plan("m:3", row, "child", r.node.rev);
      commitWrites(state.storage, t.link, [r, u], { revsLimit: 100, nowIso: new Date().toISOString() });
      await drainOutbox({ ctx: state, settings: t.settings, client: t.client, writes: t.writes }); // one batch [m:2, m:3]
      expect((t.calls[1]!.body as ApplyRequest).mutations.map((m) => m.mutation_id)).toEqual(["m:2", "m:3"]);
      expect(storedResult(state.storage.sql, "m:2")).toMatchObject({ status: "rejected" });
      // the origin holds m:3's state (on top of the rejected m:2): nothing is left pending, so the
      // origin-held rule (winner corrections) still applies to the row
      expect(loadTree(state.storage.sql, TASK, row).filter((n) => n.pending)).toEqual([]);
      expect(getRow(state.storage.sql, TASK, row)).toMatchObject({ rev: u.node.rev, deleted: false });
    });
  });

  for (const childFate of ["rejected", "applied"] as const) {
    it(`a rejected create whose child is settled in a later batch: child ${childFate} -> the create is ${childFate === "rejected" ? "undone after it" : "kept, confirmed"}`, async () => {
      const user = newUser();
      await runInDurableObject(stub(user), async (_o, state) => {
        const t = setup(state, user, (_path, body) => ({
          status: 200,
          json: {
            results: (body as ApplyRequest).mutations.map((m) =>
              m.mutation_id === "m:1" || (m.mutation_id === "m:2" && childFate === "rejected")
                ? { mutation_id: m.mutation_id, status: "rejected", code: "origin_rejected", message: "no" }
                : { mutation_id: m.mutation_id, status: "applied" }),
          },
        }));
        const row = uuid();
        const c = await plan("m:1", row, "REJECT", null);
        const other = await plan("m:x", uuid(), "x", null);
        const u = await plan("m:2", row, "child", c.node.rev);
        commitWrites(state.storage, t.link, [c, other], { revsLimit: 100, nowIso: new Date().toISOString() });
        commitWrites(state.storage, t.link, [u], { revsLimit: 100, nowIso: new Date().toISOString() });
        await drainOutbox({ ctx: state, settings: t.settings, client: t.client, writes: t.writes }); // batches [m:1, m:x], [m:2]
        expect(t.calls).toHaveLength(2);
        const tree = loadTree(state.storage.sql, TASK, row);
        if (childFate === "rejected") {
          expect(tree).toEqual([]);
          expect(getRow(state.storage.sql, TASK, row)).toMatchObject({ deleted: true });
        } else {
          expect(tree.every((n) => !n.pending)).toBe(true);
          expect(getRow(state.storage.sql, TASK, row)).toMatchObject({ rev: u.node.rev, deleted: false });
        }
      });
    });
  }
});
