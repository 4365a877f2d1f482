/**
 * Routing and isolation against the real Durable Object namespace: refused requests never
 * create or wake an object, an admitted one reaches exactly its user's object, and the identity
 * header cannot be forged by a client. Also: settings errors, health, a real socket round trip.
 */
import { env } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { IDENTITY_HEADER } from "../../schemas/identity.js";
import { signedHeaders } from "../../schemas/signature.js";
import {
  readRefusal, errorBody, expectAdmitted, gate, postJson, recordingNamespace, RELAY, roundTrip, socketRequest,
} from "../support/workers/gate.js";
import { mintJwt } from "../support/jwt.js";
import { TEST_RELAY_SECRET } from "../support/secrets.js";

const uid = () => `r${crypto.randomUUID().slice(0, 8)}`;

async function objectIds(): Promise<string[]> {
  return (await listDurableObjectIds(env.USER_OBJECT)).map((id) => id.toString()).sort();
}
const idOf = (name: string) => env.USER_OBJECT.idFromName(name).toString();

describe("refused requests never reach a Durable Object", () => {
  it("a batch of refusals creates no object; one admitted request then creates exactly its user's", async () => {
    const user = uid();
    const valid = await mintJwt(user);
    const strict = { DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" };
    const before = await objectIds();

    const refusals: [string, () => Promise<Response>, number][] = [
      ["not an upgrade", () => gate(new Request(`${RELAY}/djazzkit/sync`, { headers: { Authorization: `Bearer ${valid}` } })), 426],
      ["Origin not allowed", () => gate(socketRequest({ bearer: valid, origin: "https://evil.example" }), { DJAZZKIT_WS_ALLOWED_ORIGINS: "https://app.example.com" }), 403],
      ["Origin required", () => gate(socketRequest({ bearer: valid }), { DJAZZKIT_WS_REQUIRE_ORIGIN: "true" }), 403],
      ["no credential", () => gate(socketRequest(), strict), 401],
      ["alg none", () => gate(socketRequest({ bearer: `eyJhbGciOiJub25lIn0.eyJzdWIiOiIke3VzZXJ9In0.` }), strict), 401],
      ["expired", async () => gate(socketRequest({ bearer: await mintJwt(user, { expiresInS: -60 }) }), strict), 401],
      ["query out of bounds", () => gate(postJson("/djazzkit/query", { model: "notes.Note", limit: 0 }, { Authorization: `Bearer ${valid}` })), 400],
      ["query too deep", () => gate(postJson("/djazzkit/query", { model: "notes.Note", where: JSON.parse("{\"not\":".repeat(30) + "{}" + "}".repeat(30)) }, { Authorization: `Bearer ${valid}` })), 400],
      ["query body too large", () => gate(postJson("/djazzkit/query", { model: "notes.Note", pad: "x".repeat(3000) }, { Authorization: `Bearer ${valid}` }), { DJAZZKIT_MAX_MESSAGE_BYTES: "2048" }), 413],
      ["query without credential", () => gate(postJson("/djazzkit/query", { model: "notes.Note" }), strict), 401],
      ["rpc without credential", () => gate(postJson("/djazzkit/rpc/x", { args: [] }), strict), 401],
      ["unsigned poke", () => gate(postJson("/djazzkit/origin/poke", { user_ids: [user] })), 401],
      ["bad settings", () => gate(socketRequest({ bearer: valid }), { DJAZZKIT_QUERY_MAX_LIMIT: "abc" }), 500],
    ];
    for (const [name, run, status] of refusals) {
      const res = await run();
      if (res.status === 101) {
        // A browser-style request (it has an Origin) is refused in-band by the Worker itself.
        expect((await readRefusal(res)).status, name).toBe(status);
        continue;
      }
      expect(res.status, name).toBe(status);
      expect(res.webSocket, name).toBeFalsy();
    }
    expect(await objectIds()).toEqual(before);

    expectAdmitted(await gate(socketRequest({ bearer: valid }), strict)).close();
    const after = await objectIds();
    expect(after.filter((id) => !before.includes(id))).toEqual([idOf(`user:${user}`)]);
  });

  it("an admitted HTTP query and a signed poke do reach the user's object", async () => {
    const user = uid();
    const res = await gate(postJson("/djazzkit/query", { model: "notes.Note" }, { Authorization: `Bearer ${await mintJwt(user)}` }));
    expect(res.headers.get("Content-Type")).toContain("application/json");
    expect(await objectIds()).toContain(idOf(`user:${user}`));

    const other = uid();
    const body = JSON.stringify({ user_ids: [other] });
    const poke = await gate(new Request(`${RELAY}/djazzkit/origin/poke`, {
      method: "POST",
      body,
      headers: await signedHeaders(TEST_RELAY_SECRET, "POST", "/djazzkit/origin/poke", body),
    }));
    expect(poke.status).toBe(200);
    expect(await objectIds()).toContain(idOf(`user:${other}`));
  });
});

describe("the identity reaching the object cannot be forged", () => {
  const forged = JSON.stringify({ user_id: "mallory", expires_at: null, method: "jwt" });

  it("a client-sent identity header is replaced by the verified identity", async () => {
    const rec = recordingNamespace();
    const user = uid();
    const token = await mintJwt(user);
    await gate(socketRequest({ bearer: token, headers: { [IDENTITY_HEADER]: forged }, cookie: "sessionid=x" }), {}, rec.bindings);
    expect(rec.calls).toHaveLength(1);
    expect(rec.calls[0]!.object).toBe(`user:${user}`);
    const forwarded = rec.calls[0]!.args[0] as Request;
    expect(JSON.parse(forwarded.headers.get(IDENTITY_HEADER)!)).toMatchObject({ user_id: user, method: "jwt" });
    expect(forwarded.headers.get("Authorization")).toBeNull();
    expect(forwarded.headers.get("Cookie")).toBeNull();
  });

  it("an anonymous client claiming to be mallory gets the anonymous object, with the anonymous identity", async () => {
    const rec = recordingNamespace();
    await gate(socketRequest({ headers: { [IDENTITY_HEADER]: forged } }), {}, rec.bindings);
    expect(rec.calls[0]!.object).toBe("anonymous");
    const forwarded = rec.calls[0]!.args[0] as Request;
    expect(JSON.parse(forwarded.headers.get(IDENTITY_HEADER)!)).toEqual({ user_id: null, expires_at: null, method: "anonymous" });
  });

  it("in the real namespace, the forged user's object is never created", async () => {
    const user = uid();
    const forgedFor = uid();
    const header = JSON.stringify({ user_id: forgedFor, expires_at: null, method: "jwt" });
    expectAdmitted(await gate(socketRequest({ bearer: await mintJwt(user), headers: { [IDENTITY_HEADER]: header } }))).close();
    expectAdmitted(await gate(socketRequest({ headers: { [IDENTITY_HEADER]: header } }))).close();
    const ids = await objectIds();
    expect(ids).toContain(idOf(`user:${user}`));
    expect(ids).not.toContain(idOf(`user:${forgedFor}`));
  });
});

describe("an admitted socket", () => {
  it("is a live WebSocket to the object: ping is answered with pong", async () => {
    const ws = expectAdmitted(await gate(socketRequest({ bearer: await mintJwt(uid()) })));
    expect(JSON.parse(await roundTrip(ws, JSON.stringify({ type: "ping" })))).toEqual({ type: "pong" });
    ws.close();
  });

  it("through the subprotocol credential too", async () => {
    const res = await gate(socketRequest({ protocols: ["djazzkit", `djazzkit.bearer.${await mintJwt(uid())}`] }));
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("djazzkit");
    const ws = expectAdmitted(res);
    expect(JSON.parse(await roundTrip(ws, '{"type":"ping"}'))).toEqual({ type: "pong" });
    ws.close();
  });
});

describe("settings", () => {
  for (const [name, value] of [
    ["DJAZZKIT_QUERY_MAX_LIMIT", "abc"],
    ["DJAZZKIT_QUERY_MAX_OFFSET", "-5"],
    ["DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK", "maybe"],
    ["DJAZZKIT_WS_ALLOWED_ORIGINS", "app.example.com"],
    ["DJAZZKIT_ORIGIN_URL", "ftp://x"],
  ] as const) {
    it(`${name}=${value} answers 500 internal naming the setting, on every route`, async () => {
      for (const req of [new Request(`${RELAY}/djazzkit/health`), socketRequest(), postJson("/djazzkit/query", { model: "a.B" })]) {
        const res = await gate(req, { [name]: value });
        expect(res.status).toBe(500);
        const body = await errorBody(res);
        expect(body.code).toBe("internal");
        expect(body.message).toMatch(/^invalid relay settings: /);
        expect(body.message).toContain(name);
      }
    });
  }
});

describe("health", () => {
  it("reports standalone without an origin and origin with one, touching no object", async () => {
    const rec = recordingNamespace();
    const standalone = await gate(new Request(`${RELAY}/djazzkit/health`), {}, rec.bindings);
    expect(await standalone.json()).toEqual({ ok: true, mode: "standalone" });
    const origin = await gate(new Request(`${RELAY}/djazzkit/health`), { DJAZZKIT_ORIGIN_URL: "https://app.example.com" }, rec.bindings);
    expect(await origin.json()).toEqual({ ok: true, mode: "origin" });
    expect(rec.calls).toEqual([]);
  });
});

describe("CORS on the HTTP endpoints", () => {
  it("a listed origin gets a preflight answer; an unlisted one gets no CORS headers", async () => {
    const preflight = (origin: string) =>
      gate(new Request(`${RELAY}/djazzkit/query`, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type" },
      }), { DJAZZKIT_WS_ALLOWED_ORIGINS: "https://app.example.com" });
    const ok = await preflight("https://app.example.com");
    expect(ok.status).toBe(204);
    expect(ok.headers.get("Access-Control-Allow-Origin")).toBe("https://app.example.com");
    expect(ok.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    const no = await preflight("https://evil.example");
    expect(no.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});
