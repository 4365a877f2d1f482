/**
 * The object keeps each socket's state in memory next to its attachment (durable/attachment.ts).
 * The attachment is what survives hibernation, so the two must never differ: after every kind
 * of state change a frame can make (rate-limit bucket, sync_start, a mismatched sync_start, an
 * in-band `auth`), the in-memory state equals the attachment decoded afresh, socket by socket.
 * And a socket the object has not seen in this instance (as after a rebuild) is read from its
 * attachment.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { forgetAttachment, SocketAttachment, tryReadAttachment } from "../../durable/attachment.js";
import { mintJwt } from "../support/jwt.js";
import { Client, newUser, task, uuid } from "../support/workers/object-client.js";

function stub(user: string) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
}

/** Per socket: the in-memory state and the attachment decoded afresh. */
async function bothViews(user: string): Promise<Array<{ memory: unknown; attachment: unknown }>> {
  return runInDurableObject(stub(user), (_obj, state) =>
    state.getWebSockets().map((ws) => ({ memory: tryReadAttachment(ws), attachment: SocketAttachment.parse(ws.deserializeAttachment()) })),
  );
}

describe("per-socket state in memory", () => {
  it("always equals the attachment, through every kind of state change", async () => {
    const user = newUser();
    const idle = await Client.forUser(user);
    const live = await Client.forUser(user);
    const renewed = await Client.open(await mintJwt(user, { expiresInS: 600 }));
    const mismatched = await Client.forUser(user);
    const check = async () => {
      const views = await bothViews(user);
      expect(views).toHaveLength(4);
      for (const v of views) expect(v.memory).toEqual(v.attachment);
      return views.map((v) => v.attachment as SocketAttachment);
    };

    await check();
    await live.syncStart();
    expect((await idle.push([task(uuid())])).results[0]!.status).toBe("applied"); // bucket spent
    const ok = await renewed.request({ type: "auth", token: await mintJwt(user, { expiresInS: 3600 }) });
    expect(ok.type).toBe("auth_ok");
    mismatched.send({ type: "sync_start", client_id: "m", schema_version: "not-this-one" });
    await mismatched.takeType("schema_mismatch");

    const states = await check();
    expect(states.map((s) => s.sync).sort()).toEqual(["idle", "idle", "live", "mismatch"]);
    expect(states.some((s) => s.bucket !== undefined && s.bucket.tokens < 200)).toBe(true);
    const exps = states.map((s) => s.identity.expires_at).filter((e): e is number => e !== null);
    expect(Math.max(...exps) - Math.floor(Date.now() / 1000)).toBeGreaterThan(3000); // the renewed token
  });

  it("a socket not seen by this instance is read from its attachment, broadcasts included", async () => {
    const user = newUser();
    const writer = await Client.forUser(user);
    const reader = await Client.forUser(user);
    await reader.syncStart();
    // Drop every in-memory state, as a rebuilt object starts: the next frame and broadcast
    // must find `live` in the attachment.
    await runInDurableObject(stub(user), (_obj, state) => {
      for (const ws of state.getWebSockets()) forgetAttachment(ws);
    });
    const row = uuid();
    expect((await writer.push([task(row)])).results[0]!.status).toBe("applied");
    await reader.takeWhere("changes", (f) => f.rows.some((r) => r.row_id === row), 5000, "broadcast after the state was dropped");
    for (const v of await bothViews(user)) expect(v.memory).toEqual(v.attachment);
  });
});
