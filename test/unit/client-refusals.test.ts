/**
 * Client SDK and refusals (issues 8 and 13): a token callback asked before every connect and
 * once after a 4401; a second 4401 in a row waits for the app; 4403 stops with the relay's
 * reason; sockets closing 1006 before any frame are reported as "cannot reach the relay or
 * refused"; a socket admitted anonymously despite a credential is not "ready" and its writes
 * wait in the outbox.
 */
import { describe, expect, it } from "vitest";
import type { RelayClientError } from "../../client/index.js";
import { cursor, type FakeConnection, sleep, useFakeRelay } from "../support/fake-relay.js";

const fake = useFakeRelay();
const client = fake.client;
const SCHEMA = "0123456789abcdef";

const refuse = (conn: FakeConnection, code: string, close: number, reason: string) => {
  conn.send({ type: "error", code, message: `${code}: ${reason}` });
  conn.close(close, reason);
};
const ready = (conn: FakeConnection, identity: { user_id: string | null; anonymous: boolean }, extra: Record<string, unknown> = {}) =>
  conn.send({ type: "sync_ready", cursor: cursor(0), server_schema_version: SCHEMA, identity, ...extra });

describe("token callback", () => {
  it("is called before every connect, sync or async, and its token is offered", async () => {
    const tokens = ["t1", "t2"];
    let calls = 0;
    const c = client({ token: async () => tokens[calls++] });
    c.connect();
    const conn1 = await fake.relay.connection(1);
    expect(conn1.offered).toEqual(["djazzkit", "djazzkit.bearer.t1"]);
    await conn1.waitForType("sync_start");
    conn1.close(1012, "restart");
    const conn2 = await fake.relay.connection(2);
    expect(conn2.offered).toEqual(["djazzkit", "djazzkit.bearer.t2"]);
    expect(calls).toBe(2);
  });

  it("after a 4401 it is asked exactly once more and the client retries at once, without backoff", async () => {
    const answers = ["expired", "fresh"];
    let calls = 0;
    const c = client({ token: () => answers[calls++], backoff: { baseMs: 10_000, maxMs: 10_000 } });
    const reconnecting: number[] = [];
    c.on("reconnecting", (e) => reconnecting.push(e.delayMs));
    fake.relay.onConnection = (conn) => {
      if (fake.relay.connections.length === 1) refuse(conn, "auth_expired", 4401, "credential expired");
    };
    const done = c.connect();
    const conn2 = await fake.relay.connection(2, 2_000);
    expect(conn2.offered).toEqual(["djazzkit", "djazzkit.bearer.fresh"]);
    await conn2.waitForType("sync_start");
    ready(conn2, { user_id: "alice", anonymous: false });
    await expect(done).resolves.toMatchObject({ identity: { user_id: "alice", anonymous: false } });
    expect(calls).toBe(2);
    expect(reconnecting).toEqual([]);
    expect(c.state).toBe("ready");
    expect(c.identity).toEqual({ user_id: "alice", anonymous: false });
  });

  it("a second 4401 in a row enters waiting_for_token until the app supplies a token", async () => {
    let calls = 0;
    const c = client({ token: () => `stale-${++calls}` });
    const auth: string[] = [];
    c.on("auth_required", (e) => auth.push(e.reason));
    fake.relay.onConnection = (conn) => {
      if (fake.relay.connections.length <= 2) refuse(conn, "auth_expired", 4401, "credential expired");
    };
    await expect(c.connect()).rejects.toMatchObject({ code: "auth_required" });
    await sleep(80);
    expect(fake.relay.connections).toHaveLength(2);
    expect(calls).toBe(2);
    expect(c.state).toBe("waiting_for_token");
    expect(c.refusal).toMatchObject({ close_code: 4401, code: "auth_expired" });
    expect(auth).toEqual(["credential expired"]);
    c.setToken("supplied");
    const conn3 = await fake.relay.connection(3);
    expect(conn3.offered).toEqual(["djazzkit", "djazzkit.bearer.supplied"]);
    expect(calls).toBe(2); // the supplied token is used as is
  });

  it("a 4401 after a completed sync counts as the first one again", async () => {
    let calls = 0;
    const c = client({ token: () => `t${++calls}` });
    c.connect();
    const conn1 = await fake.relay.connection(1);
    await conn1.waitForType("sync_start");
    ready(conn1, { user_id: "alice", anonymous: false });
    await c.ready;
    refuse(conn1, "auth_expired", 4401, "credential expired"); // the relay closes at exp
    const conn2 = await fake.relay.connection(2);
    await conn2.waitForType("sync_start");
    expect(calls).toBe(2);
    expect(c.state).toBe("syncing");
  });

  it("a callback that throws is reported and retried with backoff", async () => {
    let calls = 0;
    const c = client({ token: () => { if (++calls === 1) throw new Error("session endpoint down"); return "ok"; } });
    const errors: RelayClientError[] = [];
    c.on("error", (e) => errors.push(e));
    c.connect();
    const conn = await fake.relay.connection(1);
    expect(conn.offered).toEqual(["djazzkit", "djazzkit.bearer.ok"]);
    expect(errors[0]?.message).toContain("session endpoint down");
  });
});

describe("4403", () => {
  it("stops after one attempt, with the relay's reason, and is not retried", async () => {
    let calls = 0;
    const c = client({ token: () => `t${++calls}` });
    const errors: string[] = [];
    c.on("error", (e) => errors.push(e.code));
    fake.relay.onConnection = (conn) => refuse(conn, "forbidden", 4403, "origin not allowed");
    await expect(c.connect()).rejects.toMatchObject({ code: "forbidden" });
    await sleep(100);
    expect(fake.relay.connections).toHaveLength(1);
    expect(calls).toBe(1);
    expect(c.state).toBe("stopped");
    expect(c.refusal).toEqual({ close_code: 4403, code: "forbidden", message: "forbidden: origin not allowed" });
    expect(errors).toEqual(["forbidden"]);
  });

  it("a bare 4403 (no frame) still stops with the close reason", async () => {
    const c = client();
    fake.relay.onConnection = (conn) => conn.close(4403, "origin not allowed");
    await expect(c.connect()).rejects.toMatchObject({ code: "forbidden" });
    expect(c.refusal).toMatchObject({ close_code: 4403, code: "forbidden", message: "origin not allowed" });
  });
});

describe("1006 before any frame", () => {
  it("is reported once as 'cannot reach the relay or refused' after N in a row, while the backoff goes on", async () => {
    const c = client({ unreachableAfter: 3, random: () => 0 });
    const unreachable: number[] = [];
    const errors: RelayClientError[] = [];
    c.on("unreachable", (e) => unreachable.push(e.attempts));
    c.on("error", (e) => { if (e.code === "unreachable") errors.push(e); });
    fake.relay.onConnection = (conn) => { if (fake.relay.connections.length <= 5) conn.drop(); };
    c.connect();
    const conn6 = await fake.relay.connection(6, 3_000);
    expect(unreachable).toEqual([3]);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain("cannot reach the relay or refused");
    await conn6.waitForType("sync_start");
    ready(conn6, { user_id: null, anonymous: true });
    await c.ready;
    expect(c.refusal).toBeNull();
  });

  it("drops after a frame do not count", async () => {
    const c = client({ unreachableAfter: 2, random: () => 0 });
    const unreachable: number[] = [];
    c.on("unreachable", (e) => unreachable.push(e.attempts));
    fake.relay.onConnection = (conn) => {
      if (fake.relay.connections.length <= 4) { conn.send({ type: "pong" }); setTimeout(() => conn.drop(), 20); }
    };
    c.connect();
    await fake.relay.connection(5, 3_000);
    expect(unreachable).toEqual([]);
  });
});

describe("admitted anonymously despite a credential (issue 8)", () => {
  it("with a token: not ready, an error event, waiting_for_token, and writes wait in the outbox", async () => {
    const c = client({ token: "garbage" });
    const errors: RelayClientError[] = [];
    c.on("error", (e) => errors.push(e));
    const done = c.connect();
    const write = c.create("notes.Note", { title: "kept" });
    const conn1 = await fake.relay.connection(1);
    await conn1.waitForType("sync_start");
    ready(conn1, { user_id: null, anonymous: true }, { credential: "rejected" });
    await expect(done).rejects.toMatchObject({ code: "auth_required" });
    await conn1.until(() => conn1.closed !== null);
    expect(c.state).toBe("waiting_for_token");
    expect(c.refusal).toMatchObject({ code: "auth_required", credential: "rejected" });
    expect(errors.map((e) => e.details?.credential)).toEqual(["rejected"]);
    expect(c.pendingCount).toBe(1);
    expect(conn1.ofType("push")).toEqual([]);

    c.setToken("good");
    const conn2 = await fake.relay.connection(2);
    await conn2.waitForType("sync_start");
    ready(conn2, { user_id: "alice", anonymous: false });
    const [push] = await conn2.waitForType("push");
    const m = (push!.mutations as { mutation_id: string }[])[0]!;
    conn2.send({ type: "push_result", request_id: push!.request_id, results: [{ mutation_id: m.mutation_id, status: "applied", rev: `1-${"a".repeat(32)}` }] });
    await expect(write).resolves.toMatchObject({ status: "applied" });
  });

  it("an expired token with a callback: one more getToken() and a reconnect as the user", async () => {
    const answers = ["expired", "fresh"];
    let calls = 0;
    const c = client({ token: () => answers[calls++] });
    const done = c.connect();
    const conn1 = await fake.relay.connection(1);
    await conn1.waitForType("sync_start");
    ready(conn1, { user_id: null, anonymous: true }, { credential: "expired" });
    const conn2 = await fake.relay.connection(2);
    expect(conn2.offered).toEqual(["djazzkit", "djazzkit.bearer.fresh"]);
    await conn2.waitForType("sync_start");
    ready(conn2, { user_id: "alice", anonymous: false });
    await expect(done).resolves.toMatchObject({ identity: { user_id: "alice" } });
    expect(calls).toBe(2);
  });

  it("a cookie the relay could not use (credential: missing) is reported even without a token", async () => {
    const c = client();
    const done = c.connect();
    const conn = await fake.relay.connection(1);
    await conn.waitForType("sync_start");
    ready(conn, { user_id: null, anonymous: true }, { credential: "missing" });
    await expect(done).rejects.toMatchObject({ code: "auth_required" });
    expect(c.state).toBe("waiting_for_token");
    expect(c.refusal?.message).toContain("allowed Origin");
  });

  it("a plainly anonymous client (no credential presented) is ready as before", async () => {
    const c = client();
    const done = c.connect();
    const conn = await fake.relay.connection(1);
    await conn.waitForType("sync_start");
    ready(conn, { user_id: null, anonymous: true });
    await expect(done).resolves.toMatchObject({ identity: { anonymous: true } });
    expect(c.state).toBe("ready");
  });
});
