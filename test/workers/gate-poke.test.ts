/**
 * `POST /djazzkit/origin/poke`: only a correctly signed, fresh poke reaches objects (PROTOCOL 6).
 * Signatures are made with schemas/signature.ts, as the Django side makes them.
 */
import { describe, expect, it } from "vitest";
import { newNonce, sign, signedHeaders } from "../../schemas/signature.js";
import { errorBody, gate, recordingNamespace, RELAY, type Overrides } from "../support/workers/gate.js";
import { TEST_RELAY_SECRET } from "../support/secrets.js";

const PATH = "/djazzkit/origin/poke";

function pokeRequest(body: string, headers: Record<string, string>, path = PATH): Request {
  return new Request(`${RELAY}${path}`, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });
}

async function send(req: Request, overrides: Overrides = {}, pokeFails: string[] = []) {
  const rec = recordingNamespace({ pokeFails });
  const res = await gate(req, overrides, rec.bindings);
  return { res, calls: rec.calls };
}

async function expectRefused(req: Request, reason: string, status = 401) {
  const { res, calls } = await send(req);
  expect(res.status).toBe(status);
  const body = await errorBody(res);
  expect(body.code).toBe("forbidden");
  expect(body.message).toContain(reason);
  expect(calls).toEqual([]);
}

describe("signed pokes", () => {
  it("a good signature pokes each named user's object once", async () => {
    const body = JSON.stringify({ user_ids: ["1", 2, "1", "alice"] });
    const { res, calls } = await send(pokeRequest(body, await signedHeaders(TEST_RELAY_SECRET, "POST", PATH, body)));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ poked: 3 });
    expect(calls.map((c) => `${c.method} ${c.object}`).sort()).toEqual(["poke user:1", "poke user:2", "poke user:alice"]);
  });

  it("the query string is part of what is signed", async () => {
    const body = JSON.stringify({ user_ids: ["1"] });
    const signedFor = await signedHeaders(TEST_RELAY_SECRET, "POST", PATH, body);
    await expectRefused(pokeRequest(body, signedFor, `${PATH}?x=1`), "bad_signature");
    const good = await signedHeaders(TEST_RELAY_SECRET, "POST", `${PATH}?x=1`, body);
    const { res } = await send(pokeRequest(body, good, `${PATH}?x=1`));
    expect(res.status).toBe(200);
  });

  it("a failing object makes the poke fail so the origin retries", async () => {
    const body = JSON.stringify({ user_ids: ["ok", "down"] });
    const { res, calls } = await send(pokeRequest(body, await signedHeaders(TEST_RELAY_SECRET, "POST", PATH, body)), {}, ["user:down"]);
    expect(res.status).toBe(500);
    expect(calls).toHaveLength(2);
  });
});

describe("refused pokes reach no object", () => {
  const body = JSON.stringify({ user_ids: ["1"] });

  it("missing signature headers", async () => {
    await expectRefused(pokeRequest(body, {}), "missing");
  });

  it("a signature made with another secret", async () => {
    await expectRefused(pokeRequest(body, await signedHeaders("not-the-secret", "POST", PATH, body)), "bad_signature");
  });

  it("a signature over a different body (the body was altered)", async () => {
    const headers = await signedHeaders(TEST_RELAY_SECRET, "POST", PATH, body);
    await expectRefused(pokeRequest(JSON.stringify({ user_ids: ["2"] }), headers), "bad_signature");
  });

  it("a signature over a re-serialised body (whitespace matters: the raw body is signed)", async () => {
    const headers = await signedHeaders(TEST_RELAY_SECRET, "POST", PATH, body);
    await expectRefused(pokeRequest(JSON.stringify({ user_ids: ["1"] }, null, 1), headers), "bad_signature");
  });

  it("a signature for another method", async () => {
    await expectRefused(pokeRequest(body, await signedHeaders(TEST_RELAY_SECRET, "GET", PATH, body)), "bad_signature");
  });

  it("a stale timestamp (a poke replayed 10 minutes later)", async () => {
    const tenMinutesAgo = Date.now() - 600_000;
    await expectRefused(pokeRequest(body, await signedHeaders(TEST_RELAY_SECRET, "POST", PATH, body, tenMinutesAgo)), "stale");
  });

  it("a timestamp from the future beyond the window", async () => {
    await expectRefused(pokeRequest(body, await signedHeaders(TEST_RELAY_SECRET, "POST", PATH, body, Date.now() + 400_000)), "stale");
  });

  it("a fresh timestamp swapped onto an old signature", async () => {
    const old = String(Math.floor(Date.now() / 1000) - 600);
    const nonce = newNonce();
    const signature = await sign(TEST_RELAY_SECRET, old, nonce, "POST", PATH, body);
    const fresh = String(Math.floor(Date.now() / 1000));
    await expectRefused(pokeRequest(body, { "X-Djazzkit-Timestamp": fresh, "X-Djazzkit-Nonce": nonce, "X-Djazzkit-Signature": signature }), "bad_signature");
  });

  it("a poke without a nonce, or with another nonce than the one signed (PROTOCOL 6: signed calls carry a nonce)", async () => {
    const headers = await signedHeaders(TEST_RELAY_SECRET, "POST", PATH, body);
    const { ["X-Djazzkit-Nonce"]: _dropped, ...without } = headers;
    await expectRefused(pokeRequest(body, without), "missing");
    await expectRefused(pokeRequest(body, { ...headers, "X-Djazzkit-Nonce": newNonce() }), "bad_signature");
  });

  it("a malformed signature header", async () => {
    await expectRefused(pokeRequest(body, { "X-Djazzkit-Timestamp": String(Math.floor(Date.now() / 1000)), "X-Djazzkit-Nonce": newNonce(), "X-Djazzkit-Signature": "sha1=abc" }), "malformed");
  });

  it("when no DJAZZKIT_RELAY_SECRET is set, even a 'signed' poke is refused (404)", async () => {
    const headers = await signedHeaders("", "POST", PATH, body).catch(() => ({}));
    const { res, calls } = await send(pokeRequest(body, headers), { DJAZZKIT_RELAY_SECRET: "" });
    expect(res.status).toBe(404);
    expect(calls).toEqual([]);
  });

  it("a well-signed but invalid body is invalid_message", async () => {
    for (const bad of ["{", JSON.stringify({ user_ids: [] }), JSON.stringify({ users: ["1"] })]) {
      const { res, calls } = await send(pokeRequest(bad, await signedHeaders(TEST_RELAY_SECRET, "POST", PATH, bad)));
      expect(res.status).toBe(400);
      expect((await errorBody(res)).code).toBe("invalid_message");
      expect(calls).toEqual([]);
    }
  });
});
