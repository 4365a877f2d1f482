/** Every way the origin can fail becomes one OriginError saying which call failed and why. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OriginClient, OriginError } from "../../origin-client/client.js";
import { sendJson, startOriginStub, type OriginStub } from "../support/origin-stub.js";
import { TEST_RELAY_SECRET } from "../support/secrets.js";

const SECRET = TEST_RELAY_SECRET;
let stub: OriginStub;
let client: OriginClient;
beforeAll(async () => {
  stub = await startOriginStub(SECRET);
});
afterAll(() => stub.close());
beforeEach(() => {
  stub.requests.length = 0;
  client = new OriginClient({ baseUrl: stub.url, secret: SECRET, timeoutMs: 300, maxAnswerBytes: 64 * 1024 });
});

async function failure(p: Promise<unknown>): Promise<OriginError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OriginError);
  return err as OriginError;
}

describe("origin client failures", () => {
  it("a 5xx is unavailable and retryable, with the origin's message", async () => {
    stub.handle((_req, res) => sendJson(res, 503, { code: "maintenance", message: "down for upgrade" }));
    const err = await failure(client.apply("1", []));
    expect(err).toMatchObject({ call: "apply", kind: "unavailable", status: 503, code: "origin_unavailable", originCode: "maintenance" });
    expect(err.retryable).toBe(true);
    expect(err.message).toContain("origin apply failed: HTTP 503: down for upgrade");
  });

  it("a 4xx is rejected and not retryable", async () => {
    stub.handle((_req, res) => sendJson(res, 400, { error: "bad mutation" }));
    const err = await failure(client.apply("1", []));
    expect(err).toMatchObject({ call: "apply", kind: "rejected", status: 400, code: "origin_rejected" });
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("bad mutation");
  });

  it("a wrong secret is refused by the origin (401, rejected)", async () => {
    const wrong = new OriginClient({ baseUrl: stub.url, secret: "not-the-secret", timeoutMs: 500 });
    const err = await failure(wrong.schema());
    expect(err).toMatchObject({ call: "schema", kind: "rejected", status: 401, code: "origin_rejected" });
    expect(stub.requests[0]!.signatureOk).toBe(false);
  });

  it("a clock far from the origin's is refused (replay window)", async () => {
    const skewed = new OriginClient({ baseUrl: stub.url, secret: SECRET, now: () => Date.now() - 301_000 });
    expect((await failure(skewed.schema())).status).toBe(401);
  });

  it("an origin that never answers times out as unavailable", async () => {
    stub.handle(() => {}); // never answers
    const started = Date.now();
    const err = await failure(client.schema());
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(err).toMatchObject({ call: "schema", kind: "unavailable", code: "origin_unavailable" });
    expect(err.status).toBeUndefined();
    expect(err.message).toContain("no answer within 300 ms");
  });

  it("a body that stalls half way also times out", async () => {
    stub.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.write('{"rows": [');
    });
    expect(await failure(client.changes("1", null))).toMatchObject({ call: "changes", kind: "unavailable" });
  });

  it("a refused connection is unavailable", async () => {
    const down = new OriginClient({ baseUrl: "http://127.0.0.1:1", secret: SECRET, timeoutMs: 2_000 });
    const err = await failure(down.schema());
    expect(err).toMatchObject({ call: "schema", kind: "unavailable", code: "origin_unavailable" });
    expect(err.message).toContain("cannot reach 127.0.0.1:1");
  });

  it("malformed JSON is rejected", async () => {
    stub.handle((_req, res) => sendJson(res, 200, "{not json"));
    const err = await failure(client.schema());
    expect(err).toMatchObject({ call: "schema", kind: "rejected", status: 200, code: "origin_rejected" });
    expect(err.message).toContain("not JSON");
  });

  it("an answer of the wrong shape is rejected with the offending path", async () => {
    stub.handle((_req, res) => sendJson(res, 200, { schema_version: "NOT-HEX", models: {} }));
    const err = await failure(client.schema());
    expect(err).toMatchObject({ call: "schema", kind: "rejected" });
    expect(err.message).toContain("schema_version");
  });

  it("an oversized body is refused, whether declared or streamed", async () => {
    const big = JSON.stringify({ rows: [{ title: "x".repeat(100 * 1024) }] });
    stub.handle((_req, res) => sendJson(res, 200, big));
    expect(await failure(client.query("1", {}))).toMatchObject({ call: "query", kind: "rejected" });
    stub.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" }); // chunked, no length
      for (let i = 0; i < 100; i++) res.write("x".repeat(1024));
      res.end();
    });
    const err = await failure(client.query("1", {}));
    expect(err.message).toContain("larger than 65536 bytes");
  });

  it("a redirect is not followed", async () => {
    stub.handle((_req, res) => {
      res.writeHead(302, { location: "/accounts/login/" });
      res.end();
    });
    const err = await failure(client.schema());
    expect(err).toMatchObject({ status: 302, kind: "rejected" });
    expect(err.message).toContain("redirects are not followed");
  });

  it("rpc failures are rpc_failed, transport failures stay origin_unavailable", async () => {
    stub.handle((_req, res) => sendJson(res, 400, { code: "bad_args", message: "x must be positive" }));
    expect(await failure(client.rpc("1", "double", { x: -1 }))).toMatchObject({ call: "rpc", code: "rpc_failed", kind: "rejected", originCode: "bad_args" });
    stub.handle((_req, res) => sendJson(res, 500, "boom"));
    expect(await failure(client.rpc("1", "double", {}))).toMatchObject({ code: "rpc_failed", kind: "unavailable", status: 500 });
    stub.handle(() => {});
    expect(await failure(client.rpc("1", "double", {}))).toMatchObject({ code: "origin_unavailable", kind: "unavailable" });
  });

  it("auth surfaces a 5xx instead of treating it as logged out", async () => {
    stub.handle((_req, res) => sendJson(res, 502, "bad gateway"));
    expect(await failure(client.auth({ cookie: "sessionid=x" }))).toMatchObject({ call: "auth", kind: "unavailable" });
  });

  it("serialises to a loggable JSON object", async () => {
    stub.handle((_req, res) => sendJson(res, 500, { message: "db locked" }));
    const err = await failure(client.schema());
    expect(JSON.parse(JSON.stringify(err))).toEqual({ call: "schema", kind: "unavailable", status: 500, code: "origin_unavailable", message: "origin schema failed: HTTP 500: db locked" });
  });
});
