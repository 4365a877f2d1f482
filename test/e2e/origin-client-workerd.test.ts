/**
 * The origin client inside workerd (where the Durable Object runs it): its signatures are
 * accepted by the real Django for every call shape (GET with a query string, POST with a body,
 * forwarded cookies), and timeouts, size bounds and refused connections behave as in Node.
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundleModule, REPO_ROOT, wranglerCompat } from "../support/bundle.js";
import { startDjango, type DjangoHandle } from "../support/django.js";
import { header, sendJson, startOriginStub, type OriginStub } from "../support/origin-stub.js";
import { TEST_RELAY_SECRET } from "../support/secrets.js";

const SECRET = TEST_RELAY_SECRET;
type Outcome = { ok?: unknown; error?: { call: string; kind: string; status?: number; code: string; message: string } };

let mf: Miniflare;
let scriptPath: string;
let django: DjangoHandle;
let stub: OriginStub;

async function probe(baseUrl: string, calls: Array<[string, ...unknown[]]>, extra: Record<string, unknown> = {}): Promise<Outcome[]> {
  const res = await mf.dispatchFetch("http://probe/probe", {
    method: "POST",
    body: JSON.stringify({ baseUrl, secret: SECRET, calls: calls.map(([call, ...args]) => ({ call, args })), ...extra }),
  });
  return (await res.json()) as Outcome[];
}

beforeAll(async () => {
  scriptPath = await bundleModule(`${REPO_ROOT}/test/support/fixtures/origin-probe-worker.ts`);
  mf = new Miniflare({ modules: true, scriptPath, modulesRoot: dirname(scriptPath), ...wranglerCompat() });
  [django, stub] = await Promise.all([startDjango({ secret: SECRET }), startOriginStub(SECRET)]);
});
afterAll(async () => {
  await mf?.dispose();
  await stub?.close();
  await django?.stop();
  if (scriptPath) rmSync(dirname(scriptPath), { recursive: true, force: true });
});

describe("origin client in workerd", () => {
  it("Django accepts its signature on every call shape", async () => {
    const outcomes = await probe(django.url, [
      ["schema"],
      ["changes", "1", "cursor with spaces:&=?", 10],
      ["apply", "1", []],
      ["query", null, { model: "notes.Announcement", limit: 5 }],
      ["rpc", "1", "no_such_rpc", { a: 1 }],
      ["auth", { cookie: "sessionid=not-a-session" }],
    ]);
    expect(outcomes[0]!.ok).toMatchObject({ schema_version: expect.stringMatching(/^[0-9a-f]{16}$/) });
    // Whatever each call's business answer is, none is a signature refusal.
    for (const [i, o] of outcomes.entries()) expect(o.error?.status, `call ${i}: ${JSON.stringify(o)}`).not.toBe(401);
  });

  it("a Unicode user id reaches Django intact, inside the signed content (issue 8, item 6)", async () => {
    const outcomes = await probe(django.url, [
      ["changes", "josé", null, 10],
      ["apply", "josé", []],
      ["rpc", "josé", "echo", ["é"]],
      ["query", "josé", { model: "notes.Announcement", limit: 1 }],
    ]);
    for (const [i, o] of outcomes.entries()) expect(o.error, `call ${i}: ${JSON.stringify(o)}`).toBeUndefined();
    expect(outcomes[0]!.ok).toMatchObject({ rows: [], more: false });
    expect(outcomes[1]!.ok).toEqual({ results: [] });
    expect(outcomes[2]!.ok).toEqual({ user_id: null, args: ["é"] }); // no Django user has that key
  });

  it("times out, bounds the answer and reports a refused connection", async () => {
    stub.handle((req, res) => {
      if (req.url.endsWith("/query")) return; // never answers
      if (req.url.endsWith("/auth")) return sendJson(res, 200, { user_id: header(req.headers, "cookie") === "sessionid=ok" ? 9 : 0 });
      sendJson(res, 200, { rows: [{ big: "x".repeat(100_000) }] });
    });
    const [hang, big, auth] = await probe(stub.url, [["query", "1", {}], ["query", "1", {}], ["auth", { Cookie: "sessionid=ok" }]], {
      timeoutMs: 300,
    });
    expect(hang!.error).toMatchObject({ call: "query", kind: "unavailable", code: "origin_unavailable" });
    expect(auth!.ok).toBe("9");
    stub.handle((_req, res) => sendJson(res, 200, { rows: [{ big: "x".repeat(100_000) }] }));
    const [tooBig] = await probe(stub.url, [["query", "1", {}]], { maxAnswerBytes: 65_536 });
    expect(tooBig!.error).toMatchObject({ call: "query", kind: "rejected" });
    expect(big).toBeDefined();
    const [down] = await probe("http://127.0.0.1:1", [["schema"]]);
    expect(down!.error).toMatchObject({ call: "schema", kind: "unavailable", code: "origin_unavailable" });
  });
});
