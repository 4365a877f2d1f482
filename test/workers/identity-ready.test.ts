/**
 * Issue 8 item 8: `sync_ready` and `auth_ok` say who the socket is (`identity: {user_id,
 * anonymous}`), and when a presented credential was refused and the fallback admitted the
 * socket anonymously, why (`credential: "missing" | "rejected" | "expired"`). Before this, an
 * expired or garbage token looked exactly like a successful sign-in.
 */
import { describe, expect, it } from "vitest";
import { adopt } from "../support/workers/fuzz.js";
import { gate, originUrl, RELAY, socketRequest, type Overrides, type SocketOptions } from "../support/workers/gate.js";
import { Client, newUser } from "../support/workers/object-client.js";
import { mintJwt } from "../support/jwt.js";

async function readyOf(opts: SocketOptions, overrides: Overrides = {}) {
  const c = adopt(await gate(socketRequest(opts), overrides));
  try {
    return (await c.syncStart()).ready;
  } finally {
    c.close();
  }
}

describe("sync_ready carries the socket's identity", () => {
  it("a valid token: the user, not anonymous, no credential field", async () => {
    const user = newUser();
    const ready = await readyOf({ bearer: await mintJwt(user) });
    expect(ready.identity).toEqual({ user_id: user, anonymous: false });
    expect(ready).not.toHaveProperty("credential");
  });

  it("no credential at all: anonymous, and nothing was refused", async () => {
    const ready = await readyOf({});
    expect(ready.identity).toEqual({ user_id: null, anonymous: true });
    expect(ready).not.toHaveProperty("credential");
  });

  const refused: [string, () => Promise<SocketOptions>, Overrides, string][] = [
    ["an expired token", async () => ({ bearer: await mintJwt(newUser(), { expiresInS: -60 }) }), {}, "expired"],
    ["a forged token", async () => ({ bearer: await mintJwt(newUser(), { secret: "another-secret-also-32-bytes-long!!!!" }) }), {}, "rejected"],
    ["a garbage token in the subprotocol", async () => ({ protocols: ["djazzkit", "djazzkit.bearer.garbage"] }), {}, "rejected"],
    ["a cookie sent without Origin", async () => ({ cookie: "sessionid=good-alice" }), { DJAZZKIT_ORIGIN_URL: "@origin" }, "missing"],
    ["a cookie from an Origin not allowed for cookies", async () => ({ origin: "https://evil.example", cookie: "sessionid=good-alice" }), { DJAZZKIT_ORIGIN_URL: "@origin" }, "missing"],
    ["a cookie on a standalone relay", async () => ({ origin: RELAY, cookie: "sessionid=good-alice" }), {}, "missing"],
    ["a cookie whose session the origin does not know", async () => ({ origin: RELAY, cookie: "sessionid=unknown" }), { DJAZZKIT_ORIGIN_URL: "@origin" }, "rejected"],
  ];
  for (const [name, make, overrides, why] of refused) {
    it(`${name}: anonymous, credential "${why}"`, async () => {
      const o = { ...overrides };
      if (o.DJAZZKIT_ORIGIN_URL === "@origin") o.DJAZZKIT_ORIGIN_URL = originUrl();
      const ready = await readyOf(await make(), o);
      expect(ready.identity).toEqual({ user_id: null, anonymous: true });
      expect(ready.credential).toBe(why);
    });
  }
});

describe("auth_ok carries the identity too", () => {
  it("re-authenticating as the same user answers identity {user_id, anonymous: false}", async () => {
    const user = newUser();
    const c = await Client.forUser(user);
    const ok = await c.request({ type: "auth", token: await mintJwt(user, { expiresInS: 7200 }) });
    expect(ok).toMatchObject({ type: "auth_ok", user_id: user, identity: { user_id: user, anonymous: false } });
    c.close();
  });
});
