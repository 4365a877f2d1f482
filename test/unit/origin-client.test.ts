/** The origin client speaks PROTOCOL 6 exactly: signed calls (with a nonce), the user only in signed content, parsed answers. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OriginClient } from "../../origin-client/client.js";
import { header, sendJson, startOriginStub, type OriginStub } from "../support/origin-stub.js";
import { TEST_RELAY_SECRET } from "../support/secrets.js";

const SECRET = TEST_RELAY_SECRET;
const MANIFEST = {
  schema_version: "0123456789abcdef",
  models: {
    "notes.Note": {
      table: "notes_note",
      scope: "user",
      owner_field: "author",
      conflict_mode: "revision_tree",
      strategy: "sync",
      has_resolver: true,
      fields: { title: { type: "string", nullable: false }, author: { type: "integer", nullable: false } },
    },
  },
};
const MUTATION = {
  mutation_id: "c1:1",
  model: "notes.Note",
  row_id: "7d4f1c2e-0000-4000-8000-000000000001",
  operation: "create" as const,
  rev: "1-0123456789abcdef0123456789abcdef",
  parent_rev: null,
  data: { title: "milk", author: 5 },
  deleted: false,
  winner: { rev: "1-0123456789abcdef0123456789abcdef", data: { title: "milk", author: 5 }, deleted: false },
  conflicts: [],
};

let stub: OriginStub;
let client: OriginClient;
beforeAll(async () => {
  stub = await startOriginStub(SECRET);
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.requests.length = 0;
  client = new OriginClient({ baseUrl: stub.url, secret: SECRET, timeoutMs: 2_000 });
});

describe("origin client calls", () => {
  it("schema is a signed GET under the prefix, parsed as a manifest", async () => {
    stub.handle((_req, res) => sendJson(res, 200, MANIFEST));
    const manifest = await client.schema();
    expect(manifest.schema_version).toBe("0123456789abcdef");
    const [req] = stub.requests;
    expect(req).toMatchObject({ method: "GET", url: "/djazzkit/relay/schema", body: "", signatureOk: true });
    expect(header(req!.headers, "x-djazzkit-user")).toBeUndefined();
  });

  it("changes signs the query string exactly as sent and names the user", async () => {
    stub.handle((_req, res) => sendJson(res, 200, { rows: [{ model: "notes.Note", row_id: "r1", data: { title: "x" }, deleted: false }], cursor: "c-2", more: false }));
    const page = await client.changes("42", "c 1&x=y", 50);
    expect(page).toMatchObject({ cursor: "c-2", more: false, rows: [{ row_id: "r1" }] });
    const req = stub.requests[0]!;
    expect(req.signatureOk).toBe(true);
    expect(new URL(req.url, "http://x").searchParams.get("since")).toBe("c 1&x=y");
    expect(req.url.startsWith("/djazzkit/relay/changes?user=42&since=")).toBe(true);
    expect(header(req.headers, "x-djazzkit-user")).toBeUndefined(); // the signed query string names the user
  });

  it("the user travels only in signed content, any Unicode id round-trips, and every call has its own nonce (issue 8, item 6)", async () => {
    stub.handle((req, res) => {
      if (req.url.startsWith("/djazzkit/relay/changes")) return sendJson(res, 200, { rows: [], cursor: "", more: false });
      return sendJson(res, 200, { results: JSON.parse(req.body).mutations.map((m: { mutation_id: string }) => ({ mutation_id: m.mutation_id, status: "applied" })) });
    });
    for (const user of ["josé", "用户", "emoji-\u{1F600}", "a b&c=d"]) {
      await client.changes(user, null);
      await client.apply(user, [MUTATION]);
      await client.apply(user, [MUTATION]); // a retry of the same batch
    }
    expect(stub.requests.every((r) => r.signatureOk)).toBe(true);
    for (const r of stub.requests) expect(header(r.headers, "x-djazzkit-user")).toBeUndefined();
    const users = stub.requests.map((r) => r.url.startsWith("/djazzkit/relay/changes")
      ? new URL(r.url, "http://x").searchParams.get("user")
      : (JSON.parse(r.body) as { user: string }).user);
    expect(users).toEqual(["josé", "josé", "josé", "用户", "用户", "用户", "emoji-\u{1F600}", "emoji-\u{1F600}", "emoji-\u{1F600}", "a b&c=d", "a b&c=d", "a b&c=d"]);
    const nonces = stub.requests.map((r) => header(r.headers, "x-djazzkit-nonce"));
    expect(nonces.every((n) => typeof n === "string" && /^[A-Za-z0-9_-]{16,64}$/.test(n))).toBe(true);
    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it("changes without a cursor leaves `since` out", async () => {
    stub.handle((_req, res) => sendJson(res, 200, { rows: [], cursor: "", more: false }));
    await client.changes("42", null);
    expect(stub.requests[0]!.url).toBe("/djazzkit/relay/changes?user=42");
  });

  it("apply posts {user, mutations} as signed JSON and returns per-mutation results", async () => {
    stub.handle((req, res) => {
      const body = JSON.parse(req.body);
      sendJson(res, 200, { results: body.mutations.map((m: { mutation_id: string }) => ({ mutation_id: m.mutation_id, status: "applied" })) });
    });
    const answer = await client.apply("5", [MUTATION]);
    expect(answer.results).toEqual([{ mutation_id: "c1:1", status: "applied" }]);
    const req = stub.requests[0]!;
    expect(req).toMatchObject({ method: "POST", url: "/djazzkit/relay/apply", signatureOk: true });
    expect(JSON.parse(req.body)).toEqual({ user: "5", mutations: [MUTATION] });
    expect(header(req.headers, "content-type")).toBe("application/json");
    expect(header(req.headers, "x-djazzkit-user")).toBeUndefined(); // the signed body names the user
  });

  it("apply refuses an answer about a mutation it did not send", async () => {
    stub.handle((_req, res) => sendJson(res, 200, { results: [{ mutation_id: "other", status: "applied" }] }));
    await expect(client.apply("5", [MUTATION])).rejects.toMatchObject({ call: "apply", kind: "rejected", code: "origin_rejected" });
  });

  it("resolve returns the resolver's data, or null to keep the conflict", async () => {
    const req = { user: "5", model: "notes.Note", row_id: "r1", winner: { rev: "2-aa", data: { title: "a" } }, conflicts: [{ rev: "2-bb", data: { title: "b" } }] };
    stub.handle((_req, res) => sendJson(res, 200, { data: { title: "a+b" } }));
    expect(await client.resolve(req)).toEqual({ title: "a+b" });
    stub.handle((_req, res) => sendJson(res, 200, { data: null }));
    expect(await client.resolve(req)).toBeNull();
    expect(JSON.parse(stub.requests[0]!.body)).toEqual(req);
  });

  it("query forwards the user (or none for anonymous) and parses rows", async () => {
    stub.handle((_req, res) => sendJson(res, 200, { rows: [{ title: "hello" }], total: 1 }));
    const q = { model: "notes.Announcement", limit: 10 };
    expect(await client.query("9", q)).toEqual({ rows: [{ title: "hello" }], total: 1 });
    expect(await client.query(null, q)).toEqual({ rows: [{ title: "hello" }], total: 1 });
    expect(JSON.parse(stub.requests[1]!.body)).toEqual({ user: null, query: q });
    expect(header(stub.requests[1]!.headers, "x-djazzkit-user")).toBeUndefined();
  });

  it("rpc posts to rpc/<name> and returns the result", async () => {
    stub.handle((req, res) => sendJson(res, 200, { result: { echo: JSON.parse(req.body).args } }));
    expect(await client.rpc("3", "notes.archive_all", { before: 1 })).toEqual({ echo: { before: 1 } });
    expect(stub.requests[0]!.url).toBe("/djazzkit/relay/rpc/notes.archive_all");
  });

  it("rpc refuses a name that could escape its path", async () => {
    await expect(client.rpc("3", "../schema", {})).rejects.toMatchObject({ call: "rpc", code: "rpc_failed" });
    expect(stub.requests).toHaveLength(0);
  });

  it("auth forwards only Cookie and Authorization and maps 401 to null", async () => {
    stub.handle((req, res) =>
      header(req.headers, "cookie") === "sessionid=good" ? sendJson(res, 200, { user_id: 17 }) : sendJson(res, 401, { code: "auth_required" }),
    );
    expect(await client.auth(new Headers({ Cookie: "sessionid=good", "X-Other": "no" }))).toBe("17");
    expect(header(stub.requests[0]!.headers, "x-other")).toBeUndefined();
    expect(await client.auth({ Cookie: "sessionid=bad" })).toBeNull();
    expect(await client.auth({})).toBeNull();
    expect(stub.requests).toHaveLength(2);
  });

  it("keeps a base path and a custom prefix", async () => {
    stub.handle((_req, res) => sendJson(res, 200, MANIFEST));
    const c = new OriginClient({ baseUrl: stub.url + "/app/", prefix: "sync/relay", secret: SECRET });
    await c.schema();
    expect(stub.requests[0]!.url).toBe("/app/sync/relay/schema");
    expect(stub.requests[0]!.signatureOk).toBe(true);
  });
});
