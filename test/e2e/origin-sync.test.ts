/**
 * The relay against the real sample Django (end to end): pushes land in
 * Django; conflicts show in `Note.objects.with_conflicts()` and go away when resolved; the
 * origin's resolver resolves; a rejected write is undone everywhere; ORM edits reach clients
 * by poke and pull, and a lost poke is healed by the pull on the next sync start; remote
 * queries and RPCs round-trip over the socket and HTTP; a session cookie authenticates a
 * socket; a schema change on the origin sends `schema_mismatch`.
 * Fails (never skips) when Django cannot start: startStack throws.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintJwt } from "../support/jwt.js";
import { login, seedUsers, setSchemaSalt } from "../support/sample-hooks.js";
import { startStack, type Stack } from "../support/stack.js";
import { openSocket, type Frame } from "../support/ws-client.js";
import { winningRev } from "../../revtree/index.js";
import {
  FAST_BINDINGS, connect, lastSeen, newRowId, originRow, originState, push, schemaVersion, sleep, syncStart,
  waitForOrigin, waitForRow, type Client,
} from "../support/origin-helpers.js";

const NOTE = "notes.Note";
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
  users = await seedUsers(stack.django, ["alice", "bob", "carol", "dave", "erin"]);
});
afterAll(async () => {
  for (const c of open) c.socket.close();
  await stack?.stop();
});

describe("origin: writes", () => {
  it("a push lands in Django's database and the author gets mutation_confirmed", async () => {
    const a = await client(users.alice!);
    const id = newRowId();
    const [r] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "milk", body: "2 l", archived: false } }]);
    expect(r).toMatchObject({ status: "applied" });
    const confirmed = await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === r!.mutation_id, 10_000);
    expect(confirmed.rev).toBe(r!.rev);
    const d = await originState(stack, users.alice);
    expect(originRow(d, NOTE, id)).toMatchObject({ data: { title: "milk", body: "2 l", author: Number(users.alice) }, rev: r!.rev });
    expect(d.applied_mutations.filter((m) => m.mutation_id === r!.mutation_id)).toEqual([
      expect.objectContaining({ status: "applied" }),
    ]);
  });

  it("a conflict made through the relay is listed by with_conflicts() and disappears after resolution", async () => {
    const a = await client(users.alice!);
    const id = newRowId();
    const [c] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "t", body: "", tags: ["manual"], archived: false } }]);
    const [x, y] = await push(a, [
      { model: NOTE, row_id: id, operation: "update", base_rev: c!.rev as string, data: { body: "left" } },
      { model: NOTE, row_id: id, operation: "update", base_rev: c!.rev as string, data: { body: "right" } },
    ]);
    expect([x!.status, y!.status]).toEqual(["applied", "applied"]);
    const d = await waitForOrigin(stack, (s) => s.models[NOTE]!.with_conflicts.includes(id), 15_000, users.alice);
    expect(originRow(d, NOTE, id)!.conflicts).toHaveLength(1);
    // The "manual" tag makes the sample resolver answer null: the conflict stays at the relay too.
    await sleep(300);
    expect(lastSeen(a.socket, id)!.conflicts).toHaveLength(1);

    const res = await a.socket.request({ type: "resolve_conflict", request_id: "res-1", mutation_id: `${a.clientId}:res1`, model: NOTE, row_id: id, data: { body: "both", tags: [] } });
    expect((res.results as Frame[])[0]).toMatchObject({ status: "applied" });
    await waitForRow(a.socket, id, (r) => (r.conflicts as string[]).length === 0);
    const after = await waitForOrigin(stack, (s) => !s.models[NOTE]!.with_conflicts.includes(id), 15_000, users.alice);
    expect(originRow(after, NOTE, id)).toMatchObject({ data: { body: "both" }, conflicts: [] });
  });

  it("the origin's conflict_resolver resolves a conflict (no manual tag)", async () => {
    const a = await client(users.alice!);
    const id = newRowId();
    const [c] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "t", body: "", tags: ["a"], archived: false } }]);
    await push(a, [
      { model: NOTE, row_id: id, operation: "update", base_rev: c!.rev as string, data: { body: "one", tags: ["b"] } },
      { model: NOTE, row_id: id, operation: "update", base_rev: c!.rev as string, data: { body: "two", tags: ["c"] } },
    ]);
    const row = await waitForRow(a.socket, id, (r) => (r.conflicts as string[]).length === 0 && String((r.data as Frame).body).includes("\n"));
    expect(String((row.data as Frame).body).split("\n").sort()).toEqual(["one", "two"]);
    const d = await waitForOrigin(stack, (s) => {
      const r = originRow(s, NOTE, id);
      return r !== undefined && r.rev === row.rev;
    }, 15_000, users.alice);
    expect(d.models[NOTE]!.with_conflicts).not.toContain(id);
  });

  it("a rejected write is undone everywhere: both sockets see the previous winner, the author gets mutation_rejected", async () => {
    const a = await client(users.bob!);
    const b = await client(users.bob!);
    const id = newRowId();
    const [c] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "fine", body: "", archived: false } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === c!.mutation_id, 10_000);
    const [r] = await push(a, [{ model: NOTE, row_id: id, operation: "update", base_rev: c!.rev as string, data: { title: "REJECT" } }]);
    expect(r).toMatchObject({ status: "applied" }); // accepted by the relay, refused later by the origin
    const rej = await a.socket.waitFor((f) => f.type === "mutation_rejected" && f.mutation_id === r!.mutation_id, 10_000);
    expect(rej).toMatchObject({ rev: r!.rev, code: "origin_rejected" });
    for (const s of [a.socket, b.socket]) {
      const seen = await waitForRow(s, id, (row) => row.rev === c!.rev);
      expect(seen.data).toMatchObject({ title: "fine" });
    }
    expect(b.socket.frames.some((f) => f.type === "mutation_rejected")).toBe(false);
    const d = await originState(stack, users.bob);
    expect(originRow(d, NOTE, id)).toMatchObject({ data: { title: "fine" }, rev: c!.rev });
    expect(d.applied_mutations.find((m) => m.mutation_id === r!.mutation_id)).toMatchObject({ status: "rejected" });
    // A repeated push of the same mutation answers the rejection.
    const again = await a.socket.request({ type: "push", request_id: "again", mutations: [{ mutation_id: r!.mutation_id, model: NOTE, row_id: id, operation: "update", base_rev: c!.rev as string, data: { title: "REJECT" } }] });
    expect((again.results as Frame[])[0]).toMatchObject({ status: "rejected", duplicate: true });
  });

  it("two branches in one batch, the origin rejects the winning one: Django ends up holding the relay's winner, never told the rejected one", async () => {
    const a = await client(users.dave!);
    // The relay picks the winner by revision id: retry with another body until the REJECT branch wins.
    for (let attempt = 0; attempt < 12; attempt++) {
      const id = newRowId();
      const [c] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "base", body: "", tags: ["manual"], archived: false } }]);
      await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === c!.mutation_id, 10_000);
      const [x, y] = await push(a, [
        { model: NOTE, row_id: id, operation: "update", base_rev: c!.rev as string, data: { title: "REJECT", body: `x${attempt}` } },
        { model: NOTE, row_id: id, operation: "update", base_rev: c!.rev as string, data: { title: "kept", body: `y${attempt}` } },
      ]);
      if (winningRev([{ rev: x!.rev as string, deleted: false }, { rev: y!.rev as string, deleted: false }]) !== x!.rev) continue;
      await a.socket.waitFor((f) => f.type === "mutation_rejected" && f.mutation_id === x!.mutation_id, 10_000);
      const relay = await waitForRow(a.socket, id, (r) => r.rev === y!.rev);
      expect(relay).toMatchObject({ data: { title: "kept" }, conflicts: [] });
      const d = await waitForOrigin(stack, (s) => originRow(s, NOTE, id)?.rev === y!.rev, 15_000, users.dave);
      expect(originRow(d, NOTE, id)).toMatchObject({ data: { title: "kept", body: `y${attempt}` }, conflicts: [] });
      // The kept branch's item named only settled revisions and its own (origin/view.ts), so
      // Django never held the REJECT body and no winner correction was needed.
      expect(d.applied_mutations.filter((m) => m.mutation_id.startsWith(`relay:winner:${id}:`))).toEqual([]);
      expect(a.socket.frames.some((f) => String(f.mutation_id ?? "").startsWith("relay:"))).toBe(false);
      return;
    }
    throw new Error("the REJECT branch never won in 12 attempts");
  });
});

describe("origin: changes made in Django", () => {
  it("an edit through the Django ORM reaches a connected client by poke and pull", async () => {
    const a = await client(users.carol!);
    const id = newRowId();
    const [c] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "from relay", body: "", archived: false } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === c!.mutation_id, 10_000);
    await stack.django.manage(["djazzkit_save", NOTE, "--row-id", id, "--data", JSON.stringify({ title: "from django" })]);
    const row = await waitForRow(a.socket, id, (r) => (r.data as Frame | null)?.title === "from django", 15_000);
    expect(row.rev).not.toBe(c!.rev);
    // A Django-created row arrives too.
    const out = await stack.django.manage(["djazzkit_save", NOTE, "--user", users.carol!, "--data", JSON.stringify({ title: "new in django", body: "", author: Number(users.carol) })]);
    expect(out).toBeTruthy();
    await a.socket.waitFor((f) => f.type === "changes" && (f.rows as Frame[]).some((r) => (r.data as Frame | null)?.title === "new in django"), 15_000);
  });

  it("first use hydrates: rows made in Django before the user's object existed arrive in the first catch-up", async () => {
    const user = users.erin!;
    await stack.django.manage(["djazzkit_save", NOTE, "--user", user, "--data", JSON.stringify({ title: "made before", body: "", author: Number(user) })]);
    const a = await client(user);
    const rows = a.socket.frames.filter((f) => f.type === "changes").flatMap((f) => f.rows as Frame[]);
    expect(rows.map((r) => (r.data as Frame | null)?.title)).toContain("made before");
  });

  it("lww: an origin row older than a pending relay write does not overwrite it (the pending write reaches Django last and wins; both agree)", async () => {
    // revision_tree rows keep such a Django edit as a branch instead: test/e2e/both-sides.test.ts
    const TASK = "notes.Task";
    const a = await client(users.carol!);
    const id = newRowId();
    const [c] = await push(a, [{ model: TASK, row_id: id, operation: "create", data: { title: "v1", done: false } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === c!.mutation_id, 10_000);
    await stack.proxy.setMode({ mode: "500", match: "/djazzkit/relay/apply" });
    try {
      const [u] = await push(a, [{ model: TASK, row_id: id, operation: "update", data: { title: "relay edit" } }]);
      // Django edits the row meanwhile and pokes; the pull sees the row while the relay's write is pending.
      const pulls = stack.proxy.count("/djazzkit/relay/changes");
      await stack.django.manage(["djazzkit_save", TASK, "--row-id", id, "--data", JSON.stringify({ title: "django edit" })]);
      for (let i = 0; i < 100 && stack.proxy.count("/djazzkit/relay/changes") === pulls; i++) await sleep(50);
      expect(stack.proxy.count("/djazzkit/relay/changes")).toBeGreaterThan(pulls);
      await sleep(300);
      expect((lastSeen(a.socket, id)!.data as Frame).title).toBe("relay edit");
      await stack.proxy.setMode("pass");
      await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === u!.mutation_id, 10_000);
      const d = await originState(stack, users.carol);
      expect(originRow(d, TASK, id)).toMatchObject({ data: { title: "relay edit" }, rev: u!.rev });
      expect(lastSeen(a.socket, id)).toMatchObject({ rev: u!.rev });
    } finally {
      await stack.proxy.setMode("pass");
    }
  });

  it("a lost poke is healed by the pull on the next sync start", async () => {
    const a = await client(users.dave!);
    const id = newRowId();
    const [c] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "before", body: "", archived: false } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === c!.mutation_id, 10_000);
    a.socket.close();
    await stack.django.restart({ relayUrl: "" }); // Django sends no pokes: the poke is lost
    try {
      await stack.django.manage(["djazzkit_save", NOTE, "--row-id", id, "--data", JSON.stringify({ title: "after" })]);
      await sleep(2_200); // longer than the idle threshold (DJAZZKIT_SCHEMA_TTL_S = 2)
      const b = await client(users.dave!);
      await syncStart(stack, b, a.cursor);
      const row = await waitForRow(b.socket, id, (r) => (r.data as Frame | null)?.title === "after", 10_000);
      expect(row.deleted).toBe(false);
    } finally {
      await stack.django.restart({ relayUrl: stack.url });
    }
  });
});

describe("origin: forwarding", () => {
  it("a remote query on a shared/remote model and an RPC round-trip over the socket", async () => {
    const a = await client(users.alice!);
    const q = await a.socket.request({ type: "query", request_id: "q1", query: { model: "notes.Announcement", limit: 5 } });
    expect(q).toMatchObject({ type: "query_result", request_id: "q1" });
    expect(Array.isArray(q.rows)).toBe(true);
    const echo = await a.socket.request({ type: "rpc", request_id: "r1", name: "echo", args: { x: 1 } });
    expect(echo).toMatchObject({ type: "rpc_result", request_id: "r1", result: { user_id: users.alice, args: { x: 1 } } });
    const stats = await a.socket.request({ type: "rpc", request_id: "r2", name: "note_stats", args: {} });
    expect(stats).toMatchObject({ type: "rpc_result", result: { user_id: users.alice } });
    expect((stats.result as Frame).notes).toBeGreaterThan(0);
    const fail = await a.socket.request({ type: "rpc", request_id: "r3", name: "fail", args: {} });
    expect(fail).toMatchObject({ type: "error", request_id: "r3", code: "rpc_failed" });
    const bad = await a.socket.request({ type: "query", request_id: "q2", query: { model: "notes.Announcement", where: { field: "nope", op: "eq", value: 1 } } });
    expect(bad).toMatchObject({ type: "error", request_id: "q2", code: "unknown_field" });
    const push1 = await a.socket.request({ type: "push", request_id: "p-ann", mutations: [{ mutation_id: "ann:1", model: "notes.Announcement", row_id: newRowId(), operation: "create", data: { title: "x", body: "" } }] });
    expect((push1.results as Frame[])[0]).toMatchObject({ status: "rejected", code: "forbidden" });
  });

  it("a remote query and an RPC round-trip over HTTP", async () => {
    const auth = { authorization: `Bearer ${await mintJwt(users.alice!)}`, "content-type": "application/json" };
    const q = await fetch(`${stack.url}/djazzkit/query`, { method: "POST", headers: auth, body: JSON.stringify({ model: "notes.Announcement", limit: 5 }) });
    expect(q.status).toBe(200);
    expect(await q.json()).toMatchObject({ rows: expect.any(Array) });
    const r = await fetch(`${stack.url}/djazzkit/rpc/echo`, { method: "POST", headers: auth, body: JSON.stringify({ args: { hello: "world" } }) });
    expect(r.status).toBe(200);
    expect(JSON.stringify(await r.json())).toContain("world");
    const anon = await fetch(`${stack.url}/djazzkit/rpc/echo`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
    expect(anon.status).toBe(200);
    expect(JSON.stringify(await anon.json())).toContain('"user_id":null');
  });

  it("the origin down maps to origin_unavailable with the request_id", async () => {
    const a = await client(users.alice!);
    await stack.proxy.setMode({ mode: "refuse", match: /\/(query|rpc)/ });
    try {
      const q = await a.socket.request({ type: "query", request_id: "qd", query: { model: "notes.Announcement" } }, 10_000);
      expect(q).toMatchObject({ type: "error", request_id: "qd", code: "origin_unavailable" });
      const r = await a.socket.request({ type: "rpc", request_id: "rd", name: "echo", args: {} }, 10_000);
      expect(r).toMatchObject({ type: "error", request_id: "rd", code: "origin_unavailable" });
    } finally {
      await stack.proxy.setMode("pass");
    }
  });

  it("a first sync_start while the origin is unreachable is refused with 1013, and the reconnect syncs", async () => {
    // A user whose object has never read the origin's schema (regression: sim seed 145 under
    // CI load, where such sockets waited forever for a sync_ready).
    const fresh = String(800_000 + Math.floor(Math.random() * 100_000));
    const version = await schemaVersion(stack);
    await stack.proxy.setMode("refuse");
    try {
      const socket = await openSocket(stack.syncUrl, { token: await mintJwt(fresh) });
      socket.send({ type: "sync_start", client_id: "fresh-1", schema_version: version });
      const err = await socket.waitForType("error", { timeoutMs: 10_000 });
      expect(err).toMatchObject({ code: "origin_unavailable" });
      expect(await socket.closed(10_000)).toBe(1013);
    } finally {
      await stack.proxy.setMode("pass");
    }
    const again = await openSocket(stack.syncUrl, { token: await mintJwt(fresh) });
    try {
      again.send({ type: "sync_start", client_id: "fresh-2", schema_version: version });
      const ready = await again.waitForType("sync_ready", { timeoutMs: 10_000 });
      expect(ready.server_schema_version).toBe(version);
    } finally {
      again.close();
    }
  });

  it("a Django session cookie authenticates a socket", async () => {
    const session = await login(stack.django, "alice");
    const socket = await openSocket(stack.syncUrl, { headers: { cookie: session.cookie }, origin: stack.url });
    try {
      socket.send({ type: "sync_start", client_id: "cookie-client", schema_version: await schemaVersion(stack) });
      await socket.waitForType("sync_ready", { timeoutMs: 10_000 });
      const echo = await socket.request({ type: "rpc", request_id: "who", name: "echo", args: null });
      expect(echo).toMatchObject({ result: { user_id: users.alice } });
    } finally {
      socket.close();
    }
  });
});

describe("origin: schema", () => {
  it("a schema change on the origin sends schema_mismatch to connected clients", async () => {
    const a = await client(users.bob!);
    const b = await client(users.carol!);
    const before = await schemaVersion(stack);
    const after = await setSchemaSalt(stack.django, "v2");
    try {
      expect(after).not.toBe(before);
      for (const s of [a.socket, b.socket]) {
        const m = await s.waitForType("schema_mismatch", { timeoutMs: 10_000 });
        expect(m).toEqual({
          type: "schema_mismatch",
          client_schema_version: before,
          server_schema_version: after,
          message: expect.any(String),
        });
      }
      const [r] = await push(a, [{ model: NOTE, row_id: newRowId(), operation: "create", data: { title: "x", body: "", archived: false } }]).catch(() => [undefined]);
      expect(r).toBeUndefined(); // the parked socket's push is refused with an error frame
      expect(a.socket.frames.some((f) => f.type === "error" && f.code === "schema_mismatch")).toBe(true);
      await syncStart(stack, a, a.cursor); // the new version syncs again
    } finally {
      await setSchemaSalt(stack.django, "");
    }
  });
});
