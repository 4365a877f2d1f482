/**
 * An oversized or poisoned outbox never wedges a user (issue 8 item 5):
 * - batches are bounded by DJAZZKIT_OUTBOX_BATCH_BYTES as well as by count;
 * - a batch the origin refuses for its content (400/413/422) is split down to single entries;
 *   a single entry refused that way becomes a rejection (undone, mutation_rejected with the
 *   origin's code) while the other entries are confirmed;
 * - refusals about the relay's configuration (401) and outages (503) back off and keep the entries;
 * - large conflict bodies never make a stored entry too large (no SQLITE_TOOBIG): a write whose
 *   row would make an item too large, and a `get_conflicts` answer too large for one frame,
 *   answer a typed `message_too_large`.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { loadSettings } from "../../schemas/config.js";
import type { ApplyRequest } from "../../schemas/origin.js";
import type { MutationResult } from "../../schemas/protocol.js";
import { storedResult, type PlannedMutation } from "../../durable/writes/commit.js";
import { commitWrites } from "../support/workers/commit-writes.js";
import { OriginClient } from "../../origin-client/client.js";
import { OriginBackedLink } from "../../durable/origin/backed-link.js";
import { drainOutbox } from "../../durable/origin/drain.js";
import { outboxSize } from "../../durable/origin/outbox.js";
import { revisionId } from "../../revtree/index.js";
import { getRow } from "../../durable/storage/row-store.js";
import { migrate } from "../../durable/storage/migrations.js";
import { bindOwner } from "../../durable/storage/owner.js";
import { WriteQueue } from "../../durable/writes/queue.js";
import { Client, newUser, note, uuid } from "../support/workers/object-client.js";

vi.setConfig({ testTimeout: 30_000 });

const NOTE = "notes.Note";
const TASK = "notes.Task";

type Origin = (mutations: ApplyRequest["mutations"], bytes: number) => { status: number; json: unknown };

function setup(state: DurableObjectState, user: string, origin: Origin, vars: Record<string, string> = {}) {
  migrate(state.storage);
  bindOwner(state.storage.sql, { user_id: user, expires_at: null } as never);
  const calls: { ids: string[]; bytes: number; status: number }[] = [];
  const client = new OriginClient({
    baseUrl: "http://origin.test",
    secret: "s",
    timeoutMs: 2000,
    fetch: async (_input, init) => {
      const text = String(init?.body);
      const body = JSON.parse(text) as ApplyRequest;
      const bytes = new TextEncoder().encode(text).byteLength;
      const out = origin(body.mutations, bytes);
      calls.push({ ids: body.mutations.map((m) => m.mutation_id), bytes, status: out.status });
      return new Response(JSON.stringify(out.json), { status: out.status, headers: { "content-type": "application/json" } });
    },
  });
  const settings = loadSettings({ ...env, DJAZZKIT_ORIGIN_URL: "http://origin.test", DJAZZKIT_OUTBOX_BACKOFF_BASE_MS: "1000", DJAZZKIT_OUTBOX_BACKOFF_MAX_MS: "5000", ...vars });
  const writes = new WriteQueue();
  const link = new OriginBackedLink(state, settings, writes, client);
  const drain = () => drainOutbox({ ctx: state, settings, client, writes });
  const commit = (planned: PlannedMutation[]) => commitWrites(state.storage, link, planned, { revsLimit: 100, nowIso: new Date().toISOString(), clientId: "c1" });
  return { calls, drain, commit };
}

const applyAll = (ms: ApplyRequest["mutations"]) => ({ status: 200, json: { results: ms.map((m) => ({ mutation_id: m.mutation_id, status: "applied" })) } });

async function bigNote(mutationId: string, row: string, kb: number, parent: string | null = null, fill = "x"): Promise<PlannedMutation> {
  const data = { title: "big", body: fill.repeat(kb * 1000), archived: false, priority: null, tags: null, author: 1 };
  const rev = await revisionId(false, parent, data);
  return { mutation_id: mutationId, model: NOTE, row_id: row, operation: parent === null ? "create" : "update", node: { rev, parent, deleted: false, data }, extra: [], result: { mutation_id: mutationId, status: "applied", rev } };
}

async function task(mutationId: string, row: string, title = "small"): Promise<PlannedMutation> {
  const data = { title, done: false, due: null, owner: 1 };
  const rev = await revisionId(false, null, data);
  return { mutation_id: mutationId, model: TASK, row_id: row, operation: "create", node: { rev, parent: null, deleted: false, data }, extra: [], result: { mutation_id: mutationId, status: "applied", rev } };
}

function stub(user: string) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
}

describe("outbox batches are bounded and a refusal never wedges", () => {
  it("the issue's repro: three 700 KB notes and a small task drain in byte-bounded batches under a 4 MiB origin", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const LIMIT = 4 * 1_048_576;
      const t = setup(state, user, (ms, bytes) => (bytes > LIMIT ? { status: 413, json: { code: "message_too_large", message: "body too large" } } : applyAll(ms)));
      t.commit([await bigNote("n1", uuid(), 700), await bigNote("n2", uuid(), 700), await bigNote("n3", uuid(), 700), await task("t1", uuid())]);
      expect((await t.drain()).state).toBe("empty");
      expect(t.calls.every((c) => c.status === 200 && c.bytes <= 3 * 1_048_576 + 200)).toBe(true);
      expect(t.calls.flatMap((c) => c.ids)).toEqual(["n1", "n2", "n3", "t1"]);
      expect(t.calls.length).toBeGreaterThan(1);
      expect(outboxSize(state.storage.sql)).toBe(0);
    });
  });

  it("a batch refused for its size is split down to single entries; one too large alone becomes a message_too_large rejection", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const LIMIT = 1_000_000; // an origin with a smaller body limit than the relay's batch bound
      const t = setup(state, user, (ms, bytes) => (bytes > LIMIT ? { status: 413, json: { code: "message_too_large", message: "body larger than 1000000 bytes" } } : applyAll(ms)));
      const rows = [uuid(), uuid(), uuid()];
      t.commit([await task("t0", rows[0]!), await bigNote("huge", rows[1]!, 700), await task("t2", rows[2]!)]);
      expect(outboxSize(state.storage.sql)).toBe(3);
      expect((await t.drain()).state).toBe("empty");
      const sql = state.storage.sql;
      expect(storedResult(sql, "huge")).toMatchObject({ status: "rejected", code: "message_too_large" });
      expect(getRow(sql, NOTE, rows[1]!)).toMatchObject({ deleted: true }); // undone
      expect(storedResult(sql, "t0")).toMatchObject({ status: "applied" });
      expect(getRow(sql, TASK, rows[0]!)).toMatchObject({ deleted: false });
      expect(getRow(sql, TASK, rows[2]!)).toMatchObject({ deleted: false });
      expect(sql.exec(`SELECT COUNT(*) AS n FROM revisions WHERE pending = 1`).one().n).toBe(0);
      // Every call after a refusal carried fewer entries, and the refused one was tried alone.
      expect(t.calls.filter((c) => c.status === 413).at(-1)!.ids).toEqual(["huge"]);
      expect(outboxSize(sql)).toBe(0);
    });
  });

  it("a poisoned entry the origin answers 400 for is found by splitting; the rest are confirmed", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const t = setup(state, user, (ms) =>
        ms.some((m) => m.data?.["title"] === "poison") ? { status: 400, json: { code: "invalid_message", message: "mutations[3]: bad" } } : applyAll(ms),
        { DJAZZKIT_OUTBOX_BATCH: "8" });
      const ids = Array.from({ length: 7 }, () => uuid());
      t.commit(await Promise.all(ids.map((row, i) => task(`t${i}`, row, i === 3 ? "poison" : "fine"))));
      expect((await t.drain()).state).toBe("empty");
      const sql = state.storage.sql;
      for (let i = 0; i < 7; i++) expect(storedResult(sql, `t${i}`)).toMatchObject({ status: i === 3 ? "rejected" : "applied" });
      expect(storedResult(sql, "t3")).toMatchObject({ code: "invalid_message" });
      expect(outboxSize(sql)).toBe(0);
    });
  });

  it("a 401 (wrong secret) or a 503 is not the entries' fault: backoff, nothing rejected", async () => {
    for (const status of [401, 503]) {
      const user = newUser();
      await runInDurableObject(stub(user), async (_o, state) => {
        const t = setup(state, user, () => ({ status, json: { code: "auth_required", message: "no" } }));
        t.commit([await task("a", uuid()), await task("b", uuid())]);
        expect((await t.drain()).state).toBe("backoff");
        expect(t.calls).toHaveLength(1);
        expect(outboxSize(state.storage.sql)).toBe(2);
        expect(storedResult(state.storage.sql, "a")).toMatchObject({ status: "applied" });
      });
    }
  });

  it("a row with three 700 KB branches stores its outbox entries (no SQLITE_TOOBIG) and drains", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const t = setup(state, user, applyAll);
      const row = uuid();
      const root = await bigNote("root", row, 1);
      t.commit([root]);
      for (const [i, fill] of ["a", "b", "c"].entries()) t.commit([await bigNote(`b${i}`, row, 700, root.node.rev, fill)]);
      expect(getRow(state.storage.sql, NOTE, row)!.conflicts).toHaveLength(2);
      expect((await t.drain()).state).toBe("empty");
    });
  });
});

describe("message_too_large for rows whose conflicts are too large (sockets)", () => {
  it("a write that would carry too many large conflict bodies, and get_conflicts over one frame, answer message_too_large", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    await a.syncStart();
    const row = uuid();
    const base = (await a.push([note(row, { title: "base" })])).results[0]!.rev as string;
    const results: MutationResult[] = [];
    for (const fill of ["a", "b", "c", "d"]) {
      results.push((await a.push([note(row, { title: fill, body: fill.repeat(700_000), archived: false }, "update", base)])).results[0]!);
    }
    expect(results.slice(0, 3).map((r) => r["status"])).toEqual(["applied", "applied", "applied"]);
    expect(results[3]).toMatchObject({ status: "rejected", code: "message_too_large" });
    const answer = await a.request({ type: "get_conflicts", model: NOTE, row_id: row });
    expect(answer).toMatchObject({ type: "error", code: "message_too_large" });
    a.close();
  });
});
