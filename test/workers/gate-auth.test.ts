/**
 * Gate table, second half: credentials and DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK (PROTOCOL 5).
 * Each credential case runs with the fallback on (admitted, anonymous unless valid) and off
 * (401 with auth_required / auth_expired before any upgrade).
 */
import { env } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import {
  errorBody, expectAdmitted, gate, readRefusal, jwksUrl, mintRs256, socketRequest, tamper, unsignedToken, type Overrides, type SocketOptions,
} from "../support/workers/gate.js";
import { mintJwt } from "../support/jwt.js";

const uid = () => `u${crypto.randomUUID().slice(0, 8)}`;

async function objectExists(name: string): Promise<boolean> {
  const want = env.USER_OBJECT.idFromName(name);
  return (await listDurableObjectIds(env.USER_OBJECT)).some((id) => id.equals(want));
}

interface Case {
  name: string;
  /** Build the request options for user `sub`. */
  make: (sub: string) => Promise<SocketOptions>;
  settings?: Overrides;
  /** The code when the fallback is off; null: the credential is valid. */
  refusal: "auth_required" | "auth_expired" | null;
}

const JWKS_ONLY: Overrides = { DJAZZKIT_JWT_SECRET: "", DJAZZKIT_JWKS_URL: "" };

const cases: Case[] = [
  { name: "no credential", make: async () => ({}), refusal: "auth_required" },
  { name: "a bad signature", make: async (s) => ({ bearer: tamper(await mintJwt(s)) }), refusal: "auth_required" },
  { name: "a token signed with another secret", make: async (s) => ({ bearer: await mintJwt(s, { secret: "another-secret-also-32-bytes-long!!!!" }) }), refusal: "auth_required" },
  { name: "an expired token", make: async (s) => ({ bearer: await mintJwt(s, { expiresInS: -3600 }) }), refusal: "auth_expired" },
  { name: "a token not yet valid (nbf)", make: async (s) => ({ bearer: await mintJwt(s, { notBeforeInS: 3600 }) }), refusal: "auth_required" },
  { name: "a token without exp", make: async (s) => ({ bearer: await mintJwt(s, { expiresInS: null }) }), refusal: "auth_required" },
  { name: "a token without sub", make: async () => ({ bearer: await mintJwt(null) }), refusal: "auth_required" },
  { name: "alg none", make: async (s) => ({ bearer: unsignedToken(s) }), refusal: "auth_required" },
  { name: "a token that is not a JWT", make: async () => ({ bearer: "not-a-jwt" }), refusal: "auth_required" },
  { name: "a malformed Authorization header", make: async () => ({ headers: { Authorization: "Basic dXNlcjpwYXNz" } }), refusal: "auth_required" },
  {
    name: "an HS384 token when only HS256 is allowed",
    make: async (s) => ({
      bearer: await mintJwt(s, { alg: "HS384" }), // the right secret: only the algorithm is wrong
    }),
    refusal: "auth_required",
  },
  {
    name: "an HS256 token when only a JWKS (RS256/ES256/EdDSA) is configured",
    make: async (s) => ({ bearer: await mintJwt(s) }),
    settings: { ...JWKS_ONLY, DJAZZKIT_JWKS_URL: "@jwks" },
    refusal: "auth_required",
  },
  {
    name: "an HS256 token when secret and JWKS are set but DJAZZKIT_JWT_ALGORITHMS=RS256",
    make: async (s) => ({ bearer: await mintJwt(s) }),
    settings: { DJAZZKIT_JWKS_URL: "@jwks", DJAZZKIT_JWT_ALGORITHMS: "RS256" },
    refusal: "auth_required",
  },
  { name: "a valid HS256 bearer header", make: async (s) => ({ bearer: await mintJwt(s) }), refusal: null },
  { name: "a valid token in the subprotocol list", make: async (s) => ({ protocols: ["djazzkit", `djazzkit.bearer.${await mintJwt(s)}`] }), refusal: null },
  { name: "a valid RS256 token checked against the JWKS", make: async (s) => ({ bearer: await mintRs256(s) }), settings: { ...JWKS_ONLY, DJAZZKIT_JWKS_URL: "@jwks" }, refusal: null },
  { name: "an RS256 token with a tampered signature", make: async (s) => ({ bearer: tamper(await mintRs256(s)) }), settings: { ...JWKS_ONLY, DJAZZKIT_JWKS_URL: "@jwks" }, refusal: "auth_required" },
  { name: "an expired RS256 token", make: async (s) => ({ bearer: await mintRs256(s, { expiresInS: -60 }) }), settings: { ...JWKS_ONLY, DJAZZKIT_JWKS_URL: "@jwks" }, refusal: "auth_expired" },
];

function settingsFor(c: Case, fallback: string): Overrides {
  const s: Overrides = { ...c.settings, DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: fallback };
  if (s.DJAZZKIT_JWKS_URL === "@jwks") s.DJAZZKIT_JWKS_URL = jwksUrl();
  return s;
}

describe.each(["true", "false"])("ANONYMOUS_FALLBACK=%s", (fallback) => {
  for (const c of cases) {
    it(`${c.name}: ${c.refusal === null ? "admitted as the user" : fallback === "true" ? "admitted as anonymous" : `401 ${c.refusal}`}`, async () => {
      const sub = uid();
      const res = await gate(socketRequest(await c.make(sub)), settingsFor(c, fallback));
      if (c.refusal === null) {
        expectAdmitted(res).close();
        expect(await objectExists(`user:${sub}`)).toBe(true);
      } else if (fallback === "true") {
        expectAdmitted(res).close();
        expect(await objectExists(`user:${sub}`)).toBe(false);
        expect(await objectExists("anonymous")).toBe(true);
      } else {
        expect(res.status).toBe(401);
        expect(res.webSocket).toBeFalsy();
        expect((await errorBody(res)).code).toBe(c.refusal);
        expect(await objectExists(`user:${sub}`)).toBe(false);
      }
    });
  }
});

describe("subprotocol", () => {
  it("answers djazzkit when the client offered it with a bearer token", async () => {
    const res = await gate(socketRequest({ protocols: ["djazzkit", `djazzkit.bearer.${await mintJwt(uid())}`] }), {
      DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false",
    });
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("djazzkit");
    expectAdmitted(res).close();
  });

  it("answers djazzkit to an anonymous client that offered it", async () => {
    const res = await gate(socketRequest({ protocols: ["djazzkit"] }));
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBe("djazzkit");
    expectAdmitted(res).close();
  });

  it("never echoes the token-bearing protocol, and picks none when djazzkit was not offered", async () => {
    const res = await gate(socketRequest({ protocols: [`djazzkit.bearer.${await mintJwt(uid())}`] }));
    expect(res.headers.get("Sec-WebSocket-Protocol")).toBeNull();
    expectAdmitted(res).close();
  });

  it("a bearer header takes precedence: an invalid header is not rescued by a valid subprotocol token", async () => {
    const res = await gate(
      socketRequest({ bearer: "garbage", protocols: ["djazzkit", `djazzkit.bearer.${await mintJwt(uid())}`] }),
      { DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" },
    );
    expect(await readRefusal(res)).toMatchObject({ status: 401, code: "auth_required", close: { code: 4401 } });
  });
});

describe("issuer, audience and algorithm settings", () => {
  const strict: Overrides = {
    DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false",
    DJAZZKIT_JWT_ISSUER: "https://id.example.com",
    DJAZZKIT_JWT_AUDIENCE: "djazzkit",
  };

  it("a token with the configured iss and aud is admitted", async () => {
    const token = await mintJwt(uid(), { claims: { iss: "https://id.example.com", aud: "djazzkit" } });
    expectAdmitted(await gate(socketRequest({ bearer: token }), strict)).close();
  });

  it("a token with another issuer is refused", async () => {
    const token = await mintJwt(uid(), { claims: { iss: "https://evil.example.com", aud: "djazzkit" } });
    expect((await gate(socketRequest({ bearer: token }), strict)).status).toBe(401);
  });

  it("a token for another audience is refused", async () => {
    const token = await mintJwt(uid(), { claims: { iss: "https://id.example.com", aud: "other" } });
    expect((await gate(socketRequest({ bearer: token }), strict)).status).toBe(401);
  });

  it("DJAZZKIT_JWT_ALGORITHMS narrows the allow-list: HS256 refused when only HS512 is listed", async () => {
    const res = await gate(socketRequest({ bearer: await mintJwt(uid()) }), {
      DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false",
      DJAZZKIT_JWT_ALGORITHMS: "HS512",
    });
    expect(res.status).toBe(401);
  });

  it("DJAZZKIT_JWT_ALGORITHMS=none is a settings error, not an open door", async () => {
    const res = await gate(socketRequest({ bearer: unsignedToken(uid()) }), { DJAZZKIT_JWT_ALGORITHMS: "none" });
    expect(res.status).toBe(500);
    expect((await errorBody(res)).message).toContain("DJAZZKIT_JWT_ALGORITHMS");
  });

  it("with no verifier configured, a bearer token cannot authenticate", async () => {
    const res = await gate(socketRequest({ bearer: await mintJwt(uid()) }), {
      DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false",
      DJAZZKIT_JWT_SECRET: "",
    });
    expect(res.status).toBe(401);
  });

  it("an unreachable JWKS is a 502, not a downgrade to anonymous", async () => {
    const res = await gate(socketRequest({ bearer: await mintRs256(uid()) }), {
      ...JWKS_ONLY,
      DJAZZKIT_JWKS_URL: "http://127.0.0.1:9/jwks.json",
    });
    expect(res.status).toBe(502);
    expect((await errorBody(res)).code).toBe("origin_unavailable");
  });
});
