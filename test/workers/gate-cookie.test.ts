/**
 * Django session cookies: checked through the origin's signed `POST .../auth`, cached briefly,
 * and honoured only from the relay's own origin or an explicitly listed one. A cookie from any
 * other Origin (or none) must not even cause the origin call: that is cross-site WebSocket
 * hijacking. The origin stand-in (global-setup.ts) counts its auth calls and checks signatures.
 */
import { env } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import {
  errorBody, readRefusal, expectAdmitted, gate, originStats, originUrl, postJson, RELAY, socketRequest, type Overrides,
} from "../support/workers/gate.js";

const uid = () => `c${crypto.randomUUID().slice(0, 8)}`;
const goodCookie = (user: string) => `csrftoken=abc; sessionid=good-${user}`;

async function objectExists(name: string): Promise<boolean> {
  const want = env.USER_OBJECT.idFromName(name);
  return (await listDurableObjectIds(env.USER_OBJECT)).some((id) => id.equals(want));
}

let callsBefore = 0;
const newAuthCalls = async () => (await originStats()).auth_calls - callsBefore;
beforeEach(async () => {
  callsBefore = (await originStats()).auth_calls;
});

const withOrigin = (extra: Overrides = {}): Overrides => ({ DJAZZKIT_ORIGIN_URL: originUrl(), ...extra });
const strict = (extra: Overrides = {}): Overrides => withOrigin({ DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false", ...extra });

describe("a session cookie from a trusted Origin", () => {
  it("from the relay's own origin authenticates through a signed origin call", async () => {
    const user = uid();
    const res = await gate(socketRequest({ origin: RELAY, cookie: goodCookie(user) }), strict());
    expectAdmitted(res).close();
    expect(await newAuthCalls()).toBe(1);
    expect((await originStats()).bad_signatures).toBe(0);
    expect(await objectExists(`user:${user}`)).toBe(true);
  });

  it("from an explicitly listed origin authenticates", async () => {
    const user = uid();
    const res = await gate(socketRequest({ origin: "https://app.example.com", cookie: goodCookie(user) }), strict({
      DJAZZKIT_WS_ALLOWED_ORIGINS: "https://app.example.com",
    }));
    expectAdmitted(res).close();
    expect(await objectExists(`user:${user}`)).toBe(true);
  });

  it("from an origin listed by wildcard authenticates", async () => {
    const user = uid();
    const res = await gate(socketRequest({ origin: "https://app.example.com", cookie: goodCookie(user) }), strict({
      DJAZZKIT_WS_ALLOWED_ORIGINS: "https://*.example.com",
    }));
    expectAdmitted(res).close();
    expect(await objectExists(`user:${user}`)).toBe(true);
  });

  it("is cached: a reconnect with the same cookie does not ask the origin again", async () => {
    const user = uid();
    for (let i = 0; i < 3; i++) {
      expectAdmitted(await gate(socketRequest({ origin: RELAY, cookie: goodCookie(user) }), strict())).close();
    }
    expect(await newAuthCalls()).toBe(1);
  });

  it("that the origin refuses gives 401 auth_required without fallback, and the refusal is cached", async () => {
    const cookie = `sessionid=bad-${uid()}`;
    for (let i = 0; i < 2; i++) {
      const res = await gate(socketRequest({ origin: RELAY, cookie }), strict());
      expect(await readRefusal(res)).toMatchObject({ via: "socket", status: 401, code: "auth_required" });
    }
    expect(await newAuthCalls()).toBe(1);
  });

  it("that the origin refuses is anonymous with the fallback on", async () => {
    const res = await gate(socketRequest({ origin: RELAY, cookie: `sessionid=bad-${uid()}` }), withOrigin());
    expectAdmitted(res).close();
    expect(await newAuthCalls()).toBe(1);
  });
});

describe("a session cookie is not honoured, and the origin is not asked,", () => {
  it("from a cross-site Origin when no allow-list is set (fallback off: 401)", async () => {
    const user = uid();
    const res = await gate(socketRequest({ origin: "https://evil.example", cookie: goodCookie(user) }), strict());
    expect(await readRefusal(res)).toMatchObject({ via: "socket", status: 401, code: "auth_required" });
    expect(await newAuthCalls()).toBe(0);
    expect(await objectExists(`user:${user}`)).toBe(false);
  });

  it("from a cross-site Origin with the fallback on: the socket is anonymous, not the cookie's user", async () => {
    const user = uid();
    const res = await gate(socketRequest({ origin: "https://evil.example", cookie: goodCookie(user) }), withOrigin());
    expectAdmitted(res).close();
    expect(await newAuthCalls()).toBe(0);
    expect(await objectExists(`user:${user}`)).toBe(false);
  });

  it("from a disallowed Origin: refused by the Origin policy first", async () => {
    const res = await gate(socketRequest({ origin: "https://evil.example", cookie: goodCookie(uid()) }), withOrigin({
      DJAZZKIT_WS_ALLOWED_ORIGINS: "https://app.example.com",
    }));
    expect((await readRefusal(res)).status).toBe(403);
    expect(await newAuthCalls()).toBe(0);
  });

  it("without any Origin header", async () => {
    const res = await gate(socketRequest({ cookie: goodCookie(uid()) }), strict());
    expect(res.status).toBe(401);
    expect(await newAuthCalls()).toBe(0);
  });

  it("from Origin: null (sandboxed frames)", async () => {
    const res = await gate(socketRequest({ origin: "null", cookie: goodCookie(uid()) }), strict());
    expect((await readRefusal(res)).status).toBe(401);
    expect(await newAuthCalls()).toBe(0);
  });

  it("when the Cookie header carries no session cookie", async () => {
    const res = await gate(socketRequest({ origin: RELAY, cookie: "csrftoken=abc; theme=dark" }), strict());
    expect((await readRefusal(res)).status).toBe(401);
    expect(await newAuthCalls()).toBe(0);
  });

  it("when the relay runs standalone (no origin to ask)", async () => {
    const res = await gate(socketRequest({ origin: RELAY, cookie: goodCookie(uid()) }), { DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" });
    expect((await readRefusal(res)).status).toBe(401);
    expect(await newAuthCalls()).toBe(0);
  });

  it("on the HTTP query endpoint from a cross-site Origin", async () => {
    const res = await gate(
      postJson("/djazzkit/query", { model: "notes.Note" }, { Origin: "https://evil.example", Cookie: goodCookie(uid()) }),
      strict(),
    );
    expect(res.status).toBe(401);
    expect(await newAuthCalls()).toBe(0);
  });
});

describe("origin failures", () => {
  it("an unreachable origin is a 502, not a downgrade to anonymous", async () => {
    const res = await gate(socketRequest({ origin: RELAY, cookie: goodCookie(uid()) }), {
      DJAZZKIT_ORIGIN_URL: "http://127.0.0.1:9",
    });
    // A browser reads it in-band: close 1013 (try again later), never a downgrade.
    expect(await readRefusal(res)).toMatchObject({ via: "socket", status: 502, code: "origin_unavailable", close: { code: 1013 } });
  });
});
