/**
 * Every error code the object can produce, reached over a real socket; hostile frames get
 * typed errors and never disturb another socket.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { Client, MANIFEST, newUser, note, SCHEMA_VERSION, task, uuid, expectFrame, type Frame, type FrameOf, type Outgoing } from "../support/workers/object-client.js";
import { mintJwt } from "../support/jwt.js";
import { forgetAttachment } from "../../durable/attachment.js";

vi.setConfig({ testTimeout: 30_000 });

function stub(user: string) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
}

/** A socket opened on the object directly, with an identity of our choosing (as the gate would set it). */
async function openDirect(user: string, expiresAt: number | null): Promise<WebSocket> {
  const res = await stub(user).fetch("https://relay.test/djazzkit/sync", {
    headers: {
      Upgrade: "websocket",
      "X-Djazzkit-Internal-Identity": JSON.stringify({ user_id: user, expires_at: expiresAt, method: "jwt" }),
    },
  });
  expect(res.status).toBe(101);
  res.webSocket!.accept();
  return res.webSocket!;
}

async function error(c: Client, frame: Outgoing | string | ArrayBuffer, code: string): Promise<FrameOf<"error">> {
  c.send(frame);
  return c.takeWhere("error", (f) => f.code === code, 5000, `error ${code}`);
}

/** The other socket still answers and still receives broadcasts. */
async function stillWorks(watcher: Client, author: Client): Promise<void> {
  const row = uuid();
  const res = await author.push([task(row)]);
  expect(res.results[0]!.status).toBe("applied");
  await watcher.takeWhere("changes", (f) => f.rows.some((r) => r.row_id === row), 5000, "broadcast");
}

describe("hostile frames", () => {
  it("get invalid_message and never disturb another socket", async () => {
    const user = newUser();
    const bad = await Client.forUser(user);
    const good = await Client.forUser(user);
    await good.syncStart();
    await error(bad, "not json {", "invalid_message");
    await error(bad, new TextEncoder().encode('{"type":"ping"}').buffer as ArrayBuffer, "invalid_message");
    await error(bad, { type: "push", mutations: "nope" }, "invalid_message");
    await error(bad, { type: "sync_start", client_id: 5, schema_version: SCHEMA_VERSION }, "invalid_message");
    await error(bad, { type: "teleport" }, "invalid_message");
    await error(bad, "[1,2,3]", "invalid_message");
    await error(bad, "null", "invalid_message");
    const withId = await error(bad, { type: "query", request_id: "q1" }, "invalid_message");
    expect(withId.request_id).toBe("q1");
    // Deeply nested JSON, far past any depth a handler would recurse through.
    await error(bad, `{"type":"query","request_id":"d","query":${"[".repeat(50_000)}${"]".repeat(50_000)}}`, "invalid_message");
    // __proto__ keys, at the top and inside a mutation's data.
    await error(bad, '{"type":"push","__proto__":{"polluted":true},"mutations":[]}', "invalid_message");
    const row = uuid();
    await error(
      bad,
      `{"type":"push","mutations":[{"mutation_id":"p1","model":"notes.Note","row_id":"${row}","operation":"create","data":{"title":"t","body":"b","archived":false,"__proto__":{"polluted":true}}}]}`,
      "invalid_message",
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const protoClean = await runInDurableObject(stub(user), () => Object.keys(Object.prototype).length === 0 && ({} as Record<string, unknown>).polluted === undefined);
    expect(protoClean).toBe(true);
    await stillWorks(good, bad); // the bad socket itself is still usable too
    await stillWorks(good, good);
  });

  it("a frame over DJAZZKIT_MAX_MESSAGE_BYTES gets message_too_large and close 1009", async () => {
    const user = newUser();
    const big = await Client.forUser(user);
    const good = await Client.forUser(user);
    await good.syncStart();
    big.send(JSON.stringify({ type: "query", request_id: "big", query: { model: "x".repeat(1_100_000) } }));
    const closed = await big.closed;
    expect(closed.code).toBe(1009);
    expect(big.frames).toContainEqual(expect.objectContaining({ type: "error", code: "message_too_large" }));
    await stillWorks(good, good);
  });

  it("a row body that could not fit in one changes frame is refused", async () => {
    const c = await Client.forUser(newUser());
    const res = await c.push([note(uuid(), { body: "x".repeat(850_000) })]);
    expect(res.results[0]).toMatchObject({ status: "rejected", code: "message_too_large" });
  });
});

describe("push refusals", () => {
  it("validation codes come back per mutation", async () => {
    const user = newUser();
    const c = await Client.forUser(user);
    const other = String(Number(user) + 1);
    const res = await c.push([
      { ...note(uuid()), model: "nope.Model" },
      note(uuid(), { bogus: 1 }),
      note(uuid(), { title: 5 }),
      { mutation_id: "ann-1", model: "notes.Announcement", row_id: uuid(), operation: "create", data: { title: "t", body: "b" } },
      note(uuid(), { author: Number(other) }),
      note(uuid(), { title: "fine" }),
    ]);
    expect(res.results.map((r) => r.code ?? r.status)).toEqual([
      "unknown_model", "unknown_field", "invalid_field_value", "forbidden", "forbidden", "applied",
    ]);
    for (const r of res.results.slice(0, 5)) expect(r.message).toEqual(expect.any(String));
  });

  it("an anonymous socket cannot push: auth_required", async () => {
    const anon = await Client.open(null);
    const err = await anon.request({ type: "push", mutations: [note(uuid())] });
    expect(err).toMatchObject({ type: "error", code: "auth_required" });
    // It may still check its schema.
    const { ready } = await anon.syncStart();
    expect(ready.server_schema_version).toBe(SCHEMA_VERSION);
    const q = await anon.request({ type: "query", query: { model: "notes.Note" } });
    expect(q).toMatchObject({ type: "error", code: "auth_required" });
  });

  it("a push over DJAZZKIT_MAX_MUTATIONS_PER_PUSH is refused whole: too_many_mutations", async () => {
    const c = await Client.forUser(newUser());
    const many = Array.from({ length: 501 }, () => task(uuid()));
    const err = await c.request({ type: "push", mutations: many });
    expect(err).toMatchObject({ type: "error", code: "too_many_mutations" });
    const { changes } = await c.syncStart();
    expect(changes).toEqual([]);
  });
});

describe("schema_mismatch", () => {
  it("answers the exact frame, keeps the socket open, refuses pushes until a matching sync_start", async () => {
    const c = await Client.forUser(newUser());
    c.send({ type: "sync_start", client_id: "c1", schema_version: "ffffffffffffffff" });
    const mm = await c.takeType("schema_mismatch");
    expect(Object.keys(mm).sort()).toEqual(["client_schema_version", "message", "server_schema_version", "type"]);
    expect(mm).toMatchObject({ client_schema_version: "ffffffffffffffff", server_schema_version: MANIFEST.schema_version });
    const refused = await c.request({ type: "push", mutations: [task(uuid())] });
    expect(refused).toMatchObject({ type: "error", code: "schema_mismatch" });
    const resolve = await c.request({ type: "resolve_conflict", mutation_id: "r1", model: "notes.Note", row_id: uuid(), data: {} });
    expect(resolve).toMatchObject({ type: "error", code: "schema_mismatch" });
    await c.syncStart();
    const ok = await c.push([task(uuid())]);
    expect(ok.results[0]!.status).toBe("applied");
  });
});

describe("rate limit and socket cap", () => {
  it("a flooding socket gets rate_limited with retry_after_ms; another socket is unaffected", async () => {
    const user = newUser();
    const flood = await Client.forUser(user);
    const good = await Client.forUser(user);
    await good.syncStart();
    for (let i = 0; i < 260; i++) flood.send({ type: "list_conflicts", request_id: `f${i}` });
    const limited = await flood.takeWhere("error", (f) => f.code === "rate_limited", 10_000, "rate_limited");
    expect(limited.details!.retry_after_ms).toBeGreaterThan(0);
    await stillWorks(good, good);
  });

  it("a socket past DJAZZKIT_MAX_SOCKETS_PER_USER is closed with 1013", async () => {
    const user = newUser();
    const token = await mintJwt(user);
    const open: Client[] = [];
    for (let i = 0; i < 64; i++) open.push(await Client.open(token));
    const extra = await Client.open(token);
    expect((await extra.closed).code).toBe(1013);
    await open[0]!.syncStart();
    await stillWorks(open[0]!, open[1]!);
  });
});

describe("credentials", () => {
  it("a socket whose credential expired gets auth_expired and close 4401 on its next frame", async () => {
    const user = newUser();
    const ws = await openDirect(user, Math.floor(Date.now() / 1000) - 1);
    const frames: Frame[] = [];
    ws.addEventListener("message", (e) => frames.push(JSON.parse(e.data as string)));
    const closed = new Promise<number>((r) => ws.addEventListener("close", (e) => r(e.code)));
    ws.send(JSON.stringify({ type: "list_conflicts", request_id: "x" }));
    expect(await closed).toBe(4401);
    expect(frames).toContainEqual(expect.objectContaining({ type: "error", code: "auth_expired", request_id: "x" }));
  });

  it("auth: the same user -> auth_ok; an expired token -> auth_expired + 4401; another user -> forbidden + close", async () => {
    const user = newUser();
    const c = await Client.forUser(user);
    const fresh = await mintJwt(user, { expiresInS: 7200 });
    const ok = await c.request({ type: "auth", token: fresh });
    expect(ok).toMatchObject({ type: "auth_ok", user_id: user, expires_at: expect.any(Number) });
    const pushed = await c.push([task(uuid())]);
    expect(pushed.results[0]!.status).toBe("applied");

    const other = await Client.forUser(user);
    const wrong = await other.request({ type: "auth", token: await mintJwt(newUser()) });
    expect(wrong).toMatchObject({ type: "error", code: "forbidden" });
    expect((await other.closed).code).toBe(1008);

    const expired = await c.request({ type: "auth", token: await mintJwt(user, { expiresInS: -60 }) });
    expect(expired).toMatchObject({ type: "error", code: "auth_expired" });
    expect((await c.closed).code).toBe(4401);

    const garbage = await Client.forUser(user);
    const bad = await garbage.request({ type: "auth", token: "not.a.jwt" });
    expect(bad).toMatchObject({ type: "error", code: "auth_expired" });
    expect((await garbage.closed).code).toBe(4401);
  });
});

describe("queries, rpc and internal errors", () => {
  it("the object re-checks query bounds and fields", async () => {
    const c = await Client.forUser(newUser());
    const q = (query: unknown) => c.request({ type: "query", query });
    expect(await q({ model: "notes.Note", limit: 0 })).toMatchObject({ code: "limit_out_of_range" });
    expect(await q({ model: "notes.Note", limit: 100_000 })).toMatchObject({ code: "limit_out_of_range" });
    expect(await q({ model: "notes.Note", offset: -1 })).toMatchObject({ code: "offset_out_of_range" });
    expect(await q({ model: "notes.Note", where: { field: "title", op: "like", value: 1 } })).toMatchObject({ code: "invalid_query" });
    expect(await q("select *")).toMatchObject({ code: "invalid_query" });
    let deep: unknown = { field: "title", op: "eq", value: "x" };
    for (let i = 0; i < 12; i++) deep = { not: deep };
    expect(await q({ model: "notes.Note", where: deep })).toMatchObject({ code: "query_too_complex" });
    expect(await q({ model: "nope.Model" })).toMatchObject({ code: "unknown_model" });
    expect(await q({ model: "notes.Note", where: { field: "nope", op: "eq", value: 1 } })).toMatchObject({ code: "unknown_field" });
    const shared = expectFrame(await q({ model: "notes.Announcement" }), "error");
    expect(shared).toMatchObject({ code: "forbidden" });
    expect(shared.message).toMatch(/origin/);
  });

  it("get_conflicts on an unknown or shared model: unknown_model / forbidden", async () => {
    const c = await Client.forUser(newUser());
    expect(await c.request({ type: "get_conflicts", model: "nope.X", row_id: uuid() })).toMatchObject({ code: "unknown_model" });
    expect(await c.request({ type: "get_conflicts", model: "notes.Announcement", row_id: uuid() })).toMatchObject({ code: "forbidden" });
  });

  it("rpc without an origin: rpc_failed", async () => {
    const c = await Client.forUser(newUser());
    expect(await c.request({ type: "rpc", name: "ping", args: {} })).toMatchObject({ type: "error", code: "rpc_failed" });
  });

  it("a broken attachment answers internal on that socket only", async () => {
    const user = newUser();
    const broken = await Client.forUser(user);
    const good = await Client.forUser(user);
    await good.syncStart();
    await runInDurableObject(stub(user), (_obj, state) => {
      for (const ws of state.getWebSockets()) {
        const a = ws.deserializeAttachment() as { sync: string };
        if (a.sync === "idle") {
          ws.serializeAttachment({ garbage: true });
          // The object keeps each socket's last state in memory; drop it as a rebuilt object
          // would, so the next frame reads the broken attachment.
          forgetAttachment(ws);
        }
      }
    });
    broken.send({ type: "list_conflicts", request_id: "l1" });
    expect(await broken.take((f) => f.type === "error")).toMatchObject({ code: "internal" });
    expect((await broken.closed).code).toBe(1011);
    await stillWorks(good, good);
  });
});

describe("small frames", () => {
  it("ping is answered pong (by the runtime's auto-response, or by the object for other spellings)", async () => {
    const c = await Client.forUser(newUser());
    c.send('{"type":"ping"}');
    await c.takeType("pong");
    c.send('{ "type" : "ping" }');
    await c.takeType("pong");
  });

  it("an empty push answers an empty push_result and broadcasts nothing", async () => {
    const c = await Client.forUser(newUser());
    await c.syncStart();
    expect((await c.push([])).results).toEqual([]);
    await c.expectNone((f) => f.type === "changes", 100);
  });
});
