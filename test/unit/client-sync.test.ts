/** Client SDK: handshake, catch-up into the local store, resets, schema mismatch, bad frames. */
import { describe, expect, it } from "vitest";
import { MemoryStore, RelayClientError } from "../../client/index.js";
import { connectReady, cursor, rev, sleep, useFakeRelay } from "../support/fake-relay.js";

const fake = useFakeRelay();
const client = fake.client;

const note = (id: string, seqRev: number, title: string) => ({
  model: "notes.Note", row_id: id, rev: rev(seqRev), data: { title }, deleted: false, conflicts: [],
});

describe("handshake", () => {
  it("sync_start carries client id, schema version and the stored cursor", async () => {
    const store = new MemoryStore({ cursor: cursor(41) });
    const c = client({ store });
    c.connect();
    const conn = await fake.relay.connection();
    const [start] = await conn.waitForType("sync_start");
    expect(start).toEqual({ type: "sync_start", client_id: "c1", schema_version: "0123456789abcdef", since: cursor(41) });
  });

  it("a fresh store sends no cursor", async () => {
    const c = client();
    c.connect();
    const [start] = await (await fake.relay.connection()).waitForType("sync_start");
    expect(start).not.toHaveProperty("since");
  });

  it("offers the bearer subprotocol only when a token is given, and djazzkit always (refusals come in-band)", async () => {
    client({ token: "tok.en-1" }).connect();
    expect((await fake.relay.connection(1)).offered).toEqual(["djazzkit", "djazzkit.bearer.tok.en-1"]);
    client().connect();
    expect((await fake.relay.connection(2)).offered).toEqual(["djazzkit"]);
  });

  it("ready resolves on sync_ready with the server's cursor", async () => {
    const c = client();
    const ready = c.connect();
    const conn = await fake.relay.connection();
    await conn.waitForType("sync_start");
    expect(c.state).toBe("syncing");
    conn.send({ type: "sync_ready", cursor: cursor(7), server_schema_version: "0123456789abcdef" });
    await expect(ready).resolves.toEqual({ cursor: cursor(7), server_schema_version: "0123456789abcdef" });
    expect(c.state).toBe("ready");
  });
});

describe("changes", () => {
  it("applies rows and stores the cursor after each frame", async () => {
    const c = client();
    c.connect();
    const conn = await fake.relay.connection();
    await conn.waitForType("sync_start");
    const seen: string[] = [];
    c.on("changes", (e) => seen.push(e.cursor));
    conn.send({ type: "changes", rows: [note("a", 1, "one"), note("b", 1, "two")], cursor: cursor(2), more: true });
    conn.send({ type: "changes", rows: [note("a", 2, "one!")], cursor: cursor(3), more: false });
    conn.send({ type: "sync_ready", cursor: cursor(3), server_schema_version: "0123456789abcdef" });
    await c.ready;
    expect(seen).toEqual([cursor(2), cursor(3)]);
    expect(c.cursor).toBe(cursor(3));
    expect(c.store.getCursor()).toBe(cursor(3));
    expect(c.get("notes.Note", "a")).toEqual(note("a", 2, "one!"));
    expect(c.all("notes.Note").map((r) => r.row_id)).toEqual(["a", "b"]);
  });

  it("keeps tombstones but all() hides them unless asked", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    conn.send({ type: "changes", rows: [note("a", 1, "x"), { ...note("b", 2, "y"), data: null, deleted: true }], cursor: cursor(5), more: false });
    await conn.until(() => c.cursor === cursor(5));
    expect(c.all("notes.Note").map((r) => r.row_id)).toEqual(["a"]);
    expect(c.all("notes.Note", { includeDeleted: true }).map((r) => r.row_id)).toEqual(["a", "b"]);
    expect(c.get("notes.Note", "b")?.deleted).toBe(true);
  });

  it("reset: true drops every local row before applying the frame", async () => {
    const store = new MemoryStore({ cursor: "ff:99", rows: [note("old", 3, "stale"), note("kept-by-server", 1, "v1")] });
    const c = client({ store });
    c.connect();
    const conn = await fake.relay.connection();
    await conn.waitForType("sync_start");
    conn.send({ type: "changes", rows: [note("kept-by-server", 4, "v4")], cursor: cursor(1), reset: true, more: false });
    conn.send({ type: "sync_ready", cursor: cursor(1), server_schema_version: "0123456789abcdef" });
    await c.ready;
    expect(c.get("notes.Note", "old")).toBeUndefined();
    expect(c.all("notes.Note")).toEqual([note("kept-by-server", 4, "v4")]);
    expect(c.cursor).toBe(cursor(1));
  });

  it("a later frame without reset does not drop rows", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    conn.send({ type: "changes", rows: [note("a", 1, "x")], cursor: cursor(1), more: false });
    conn.send({ type: "changes", rows: [note("b", 1, "y")], cursor: cursor(2), more: false });
    await conn.until(() => c.cursor === cursor(2));
    expect(c.all("notes.Note")).toHaveLength(2);
  });
});

describe("schema mismatch", () => {
  it("emits the event, rejects ready and stops pushing", async () => {
    const c = client();
    const mismatches: unknown[] = [];
    c.on("schema_mismatch", (m) => mismatches.push(m));
    const ready = c.connect();
    const conn = await fake.relay.connection();
    await conn.waitForType("sync_start");
    const frame = { type: "schema_mismatch", client_schema_version: "0123456789abcdef", server_schema_version: "fedcba9876543210", message: "upgrade" };
    conn.send(frame);
    await expect(ready).rejects.toMatchObject({ code: "schema_mismatch" });
    expect(mismatches).toEqual([frame]);
    expect(c.state).toBe("schema_mismatch");
    const write = c.create("notes.Note", { title: "held" });
    await sleep(50);
    expect(conn.ofType("push")).toHaveLength(0);
    expect(c.pendingCount).toBe(1);
    expect(c.store.listPending().map((p) => p.kind === "push" && p.mutation.row_id)).toEqual([write.row_id]);
  });

  it("a mismatch on a live socket stops pushes that follow", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    conn.send({ type: "schema_mismatch", client_schema_version: "0123456789abcdef", server_schema_version: "1111111111111111", message: "changed" });
    await conn.until(() => c.state === "schema_mismatch");
    c.create("notes.Note", { title: "x" });
    await sleep(50);
    expect(conn.ofType("push")).toHaveLength(0);
  });
});

describe("hostile frames", () => {
  it("unparseable frames emit invalid_message and are ignored", async () => {
    const c = client();
    const conn = await connectReady(fake.relay, c);
    const errors: RelayClientError[] = [];
    c.on("error", (e) => errors.push(e));
    conn.send("not json");
    conn.send({ type: "changes", rows: "nope", cursor: cursor(1), more: false });
    conn.send({ type: "teleport" });
    conn.send({ type: "schema_mismatch", client_schema_version: "a", server_schema_version: "b", message: "m", extra: 1 });
    conn.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    conn.send({ type: "changes", rows: [note("a", 1, "fine")], cursor: cursor(9), more: false });
    await conn.until(() => c.cursor === cursor(9));
    expect(errors).toHaveLength(5);
    for (const e of errors) {
      expect(e).toBeInstanceOf(RelayClientError);
      expect(e.code).toBe("invalid_message");
    }
    expect(c.state).toBe("ready");
    expect(c.all("notes.Note")).toHaveLength(1);
  });
});
