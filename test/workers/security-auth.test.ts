/**
 * Security (issue 5): credentials and signatures. Forged, expired, unsigned, wrong-algorithm and
 * tampered JWTs never become the user they name (401 with the fallback off; an anonymous socket
 * that cannot push with it on), over the Authorization header, the subprotocol and the `auth`
 * frame; forged, stale, re-signed or altered pokes reach no object; cross-site sockets carrying
 * a session cookie are refused without the origin ever being asked.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { newNonce, sign, signedHeaders } from "../../schemas/signature.js";
import { adopt, snapshot, type ObjectSnapshot } from "../support/workers/fuzz.js";
import {
  errorBody, readRefusal, gate, jwksUrl, mintRs256, originStats, originUrl, postJson, recordingNamespace, RELAY, socketRequest, tamper, unsignedToken, type Overrides,
} from "../support/workers/gate.js";
import { Client, newUser, note, uuid } from "../support/workers/object-client.js";
import { mintJwt } from "../support/jwt.js";
import { TEST_JWT_SECRET, TEST_RELAY_SECRET } from "../support/secrets.js";

vi.setConfig({ testTimeout: 30_000 });

const A = newUser();
const B = newUser();
let bBefore: ObjectSnapshot;

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
const b64json = (v: unknown) => b64url(new TextEncoder().encode(JSON.stringify(v)));

/** A token with any header, HMAC-SHA256-signed with `key` whatever the header claims. */
async function hmacToken(header: Record<string, unknown>, payload: Record<string, unknown>, key: string): Promise<string> {
  const input = `${b64json(header)}.${b64json(payload)}`;
  const k = await crypto.subtle.importKey("raw", new TextEncoder().encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", k, new TextEncoder().encode(input)));
  return `${input}.${b64url(mac)}`;
}

const now = () => Math.floor(Date.now() / 1000);

/** Every bad credential naming B, with the code a fallback-off gate must answer. */
async function badTokens(): Promise<Array<[string, string, "auth_required" | "auth_expired"]>> {
  const valid = await mintJwt(A);
  const [h, , s] = valid.split(".") as [string, string, string];
  const rsaKeyAsHmacSecret = JSON.stringify((await (await fetch(jwksUrl())).json() as { keys: unknown[] }).keys[0]);
  return [
    ["forged (wrong key)", await mintJwt(B, { secret: "not-the-secret-but-just-as-long!!!!" }), "auth_required"],
    ["expired", await mintJwt(B, { expiresInS: -3600 }), "auth_expired"],
    ["alg none", unsignedToken(B), "auth_required"],
    ["alg None with a signature", await hmacToken({ alg: "None", typ: "JWT" }, { sub: B, exp: now() + 3600 }, TEST_JWT_SECRET), "auth_required"],
    ["HS384 with the HS256 key", await mintJwt(B, { alg: "HS384" }), "auth_required"],
    ["RS256 header, HMAC with the JWT secret", await hmacToken({ alg: "RS256", typ: "JWT" }, { sub: B, exp: now() + 3600 }, TEST_JWT_SECRET), "auth_required"],
    ["RS256 header, HMAC with the public key", await hmacToken({ alg: "RS256", kid: "gate-test-rsa" }, { sub: B, exp: now() + 3600 }, rsaKeyAsHmacSecret), "auth_required"],
    ["tampered payload (A's signature, sub B)", `${h}.${b64json({ sub: B, iat: now(), exp: now() + 3600 })}.${s}`, "auth_required"],
    ["tampered signature", tamper(await mintJwt(B)), "auth_required"],
    ["no exp", await mintJwt(B, { expiresInS: null }), "auth_required"],
    ["not yet valid", await mintJwt(B, { notBeforeInS: 3600 }), "auth_required"],
    ["signature stripped", (await mintJwt(B)).replace(/\.[^.]+$/, "."), "auth_required"],
    ["empty sub", await mintJwt("", {}), "auth_required"],
  ];
}

let tokens: Array<[string, string, "auth_required" | "auth_expired"]> = [];

beforeAll(async () => {
  tokens = await badTokens();
  const b = await Client.forUser(B);
  await b.push([note(uuid(), { title: "B's" })]);
  b.close();
  bBefore = await snapshot(B);
});

const strict: Overrides = { DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" };

describe("bad JWTs never authenticate", () => {
  it("fallback off: 401 with the right code on the socket (header and subprotocol) and on HTTP", async () => {
    for (const [name, token, code] of tokens) {
      // Also with a JWKS configured, so RS256 is an allowed algorithm and the confusion attack is real.
      for (const overrides of [strict, { ...strict, DJAZZKIT_JWKS_URL: jwksUrl() }]) {
        const viaHeader = await gate(socketRequest({ bearer: token }), overrides);
        expect(viaHeader.status, name).toBe(401);
        expect((await errorBody(viaHeader)).code, name).toBe(code);
        // Offering the djazzkit subprotocol marks a browser-style client: the refusal comes in-band (4401).
        const viaProtocol = await readRefusal(await gate(socketRequest({ protocols: ["djazzkit", `djazzkit.bearer.${token}`] }), overrides));
        expect(viaProtocol, name).toMatchObject({ via: "socket", status: 401, code, close: { code: 4401 } });
        const http = await gate(postJson("/djazzkit/query", { model: "notes.Note" }, { Authorization: `Bearer ${token}` }), overrides);
        expect(http.status, name).toBe(401);
        expect((await errorBody(http)).code, name).toBe(code);
      }
    }
    expect(await snapshot(B)).toEqual(bBefore);
  });

  it("fallback on: an anonymous socket, which cannot push or read user rows", async () => {
    for (const [name, token] of tokens) {
      const c = adopt(await gate(socketRequest({ bearer: token })));
      expect(await c.request({ type: "push", mutations: [note(uuid())] }), name).toMatchObject({ type: "error", code: "auth_required" });
      expect(await c.request({ type: "query", query: { model: "notes.Note" } }), name).toMatchObject({ type: "error", code: "auth_required" });
      c.close();
      const http = await gate(postJson("/djazzkit/query", { model: "notes.Note" }, { Authorization: `Bearer ${token}` }));
      expect(http.status, name).toBe(401);
    }
    expect(await snapshot(B)).toEqual(bBefore);
    const anon = await snapshot(null);
    expect([anon.rows, anon.mutations]).toEqual([0, 0]);
  });

  it("the auth frame refuses every bad token (4401) and another user's good token (1008), changing nothing", async () => {
    const aBefore = await snapshot(A);
    for (const [name, token] of [...tokens, ["B's valid token", await mintJwt(B), "forbidden"] as const]) {
      const c = await Client.forUser(A);
      const answer = await c.request({ type: "auth", token });
      const closed = await c.closed;
      if (name === "B's valid token") {
        expect(answer).toMatchObject({ type: "error", code: "forbidden" });
        expect(closed.code).toBe(1008);
      } else {
        expect(answer, name).toMatchObject({ type: "error", code: "auth_expired" });
        expect(closed.code, name).toBe(4401);
      }
    }
    expect(await snapshot(A)).toEqual(aBefore);
    expect(await snapshot(B)).toEqual(bBefore);
  });

  it("a good RS256 token from the JWKS still works (the suite's refusals are not blanket)", async () => {
    const res = await gate(socketRequest({ bearer: await mintRs256(A) }), { ...strict, DJAZZKIT_JWKS_URL: jwksUrl() });
    const c = adopt(res);
    expect((await c.push([note(uuid())])).results[0]!.status).toBe("applied");
    c.close();
  });
});

describe("pokes: forged, stale, re-signed or altered are refused and reach no object", () => {
  const PATH = "/djazzkit/origin/poke";
  const body = JSON.stringify({ user_ids: [A, B] });

  async function refused(req: Request, reason: string): Promise<void> {
    const rec = recordingNamespace();
    const res = await gate(req, {}, rec.bindings);
    expect(res.status, reason).toBe(401);
    const err = await errorBody(res);
    expect(err.code).toBe("forbidden");
    expect(err.message, reason).toContain(reason);
    expect(rec.calls).toEqual([]);
  }
  const poke = (b: string, headers: Record<string, string>, path = PATH) =>
    new Request(`${RELAY}${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: b });
  const ts = (offsetS = 0) => String(Math.floor(Date.now() / 1000) + offsetS);

  it("a forged signature (random hex)", async () => {
    const hex = Array.from(crypto.getRandomValues(new Uint8Array(32)), (x) => x.toString(16).padStart(2, "0")).join("");
    await refused(poke(body, { "X-Djazzkit-Timestamp": ts(), "X-Djazzkit-Nonce": newNonce(), "X-Djazzkit-Signature": `v2=${hex}` }), "bad_signature");
  });

  it("signed with the wrong secret", async () => {
    await refused(poke(body, await signedHeaders("wrong-secret", "POST", PATH, body)), "bad_signature");
    await refused(poke(body, await signedHeaders(TEST_RELAY_SECRET.slice(0, -1), "POST", PATH, body)), "bad_signature");
    await refused(poke(body, await signedHeaders(TEST_RELAY_SECRET + " ", "POST", PATH, body)), "bad_signature");
  });

  it("a replay with an old timestamp (301 s and a day ago), and one from the future", async () => {
    for (const offset of [-301, -86_400, 301]) {
      const t = ts(offset);
      const n = newNonce();
      await refused(poke(body, { "X-Djazzkit-Timestamp": t, "X-Djazzkit-Nonce": n, "X-Djazzkit-Signature": await sign(TEST_RELAY_SECRET, t, n, "POST", PATH, body) }), "stale");
    }
  });

  it("a body altered after signing, a signature for another path or method, and a timestamp swapped after signing", async () => {
    const headers = await signedHeaders(TEST_RELAY_SECRET, "POST", PATH, body);
    await refused(poke(JSON.stringify({ user_ids: [A, B, "victim"] }), headers), "bad_signature");
    await refused(poke(body + " ", headers), "bad_signature");
    await refused(poke(body, await signedHeaders(TEST_RELAY_SECRET, "POST", "/djazzkit/relay/apply", body)), "bad_signature");
    await refused(poke(body, await signedHeaders(TEST_RELAY_SECRET, "GET", PATH, body)), "bad_signature");
    await refused(poke(body, headers, `${PATH}?user=${B}`), "bad_signature");
    await refused(poke(body, { ...headers, "X-Djazzkit-Timestamp": String(Number(headers["X-Djazzkit-Timestamp"]) - 1) }), "bad_signature");
  });

  it("malformed signature headers", async () => {
    const good = await signedHeaders(TEST_RELAY_SECRET, "POST", PATH, body);
    const sig = good["X-Djazzkit-Signature"]!;
    await refused(poke(body, { "X-Djazzkit-Timestamp": good["X-Djazzkit-Timestamp"]! }), "missing");
    await refused(poke(body, { ...good, "X-Djazzkit-Signature": sig.replace("v2=", "v1=") }), "malformed"); // the nonce-less scheme
    await refused(poke(body, { ...good, "X-Djazzkit-Nonce": "short" }), "malformed");
    await refused(poke(body, { ...good, "X-Djazzkit-Nonce": "x".repeat(65) }), "malformed");
    await refused(poke(body, { ...good, "X-Djazzkit-Signature": sig.slice(0, -2) }), "malformed");
    await refused(poke(body, { ...good, "X-Djazzkit-Timestamp": `${good["X-Djazzkit-Timestamp"]}.0` }), "malformed");
    await refused(poke(body, { ...good, "X-Djazzkit-Timestamp": "-1" }), "malformed");
  });

  it("the same poke correctly signed is accepted (the refusals are about the signature)", async () => {
    const rec = recordingNamespace();
    const res = await gate(poke(body, await signedHeaders(TEST_RELAY_SECRET, "POST", PATH, body)), {}, rec.bindings);
    expect(res.status).toBe(200);
    expect(rec.calls).toHaveLength(2);
  });
});

describe("cross-site sockets with cookies are refused, and the origin is never asked", () => {
  let callsBefore = 0;
  beforeEach(async () => {
    callsBefore = (await originStats()).auth_calls;
  });
  const cookie = `sessionid=good-${B}`;
  const crossSite = [
    "https://evil.example", "null", "https://relay.test.evil.com", "https://evilrelay.test", "http://relay.test",
    "https://relay.test:8443", "https://sub.relay.test", "https://example.com.evil.io", "https://evil-example.com",
  ];

  it("fallback off: 401, no origin call", async () => {
    const overrides = { DJAZZKIT_ORIGIN_URL: originUrl(), ...strict };
    for (const origin of crossSite) {
      const res = await gate(socketRequest({ origin, cookie }), overrides);
      expect(await readRefusal(res), origin).toMatchObject({ via: "socket", status: 401, code: "auth_required" });
    }
    const noOrigin = await gate(socketRequest({ cookie }), overrides);
    expect(noOrigin.status).toBe(401);
    await noOrigin.body?.cancel();
    expect((await originStats()).auth_calls - callsBefore).toBe(0);
  });

  it("with a wildcard allow-list, look-alike origins are refused outright (403), no origin call", async () => {
    const overrides = { DJAZZKIT_ORIGIN_URL: originUrl(), DJAZZKIT_WS_ALLOWED_ORIGINS: "https://*.example.com" };
    for (const origin of ["https://example.com.evil.io", "https://evil-example.com", "https://example.com", "http://app.example.com", "https://app.example.com.", "null"]) {
      const res = await gate(socketRequest({ origin, cookie }), overrides);
      expect(await readRefusal(res), origin).toMatchObject({ via: "socket", status: 403, code: "forbidden" });
    }
    expect((await originStats()).auth_calls - callsBefore).toBe(0);
  });

  it("fallback on: the socket is anonymous (not B), cannot push, and B's object is untouched", async () => {
    const overrides = { DJAZZKIT_ORIGIN_URL: originUrl() };
    for (const origin of crossSite.slice(0, 3)) {
      const c = adopt(await gate(socketRequest({ origin, cookie }), overrides));
      expect(await c.request({ type: "push", mutations: [note(uuid())] })).toMatchObject({ type: "error", code: "auth_required" });
      c.close();
    }
    expect((await originStats()).auth_calls - callsBefore).toBe(0);
    expect(await snapshot(B)).toEqual(bBefore);
  });

  it("the HTTP query endpoint from a cross-site Origin: the cookie counts as absent, no origin call", async () => {
    const res = await gate(postJson("/djazzkit/query", { model: "notes.Note" }, { Origin: "https://evil.example", Cookie: cookie }), { DJAZZKIT_ORIGIN_URL: originUrl(), ...strict });
    expect(res.status).toBe(401);
    await res.body?.cancel();
    expect((await originStats()).auth_calls - callsBefore).toBe(0);
  });
});
