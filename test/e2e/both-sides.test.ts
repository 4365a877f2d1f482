/**
 * Both sides write (issue 14), end to end against the real sample Django with the fault proxy
 * between relay and Django: an edit made in Django while the relay cannot reach it, concurrent
 * with an acked client edit, is never silently lost.
 * - revision_tree (notes.Note): both edits survive in the relay, in Django and on the client,
 *   the winner by the usual rule, the other a retained conflict; or the origin's resolver
 *   merges them.
 * - lww (notes.Task): the write that reached Django last (the client's, drained after the
 *   partition) wins, the same in the relay, in Django and on the client.
 * Fails (never skips) when Django cannot start. DJAZZKIT_E2E_DB picks SQLite or PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedUsers } from "../support/sample-hooks.js";
import { startStack, type Stack } from "../support/stack.js";
import type { Frame } from "../support/ws-client.js";
import {
  FAST_BINDINGS, connect, lastSeen, newRowId, originRow, originState, push, sleep, waitForOrigin, waitForRow, type Client,
} from "../support/origin-helpers.js";

const NOTE = "notes.Note";
const TASK = "notes.Task";
let stack: Stack;
let users: Record<string, string>;
const open: Client[] = [];

async function client(user: string): Promise<Client> {
  const c = await connect(stack, user);
  open.push(c);
  return c;
}

beforeAll(async () => {
  stack = await startStack({ bindings: FAST_BINDINGS, djangoEnv: { DJAZZKIT_RELAY_POKE_BACKOFF_S: "0.05" } });
  users = await seedUsers(stack.django, ["alice", "bob", "carol", "dave"]);
});
afterAll(async () => {
  for (const c of open) c.socket.close();
  await stack?.stop();
});

async function djangoFaults(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${stack.django.url}/sample/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`faults: HTTP ${res.status} ${await res.text()}`);
}

async function djangoSave(model: string, rowId: string, data: Record<string, unknown>): Promise<void> {
  await stack.django.manage(["djazzkit_save", model, "--row-id", rowId, "--data", JSON.stringify(data)]);
}

/** What a fresh socket of the user gets for a row in its full catch-up: the relay's state. */
async function relayRow(user: string, rowId: string): Promise<Frame> {
  const fresh = await client(user);
  const row = lastSeen(fresh.socket, rowId);
  fresh.socket.close();
  if (row === undefined) throw new Error(`the relay has no row ${rowId}`);
  return row;
}

/** Relay (fresh catch-up), Django and the client hold the same winner and conflict revisions. */
async function expectAgreement(user: string, a: Client, model: string, id: string): Promise<{ relay: Frame; conflicts: string[] }> {
  const relay = await relayRow(user, id);
  const d = await originState(stack, user);
  const origin = originRow(d, model, id)!;
  expect(origin.rev).toBe(relay.rev);
  expect(origin.conflicts.map((c) => c.rev)).toEqual(relay.conflicts);
  const body = Object.fromEntries(Object.entries(relay.data as Frame).filter(([k]) => !k.startsWith("_djazzkit_")));
  expect(origin.data).toEqual(body);
  const seen = await waitForRow(a.socket, id, (r) => r.rev === relay.rev && JSON.stringify(r.conflicts) === JSON.stringify(relay.conflicts));
  expect(seen.data).toEqual(relay.data);
  return { relay, conflicts: relay.conflicts as string[] };
}

describe("both sides write: an edit made in Django during a partition is never lost", () => {
  it("revision_tree: both edits survive in the relay, in Django and on the client", async () => {
    const user = users.alice!;
    const a = await client(user);
    const id = newRowId();
    // tagged "manual": the sample's resolver keeps the conflict for a person
    const [c] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "start", body: "", tags: ["manual"], archived: false } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === c!.mutation_id, 10_000);

    await stack.proxy.setMode("refuse"); // the network between relay and Django is cut
    let u: Frame | undefined;
    try {
      [u] = await push(a, [{ model: NOTE, row_id: id, operation: "update", data: { title: "from client" } }]);
      expect(u).toMatchObject({ status: "applied" }); // acked
      await djangoSave(NOTE, id, { title: "from django" }); // Django serves its own users meanwhile
      await sleep(300);
    } finally {
      await stack.proxy.setMode("pass"); // the partition heals
    }
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === u!.mutation_id, 15_000);

    const d = await waitForOrigin(stack, (s) => s.models[NOTE]!.with_conflicts.includes(id), 15_000, user);
    const origin = originRow(d, NOTE, id)!;
    const titles = [origin.data.title, ...origin.conflicts.map((x) => (x.data as Frame).title)];
    expect(titles.sort()).toEqual(["from client", "from django"]);
    const { relay, conflicts } = await expectAgreement(user, a, NOTE, id);
    expect(conflicts).toHaveLength(1);
    expect([relay.rev, ...conflicts]).toContain(u!.rev);
  });

  it("revision_tree: a pull while the relay's write is pending keeps Django's edit as a branch (not skipped)", async () => {
    const user = users.bob!;
    const a = await client(user);
    const id = newRowId();
    const [c] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "v1", body: "", tags: ["manual"], archived: false } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === c!.mutation_id, 10_000);
    await stack.proxy.setMode({ mode: "500", match: "/djazzkit/relay/apply" }); // only apply fails: pokes pull
    let u: Frame | undefined;
    try {
      [u] = await push(a, [{ model: NOTE, row_id: id, operation: "update", data: { title: "relay edit" } }]);
      await djangoSave(NOTE, id, { title: "django edit" });
      // the poke's pull brings Django's edit in beside the pending write: the client sees both
      const both = await waitForRow(a.socket, id, (r) => (r.conflicts as string[]).length === 1, 10_000);
      expect([both.rev, ...(both.conflicts as string[])]).toContain(u!.rev);
    } finally {
      await stack.proxy.setMode("pass");
    }
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === u!.mutation_id, 15_000);
    await waitForOrigin(stack, (s) => s.models[NOTE]!.with_conflicts.includes(id), 15_000, user);
    const { conflicts } = await expectAgreement(user, a, NOTE, id);
    expect(conflicts).toHaveLength(1);
  });

  it("a Django edit whose pull failed reaches the connected client once the origin answers, with no second poke", async () => {
    // Django's poke is answered at once; the pull it starts fails (GET changes 500). Nobody
    // pokes again and the client stays connected (no sync_start), so only the relay's own retry
    // of the failed pull (alarm, with backoff) can bring the edit: a transient failure is never
    // given up.
    const user = users.dave!;
    const a = await client(user);
    const id = newRowId();
    const [c] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "before", body: "", tags: null, archived: false } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === c!.mutation_id, 10_000);
    await stack.proxy.setMode({ mode: "500", match: "/djazzkit/relay/changes" });
    try {
      await djangoSave(NOTE, id, { title: "edited in django" });
      await sleep(600); // the poke's pull has failed by now
    } finally {
      await stack.proxy.setMode("pass");
    }
    const row = await waitForRow(a.socket, id, (r) => (r.data as Frame | undefined)?.title === "edited in django", 10_000);
    expect(row.deleted).toBe(false);
  });

  it("revision_tree with a resolver: the origin's conflict_resolver merges the two edits everywhere", async () => {
    const user = users.carol!;
    const a = await client(user);
    const id = newRowId();
    const [c] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "t", body: "", archived: false } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === c!.mutation_id, 10_000);
    await stack.proxy.setMode("refuse");
    let u: Frame | undefined;
    try {
      [u] = await push(a, [{ model: NOTE, row_id: id, operation: "update", data: { body: "client body" } }]);
      await djangoSave(NOTE, id, { body: "django body" });
    } finally {
      await stack.proxy.setMode("pass");
    }
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === u!.mutation_id, 15_000);
    // merge_notes joins the distinct bodies: neither edit is lost, and no conflict is left
    const d = await waitForOrigin(stack, (s) => {
      const r = originRow(s, NOTE, id);
      return r !== undefined && r.conflicts.length === 0 && String(r.data.body).includes("client body") && String(r.data.body).includes("django body");
    }, 15_000, user);
    const { relay } = await expectAgreement(user, a, NOTE, id);
    expect((relay.data as Frame).body).toBe(originRow(d, NOTE, id)!.data.body);
  });

  it("lww: a Django edit made after the relay's write reached Django wins, even while the relay still waits for its answer (soak seed 1643)", async () => {
    const user = users.carol!;
    const a = await client(user);
    const id = newRowId();
    const [c] = await push(a, [{ model: TASK, row_id: id, operation: "create", data: { title: "start", done: false } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === c!.mutation_id, 10_000);
    // Django applies (and commits) every apply but answers 500: the relay's write stays pending.
    await djangoFaults({ mode: "error_after", calls: ["apply"] });
    let u: Frame | undefined;
    try {
      [u] = await push(a, [{ model: TASK, row_id: id, operation: "update", data: { title: "from client" } }]);
      await waitForOrigin(stack, (s) => originRow(s, TASK, id)?.data.title === "from client", 15_000, user);
      // Django's own edit, later than the relay's write there: the poke's pull must not skip it.
      await djangoSave(TASK, id, { title: "from django" });
      await waitForRow(a.socket, id, (r) => (r.data as Frame | null)?.title === "from django", 10_000);
    } finally {
      await djangoFaults({ mode: "off" });
    }
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === u!.mutation_id, 15_000);
    await sleep(300);
    const relay = await relayRow(user, id);
    expect((relay.data as Frame).title).toBe("from django");
    expect(originRow(await originState(stack, user), TASK, id)!.rev).toBe(relay.rev);
  });

  it("lww: the write that reached Django last (the drained client edit) wins everywhere", async () => {
    const user = users.dave!;
    const a = await client(user);
    const id = newRowId();
    const [c] = await push(a, [{ model: TASK, row_id: id, operation: "create", data: { title: "start", done: false } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === c!.mutation_id, 10_000);
    await stack.proxy.setMode("refuse");
    let u: Frame | undefined;
    try {
      [u] = await push(a, [{ model: TASK, row_id: id, operation: "update", data: { title: "from client" } }]);
      await djangoSave(TASK, id, { title: "from django", done: true });
      await sleep(300);
    } finally {
      await stack.proxy.setMode("pass");
    }
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === u!.mutation_id, 15_000);
    const d = await waitForOrigin(stack, (s) => originRow(s, TASK, id)?.rev === u!.rev, 15_000, user);
    // the client's update carried only the title: the winner is the client's full row
    expect(originRow(d, TASK, id)).toMatchObject({ data: { title: "from client", done: false }, conflicts: [] });
    const { relay, conflicts } = await expectAgreement(user, a, TASK, id);
    expect(relay.rev).toBe(u!.rev);
    expect(conflicts).toEqual([]);
  });
});
