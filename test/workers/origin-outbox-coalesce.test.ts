/**
 * Coalescing the outbox drain under load (durable/origin/pacing.ts, DJAZZKIT_OUTBOX_MIN_INTERVAL_MS;
 * issue 12 scenario 6), through the object's link and alarm against an origin that counts its
 * `POST apply` calls. The clock is vitest's fake Date, so "the interval passed" is a step of
 * the test, not a wait; the alarm is fired as the runtime would: when its time has come.
 * - a write on an idle object is drained at once (the alarm is due now, one request);
 * - writes committed while a drain is in flight go in the next drain, one interval after its answer;
 * - a steady 20 writes/s: about one request per interval, at most 1 per 50 writes, every
 *   write confirmed;
 * - a full batch waiting goes at once, whatever the interval;
 * - a coalesced batch the origin fails is kept, retried after its backoff (the existing
 *   DJAZZKIT_OUTBOX_BACKOFF_* rule; the interval does not add to it), and then confirmed whole.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadSettings } from "../../schemas/config.js";
import type { ApplyRequest } from "../../schemas/origin.js";
import type { PlannedMutation } from "../../durable/writes/commit.js";
import { OriginClient } from "../../origin-client/client.js";
import { OriginBackedLink } from "../../durable/origin/backed-link.js";
import { outboxSize } from "../../durable/origin/outbox.js";
import { getMeta } from "../../durable/storage/meta.js";
import { migrate } from "../../durable/storage/migrations.js";
import { bindOwner } from "../../durable/storage/owner.js";
import { WriteQueue } from "../../durable/writes/queue.js";
import { revisionId } from "../../revtree/index.js";
import { commitWrites } from "../support/workers/commit-writes.js";
import { newUser, uuid } from "../support/workers/object-client.js";

const TASK = "notes.Task";
const INTERVAL_MS = 5000;

function stub(user: string) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
}

async function create(mutationId: string): Promise<PlannedMutation> {
  const data = { title: mutationId, done: false, due: null, owner: 1 };
  const rev = await revisionId(false, null, data);
  return { mutation_id: mutationId, model: TASK, row_id: uuid(), operation: "create", node: { rev, parent: null, deleted: false, data }, extra: [], result: { mutation_id: mutationId, status: "applied", rev } };
}

/** The link of a user object wired to an origin that answers `apply` (or fails while `down`). */
function setup(state: DurableObjectState, user: string, vars: Record<string, string> = {}) {
  migrate(state.storage);
  bindOwner(state.storage.sql, { user_id: user, expires_at: null } as never);
  const requests: { at: number; ids: string[] }[] = [];
  const applied = new Set<string>();
  const origin: { down: boolean; during?: () => Promise<void> } = { down: false };
  const client = new OriginClient({
    baseUrl: "http://origin.test",
    secret: "s",
    timeoutMs: 2000,
    fetch: async (input, init) => {
      const path = new URL(String(input)).pathname;
      if (!path.endsWith("/apply")) return new Response(JSON.stringify({ code: "internal", message: `unexpected ${path}` }), { status: 500 });
      const body = JSON.parse(String(init?.body)) as ApplyRequest;
      requests.push({ at: Date.now(), ids: body.mutations.map((m) => m.mutation_id) });
      const during = origin.during;
      origin.during = undefined;
      await during?.(); // something happening while this request is in flight
      if (origin.down) return new Response(JSON.stringify({ code: "origin_unavailable", message: "down" }), { status: 503 });
      for (const m of body.mutations) applied.add(m.mutation_id);
      const results = body.mutations.map((m) => ({ mutation_id: m.mutation_id, status: "applied" }));
      return new Response(JSON.stringify({ results }), { status: 200, headers: { "content-type": "application/json" } });
    },
  });
  const settings = loadSettings({
    ...env,
    DJAZZKIT_ORIGIN_URL: "http://origin.test",
    DJAZZKIT_OUTBOX_MIN_INTERVAL_MS: String(INTERVAL_MS),
    DJAZZKIT_OUTBOX_BACKOFF_BASE_MS: "1000",
    DJAZZKIT_OUTBOX_BACKOFF_MAX_MS: "5000",
    ...vars,
  });
  const writes = new WriteQueue();
  const link = new OriginBackedLink(state, settings, writes, client);
  let n = 0;
  /** One client write, committed as a push does, then the link's after-commit step (arms the alarm). */
  const write = async () => {
    const m = await create(`c1:${++n}`);
    commitWrites(state.storage, link, [m], { revsLimit: 100, nowIso: new Date().toISOString(), clientId: "c1" });
    await link.afterCommit();
    return m.mutation_id;
  };
  /** The runtime's part: run the alarm when it is due (returns whether it ran). */
  const fireIfDue = async () => {
    const at = await state.storage.getAlarm();
    if (at === null || at > Date.now()) return false;
    await state.storage.deleteAlarm();
    await link.alarm();
    return true;
  };
  const pending = () => state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM revisions WHERE pending = 1`).one().n;
  return { link, requests, applied, origin, write, fireIfDue, pending };
}

/**
 * Fake Date a day ahead of the real clock: alarms the link sets are then in the runtime's future,
 * so the runtime never fires (and clears) one behind the test's back; `fireIfDue` fires them.
 */
function fakeClock(): void {
  vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 86_400_000 });
}

afterEach(() => {
  vi.useRealTimers();
});

describe("outbox coalescing (DJAZZKIT_OUTBOX_MIN_INTERVAL_MS)", () => {
  it("a write on an idle object goes to the origin at once: the alarm is due now and one request carries it", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      fakeClock();
      const t = setup(state, user);
      const id = await t.write();
      expect(await state.storage.getAlarm()).toBeLessThanOrEqual(Date.now());
      expect(await t.fireIfDue()).toBe(true);
      expect(t.requests).toEqual([{ at: Date.now(), ids: [id] }]);
      expect(outboxSize(state.storage.sql)).toBe(0);
      expect(t.pending()).toBe(0);

      // Idle again (more than the interval since that drain): the next write goes at once too.
      vi.setSystemTime(Date.now() + INTERVAL_MS + 1);
      const id2 = await t.write();
      expect(await t.fireIfDue()).toBe(true);
      expect(t.requests.map((r) => r.ids)).toEqual([[id], [id2]]);
      await state.storage.deleteAlarm();
    });
  });

  it("20 writes/s for 30 s: writes within the interval wait and go together, at most 1 request per 50 writes, all confirmed", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      fakeClock();
      const t = setup(state, user);
      const ids: string[] = [];
      for (let i = 0; i < 600; i++) {
        ids.push(await t.write());
        await t.fireIfDue();
        vi.setSystemTime(Date.now() + 50);
      }
      // The load stops: what is left goes when its interval is up, not before.
      const last = t.requests[t.requests.length - 1]!.at;
      expect(await t.fireIfDue()).toBe(Date.now() >= last + INTERVAL_MS);
      vi.setSystemTime(last + INTERVAL_MS);
      await t.fireIfDue();
      expect(outboxSize(state.storage.sql)).toBe(0);
      expect(t.pending()).toBe(0);
      expect([...t.applied].sort()).toEqual([...ids].sort());
      expect(t.requests[0]!.ids).toEqual([ids[0]]); // the first write, on an idle object: alone, at once
      expect(t.requests.length).toBeLessThanOrEqual(ids.length / 50);
      // No two requests closer than the interval (no batch was full: 100 per batch by default).
      for (let i = 1; i < t.requests.length; i++) expect(t.requests[i]!.at - t.requests[i - 1]!.at).toBeGreaterThanOrEqual(INTERVAL_MS);
      // Each mutation sent exactly once (nothing failed).
      expect(t.requests.flatMap((r) => r.ids).length).toBe(ids.length);
      await state.storage.deleteAlarm();
    });
  });

  it("writes committed while a drain is in flight wait for the next drain, one interval after its answer", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      fakeClock();
      const t = setup(state, user);
      const late: string[] = [];
      t.origin.during = async () => {
        late.push(await t.write(), await t.write());
        vi.setSystemTime(Date.now() + 1500); // the origin takes 1.5 s to answer
      };
      const first = await t.write();
      expect(await t.fireIfDue()).toBe(true);
      const answeredAt = Date.now();
      expect(answeredAt).toBe(t.requests[0]!.at + 1500);
      expect(t.requests.map((r) => r.ids)).toEqual([[first]]);
      expect(outboxSize(state.storage.sql)).toBe(2);
      expect(await state.storage.getAlarm()).toBe(answeredAt + INTERVAL_MS);
      vi.setSystemTime(t.requests[0]!.at + INTERVAL_MS);
      expect(await t.fireIfDue()).toBe(false);
      vi.setSystemTime(answeredAt + INTERVAL_MS);
      expect(await t.fireIfDue()).toBe(true);
      expect(t.requests.map((r) => r.ids)).toEqual([[first], late]);
      expect(outboxSize(state.storage.sql)).toBe(0);
      await state.storage.deleteAlarm();
    });
  });

  it("a full batch waiting goes at once, within the interval", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      fakeClock();
      const t = setup(state, user, { DJAZZKIT_OUTBOX_BATCH: "10" });
      await t.write();
      expect(await t.fireIfDue()).toBe(true);
      for (let i = 0; i < 9; i++) {
        await t.write();
        expect(await t.fireIfDue()).toBe(false);
      }
      await t.write(); // the tenth since the drain: a full batch
      expect(await t.fireIfDue()).toBe(true);
      expect(t.requests.map((r) => r.ids.length)).toEqual([1, 10]);
      expect(outboxSize(state.storage.sql)).toBe(0);
      await state.storage.deleteAlarm();
    });
  });

  it("a coalesced batch the origin fails is kept, retried after its backoff (not the interval), then confirmed whole", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      fakeClock();
      const t = setup(state, user);
      const ids = [await t.write()];
      await t.fireIfDue();
      for (let i = 0; i < 20; i++) {
        vi.setSystemTime(Date.now() + 100);
        ids.push(await t.write());
        await t.fireIfDue();
      }
      expect(t.requests).toHaveLength(1);
      t.origin.down = true;
      const firstAt = t.requests[0]!.at;
      vi.setSystemTime(firstAt + INTERVAL_MS);
      expect(await t.fireIfDue()).toBe(true);
      expect(t.requests).toHaveLength(2);
      expect(t.requests[1]!.ids).toEqual(ids.slice(1)); // the coalesced batch
      expect(outboxSize(state.storage.sql)).toBe(20); // kept
      expect(getMeta(state.storage.sql, "outbox_attempts")).toBe("1");
      const retryAt = Number(getMeta(state.storage.sql, "outbox_retry_at"));
      const alarm = (await state.storage.getAlarm())!;
      expect(alarm).toBe(retryAt);
      // The existing backoff alone (base 1000 ms, first attempt: full jitter below 1 s).
      expect(retryAt).toBeLessThanOrEqual(t.requests[1]!.at + 1000);
      expect(await t.fireIfDue()).toBe(false); // not before its time

      t.origin.down = false;
      ids.push(await t.write()); // one more write meanwhile joins the retry
      vi.setSystemTime(alarm);
      expect(await t.fireIfDue()).toBe(true);
      expect(t.requests).toHaveLength(3);
      expect(t.requests[2]!.ids).toEqual(ids.slice(1));
      expect(outboxSize(state.storage.sql)).toBe(0);
      expect(t.pending()).toBe(0);
      expect(getMeta(state.storage.sql, "outbox_attempts")).toBe("0");
      expect([...t.applied].sort()).toEqual([...ids].sort());
      await state.storage.deleteAlarm();
    });
  });

  it("DJAZZKIT_OUTBOX_MIN_INTERVAL_MS=0 drains every write as it commits (the old behaviour)", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      fakeClock();
      const t = setup(state, user, { DJAZZKIT_OUTBOX_MIN_INTERVAL_MS: "0" });
      for (let i = 0; i < 5; i++) {
        await t.write();
        expect(await t.fireIfDue()).toBe(true);
      }
      expect(t.requests.map((r) => r.ids.length)).toEqual([1, 1, 1, 1, 1]);
      await state.storage.deleteAlarm();
    });
  });
});
