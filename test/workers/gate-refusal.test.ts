/**
 * Refusals a browser can read (issue 13): a sync upgrade refused for its Origin or credential
 * is accepted by the Worker itself, answered with one `error` frame and closed 4403 / 4401; no
 * Durable Object is created or woken. Requests that look like no browser (no Origin, no
 * `djazzkit` subprotocol) keep the plain HTTP status.
 */
import { env } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  gate, readRefusal, recordingNamespace, socketRequest, type Overrides, type SocketOptions,
} from "../support/workers/gate.js";
import { mintJwt } from "../support/jwt.js";

const APP = "https://app.example.com";
const PRODUCTION: Overrides = {
  DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false",
  DJAZZKIT_WS_REQUIRE_ORIGIN: "true",
  DJAZZKIT_WS_ALLOWED_ORIGINS: APP,
};
const uid = () => `u${crypto.randomUUID().slice(0, 8)}`;

async function objectCount(): Promise<number> {
  return (await listDurableObjectIds(env.USER_OBJECT)).length;
}

interface Case {
  name: string;
  make: (sub: string) => Promise<SocketOptions>;
  code: "forbidden" | "auth_required" | "auth_expired";
  close: 4403 | 4401;
}

const cases: Case[] = [
  { name: "a foreign Origin with a valid token", make: async (s) => ({ origin: "https://evil.example", protocols: ["djazzkit", `djazzkit.bearer.${await mintJwt(s)}`] }), code: "forbidden", close: 4403 },
  { name: "no Origin but the djazzkit subprotocol", make: async (s) => ({ protocols: ["djazzkit", `djazzkit.bearer.${await mintJwt(s)}`] }), code: "forbidden", close: 4403 },
  { name: "an allowed Origin and no credential", make: async () => ({ origin: APP }), code: "auth_required", close: 4401 },
  { name: "an allowed Origin and a garbage token", make: async () => ({ origin: APP, protocols: ["djazzkit", "djazzkit.bearer.garbage"] }), code: "auth_required", close: 4401 },
  { name: "an allowed Origin and an expired token", make: async (s) => ({ origin: APP, protocols: ["djazzkit", `djazzkit.bearer.${await mintJwt(s, { expiresInS: -60 })}`] }), code: "auth_expired", close: 4401 },
  { name: "an allowed Origin and a cookie the origin refuses", make: async () => ({ origin: APP, cookie: "sessionid=bad" }), code: "auth_required", close: 4401 },
];

describe("in-band refusals under the recommended production settings", () => {
  for (const c of cases) {
    it(`${c.name}: one ${c.code} frame, close ${c.close}, no object asked`, async () => {
      const rec = recordingNamespace();
      const res = await gate(socketRequest(await c.make(uid())), PRODUCTION, rec.bindings);
      const refusal = await readRefusal(res);
      expect(refusal.via).toBe("socket");
      expect(refusal.code).toBe(c.code);
      expect(refusal.close?.code).toBe(c.close);
      expect(refusal.close?.reason.length).toBeGreaterThan(0);
      expect(new TextEncoder().encode(refusal.close!.reason).byteLength).toBeLessThanOrEqual(123);
      expect(rec.calls).toEqual([]);
    });

    it(`${c.name}: no Durable Object is created in the real namespace`, async () => {
      const sub = uid();
      const before = await objectCount();
      await readRefusal(await gate(socketRequest(await c.make(sub)), PRODUCTION));
      expect(await objectCount()).toBe(before);
    });
  }

  it("answers the djazzkit subprotocol only when the client offered it", async () => {
    const offered = await gate(socketRequest({ origin: APP, protocols: ["djazzkit"] }), PRODUCTION);
    expect(offered.headers.get("Sec-WebSocket-Protocol")).toBe("djazzkit");
    expect((await readRefusal(offered)).close?.code).toBe(4401);

    const plain = await gate(socketRequest({ origin: APP }), PRODUCTION);
    expect(plain.headers.get("Sec-WebSocket-Protocol")).toBeNull();
    expect((await readRefusal(plain)).close?.code).toBe(4401);

    const tokenOnly = await gate(socketRequest({ origin: APP, protocols: ["djazzkit.bearer.garbage"] }), PRODUCTION);
    expect(tokenOnly.headers.get("Sec-WebSocket-Protocol")).toBeNull();
    expect((await readRefusal(tokenOnly)).close?.code).toBe(4401);
  });

  it("the frame never echoes the refused token", async () => {
    const token = await mintJwt(uid(), { expiresInS: -60 });
    const refusal = await readRefusal(await gate(socketRequest({ origin: APP, protocols: ["djazzkit", `djazzkit.bearer.${token}`] }), PRODUCTION));
    expect(JSON.stringify(refusal.frames)).not.toContain(token);
    expect(refusal.close?.reason).not.toContain(token);
  });

  it("many refused sockets create no object and leave nothing behind", async () => {
    const before = await objectCount();
    const rec = recordingNamespace();
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => readRefusal(await gate(socketRequest(i % 2 === 0 ? { origin: "https://evil.example" } : { origin: APP }), PRODUCTION, rec.bindings))),
    );
    expect(results.every((r) => r.via === "socket")).toBe(true);
    expect(rec.calls).toEqual([]);
    expect(await objectCount()).toBe(before);
  });
});

describe("clients that look like no browser keep the HTTP status", () => {
  it("no Origin and no subprotocol: 401 / 403 with a JSON body, no upgrade", async () => {
    const strict: Overrides = { DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" };
    const noCredential = await readRefusal(await gate(socketRequest(), strict));
    expect(noCredential).toMatchObject({ via: "http", status: 401, code: "auth_required" });
    const noOrigin = await readRefusal(await gate(socketRequest(), PRODUCTION));
    expect(noOrigin).toMatchObject({ via: "http", status: 403, code: "forbidden" });
  });

  it("an admitted socket is unchanged: 101 from the object", async () => {
    const rec = recordingNamespace();
    await gate(socketRequest({ origin: APP, protocols: ["djazzkit", `djazzkit.bearer.${await mintJwt(uid())}`] }), PRODUCTION, rec.bindings);
    expect(rec.calls.map((c) => c.method)).toEqual(["fetch"]);
  });
});
