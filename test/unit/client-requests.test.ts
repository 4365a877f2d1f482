/** Client SDK: request/answer correlation, error frames, timeouts, queued and lost requests. */
import { describe, expect, it } from "vitest";
import { RelayClientError } from "../../client/index.js";
import { connectReady, type FakeConnection, type Frame, rev, sleep, useFakeRelay } from "../support/fake-relay.js";

const fake = useFakeRelay();
const client = fake.client;

const one = async (conn: FakeConnection, type: string, n = 1): Promise<Frame> => (await conn.waitForType(type, n))[n - 1]!;

describe("correlation", () => {
  it("answers arriving out of order settle the right requests", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const q = c.query({ model: "notes.Note", limit: 5 });
    const r = c.rpc("notes.archive_all", { older_than: 3 });
    const g = c.getConflicts("notes.Note", "r1");
    const l = c.listConflicts("notes.Note");
    const all = c.listConflicts();
    const [qf, rf, gf, lf, af] = [
      await one(conn, "query"), await one(conn, "rpc"), await one(conn, "get_conflicts"),
      await one(conn, "list_conflicts"), await one(conn, "list_conflicts", 2),
    ];
    expect(qf).toMatchObject({ query: { model: "notes.Note", limit: 5 } });
    expect(rf).toMatchObject({ name: "notes.archive_all", args: { older_than: 3 } });
    expect(gf).toMatchObject({ model: "notes.Note", row_id: "r1" });
    expect(lf).toMatchObject({ model: "notes.Note" });
    expect(af).not.toHaveProperty("model");
    const ids = [qf, rf, gf, lf, af].map((f) => f!.request_id);
    expect(new Set(ids).size).toBe(5);

    conn.send({ type: "conflict_list", request_id: af!.request_id, rows: [] });
    conn.send({ type: "rpc_result", request_id: rf!.request_id, result: { archived: 7 } });
    conn.send({ type: "conflicts", request_id: gf!.request_id, model: "notes.Note", row_id: "r1", winner: { rev: rev(2, "f"), data: { t: "w" } }, conflicts: [{ rev: rev(2, "a"), data: { t: "l" } }] });
    conn.send({ type: "query_result", request_id: qf!.request_id, rows: [{ title: "a" }], total: 1 });
    conn.send({ type: "conflict_list", request_id: lf!.request_id, rows: [{ model: "notes.Note", row_id: "r1", rev: rev(2, "f"), conflicts: [rev(2, "a")] }] });

    await expect(q).resolves.toEqual({ rows: [{ title: "a" }], total: 1 });
    await expect(r).resolves.toEqual({ archived: 7 });
    await expect(g).resolves.toMatchObject({ winner: { rev: rev(2, "f") }, conflicts: [{ rev: rev(2, "a") }] });
    await expect(l).resolves.toEqual([{ model: "notes.Note", row_id: "r1", rev: rev(2, "f"), conflicts: [rev(2, "a")] }]);
    await expect(all).resolves.toEqual([]);
  });

  it("an error frame with the request id rejects that request with a typed error", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const errors: RelayClientError[] = [];
    c.on("error", (e) => errors.push(e));
    const bad = c.query({ model: "notes.Note", limit: 5000 });
    const good = c.rpc("ping");
    const qf = await one(conn, "query");
    const rf = await one(conn, "rpc");
    conn.send({ type: "error", request_id: qf.request_id, code: "limit_out_of_range", message: "limit must be 1..1000", details: { max: 1000 } });
    conn.send({ type: "rpc_result", request_id: rf.request_id, result: "pong" });
    const err = await bad.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RelayClientError);
    expect(err).toMatchObject({ code: "limit_out_of_range", message: "limit must be 1..1000", details: { max: 1000 } });
    await expect(good).resolves.toBe("pong");
    expect(errors).toEqual([]); // a request's error is reported to the request, not the emitter
  });

  it("an error without a known request id goes to the error event", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const errors: RelayClientError[] = [];
    c.on("error", (e) => errors.push(e));
    conn.send({ type: "error", code: "internal", message: "boom" });
    conn.send({ type: "error", request_id: "nobody", code: "forbidden", message: "who?" });
    await conn.until(() => errors.length === 2);
    expect(errors.map((e) => e.code)).toEqual(["internal", "forbidden"]);
  });

  it("an answer of the wrong type for a request id rejects it as invalid_message", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const q = c.query({ model: "notes.Note" });
    const qf = await one(conn, "query");
    conn.send({ type: "rpc_result", request_id: qf.request_id, result: 1 });
    await expect(q).rejects.toMatchObject({ code: "invalid_message" });
  });
});

describe("timeouts and connection loss", () => {
  it("a request with no answer times out; a late answer is ignored", async () => {
    const c = client({ requestTimeoutMs: 60 });
    const conn = await connectReady(fake.relay, c);
    const errors: RelayClientError[] = [];
    c.on("error", (e) => errors.push(e));
    const started = Date.now();
    const q = c.query({ model: "notes.Note" });
    const qf = await one(conn, "query");
    await expect(q).rejects.toMatchObject({ code: "timeout" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
    conn.send({ type: "query_result", request_id: qf.request_id, rows: [] });
    await sleep(30);
    expect(errors).toEqual([]);
  });

  it("requests made while offline are queued and sent once the socket opens", async () => {
    const c = client();
    const r = c.rpc("hello", { n: 1 });
    c.connect();
    const conn = await fake.relay.connection();
    const rf = await one(conn, "rpc");
    expect(conn.frames[0]!.type).toBe("sync_start"); // the handshake goes first
    conn.send({ type: "rpc_result", request_id: rf.request_id, result: "hi" });
    await expect(r).resolves.toBe("hi");
  });

  it("a request sent before the socket dropped is rejected as disconnected, not re-sent", async () => {
    const c = client();
    const conn1 = await connectReady(fake.relay, c);
    const r = c.rpc("charge_card");
    await one(conn1, "rpc");
    conn1.drop();
    await expect(r).rejects.toMatchObject({ code: "disconnected" });
    const conn2 = await fake.relay.connection(2);
    await conn2.waitForType("sync_start");
    await sleep(30);
    expect(conn2.ofType("rpc")).toHaveLength(0);
  });
});

describe("auth", () => {
  it("sends the token on the open socket and resolves on auth_ok; later sockets use it", async () => {
    const c = client({ token: "t1" });
    const conn1 = await connectReady(fake.relay, c);
    const a = c.auth("t2");
    const af = await one(conn1, "auth");
    expect(af).toMatchObject({ type: "auth", token: "t2" });
    conn1.send({ type: "auth_ok", request_id: af.request_id, user_id: "42", expires_at: 1_900_000_000 });
    await expect(a).resolves.toEqual({ user_id: "42", expires_at: 1_900_000_000 });
    conn1.drop();
    const conn2 = await fake.relay.connection(2);
    expect(conn2.offered).toEqual(["djazzkit", "djazzkit.bearer.t2"]);
  });

  it("auth_ok without a request id answers the pending auth", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const a = c.auth("tok");
    await one(conn, "auth");
    conn.send({ type: "auth_ok", user_id: "7" });
    await expect(a).resolves.toEqual({ user_id: "7" });
  });

  it("a refused auth rejects with the relay's code", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const a = c.auth("expired");
    const af = await one(conn, "auth");
    conn.send({ type: "error", request_id: af.request_id, code: "auth_expired", message: "token expired" });
    await expect(a).rejects.toMatchObject({ code: "auth_expired" });
  });

  it("pushes refused with auth_required wait for a successful auth", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    c.create("notes.Note", { t: 1 });
    const p1 = await one(conn, "push");
    conn.send({ type: "error", request_id: p1.request_id, code: "auth_required", message: "anonymous" });
    await sleep(40);
    expect(conn.ofType("push")).toHaveLength(1);
    const a = c.auth("tok");
    const af = await one(conn, "auth");
    conn.send({ type: "auth_ok", request_id: af.request_id, user_id: "9" });
    await a;
    const p2 = await one(conn, "push", 2);
    expect(p2.mutations).toEqual(p1.mutations);
  });
});
