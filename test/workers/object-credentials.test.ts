/**
 * Issue 8 item 4 inside workerd: credentials that end while a socket is open.
 * - no broadcast ever reaches a socket whose credential expired, even before the alarm fired;
 * - the object's alarm closes a socket 4401 at its `exp` with no frame from the client, and
 *   does so after the object hibernated (an in-memory timer could not);
 * - the alarm is set no later than the earliest expiry;
 * - a cookie socket's session re-check closes it 4401 when the origin no longer knows the
 *   session, keeps it when the origin confirms it, and also when the origin cannot answer.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { enforceCredentials } from "../../durable/credential-watch.js";
import { adopt } from "../support/workers/fuzz.js";
import { gate, originUrl, RELAY, socketRequest } from "../support/workers/gate.js";
import { Client, newUser, note, uuid } from "../support/workers/object-client.js";
import { mintJwt } from "../support/jwt.js";

vi.setConfig({ testTimeout: 90_000 });

const INSTANCE_MARK = Symbol.for("djazzkit.test.credentials-instance");
const stubOf = (user: string) => env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));

describe("expired credentials", () => {
  it("a broadcast never reaches a socket whose credential expired: it is closed 4401 instead", async () => {
    const user = newUser();
    const short = await Client.open(await mintJwt(user, { expiresInS: 2 }));
    const long = await Client.forUser(user);
    await short.syncStart();
    await long.syncStart();
    // Take the alarm away, so only the broadcast path can notice the expiry.
    await runInDurableObject(stubOf(user), async (_obj, state) => state.storage.deleteAlarm());
    await new Promise((r) => setTimeout(r, 2_300));
    short.clear();
    const row = uuid();
    expect((await long.push([note(row)])).results[0]!.status).toBe("applied");
    const closed = await short.closed;
    expect(closed.code).toBe(4401);
    expect(short.frames.some((f) => f.type === "changes" && f.rows.some((r: { row_id: string }) => r.row_id === row))).toBe(false);
    expect(short.frames.at(-1)).toMatchObject({ type: "error", code: "auth_expired" });
    long.close();
  });

  it("an in-band auth frame renews the credential: the socket outlives its first token's exp", async () => {
    const user = newUser();
    const c = await Client.open(await mintJwt(user, { expiresInS: 2 }));
    await c.syncStart();
    const ok = await c.request({ type: "auth", token: await mintJwt(user, { expiresInS: 3600 }) });
    expect(ok).toMatchObject({ type: "auth_ok", user_id: user, identity: { user_id: user, anonymous: false } });
    await new Promise((r) => setTimeout(r, 3_000));
    expect(c.closeEvent).toBeNull();
    const row = uuid();
    expect((await c.push([note(row)])).results[0]!.status).toBe("applied");
    c.close();
  });

  it("the alarm is set no later than the earliest expiry", async () => {
    const user = newUser();
    const nowS = Math.floor(Date.now() / 1000);
    const c = await Client.open(await mintJwt(user, { expiresInS: 600 }));
    const alarm = await runInDurableObject(stubOf(user), async (_obj, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual((nowS + 601) * 1000);
    c.close();
  });

  it("the alarm closes a socket at exp without any frame from it, after the object hibernated", async () => {
    const user = newUser();
    const expS = Math.floor(Date.now() / 1000) + 16;
    const c = await Client.open(await mintJwt(user, { expiresInS: 16 }));
    await c.syncStart();
    await runInDurableObject(stubOf(user), (obj) => {
      (obj as unknown as Record<symbol, boolean>)[INSTANCE_MARK] = true;
    });
    // The client now sends nothing; the object goes idle (hibernates after ~10 s).
    const closed = await c.closed;
    const at = Date.now();
    expect(closed.code).toBe(4401);
    expect(at).toBeGreaterThanOrEqual(expS * 1000 - 50);
    expect(at).toBeLessThan(expS * 1000 + 5_000);
    expect(c.frames.at(-1)).toMatchObject({ type: "error", code: "auth_expired" });
    const rebuilt = await runInDurableObject(stubOf(user), (obj) => !(obj as unknown as Record<symbol, boolean>)[INSTANCE_MARK]);
    expect(rebuilt).toBe(true);
  });
});

describe("cookie sessions are re-checked", () => {
  async function cookieSocket(user: string): Promise<Client> {
    const c = adopt(await gate(socketRequest({ origin: RELAY, cookie: `sessionid=good-${user}` }), { DJAZZKIT_ORIGIN_URL: originUrl() }));
    expect((await c.request({ type: "query", query: { model: "notes.Note" } })).type).toBe("query_result");
    return c;
  }
  const recheck = (user: string, check: (cookie: string) => Promise<string | null>) =>
    runInDurableObject(stubOf(user), async (_obj, state) => enforceCredentials(state, { recheckMs: 0, check }));

  it("the object receives the session cookie, and a confirmed session keeps the socket open", async () => {
    const user = `u${uuid().slice(0, 8)}`;
    const c = await cookieSocket(user);
    const seen: string[] = [];
    await recheck(user, async (cookie) => { seen.push(cookie); return user; });
    expect(seen).toEqual([`sessionid=good-${user}`]);
    expect((await c.request({ type: "query", query: { model: "notes.Note" } })).type).toBe("query_result");
    c.close();
  });

  it("an origin that cannot answer is not a verdict: the socket stays", async () => {
    const user = `u${uuid().slice(0, 8)}`;
    const c = await cookieSocket(user);
    await recheck(user, async () => { throw new Error("origin down"); });
    expect((await c.request({ type: "query", query: { model: "notes.Note" } })).type).toBe("query_result");
    c.close();
  });

  it("an ended session (or one that now names another user) closes the socket 4401", async () => {
    for (const answer of [null, "someone-else"]) {
      const user = `u${uuid().slice(0, 8)}`;
      const c = await cookieSocket(user);
      await recheck(user, async () => answer);
      expect((await c.closed).code).toBe(4401);
      expect(c.frames.at(-1)).toMatchObject({ type: "error", code: "auth_expired" });
    }
  });
});
