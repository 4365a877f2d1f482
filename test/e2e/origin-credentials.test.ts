/**
 * Issue 8 item 4, end to end against the real sample Django: credentials end while a socket is
 * open. Before the fix, expiry was checked only when the client sent a frame and broadcasts
 * ignored it (a socket whose JWT had expired kept receiving live `changes`), and a cookie
 * socket kept working after Django logout. Now the object's alarm closes the socket with 4401
 * at the JWT's `exp` without any frame from the client, and re-checks a cookie socket's
 * session every DJAZZKIT_SESSION_RECHECK_S (1 s here), closing it 4401 once Django no longer
 * knows the session. Fails (never skips) when Django cannot start.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintJwt } from "../support/jwt.js";
import { login, seedUsers } from "../support/sample-hooks.js";
import { startStack, type Stack } from "../support/stack.js";
import { openSocket, type TestSocket } from "../support/ws-client.js";
import { FAST_BINDINGS, connect, newRowId, push, schemaVersion, sleep, type Client } from "../support/origin-helpers.js";

const NOTE = "notes.Note";
let stack: Stack;
let users: Record<string, string>;
const sockets: TestSocket[] = [];

beforeAll(async () => {
  stack = await startStack({ bindings: { ...FAST_BINDINGS, DJAZZKIT_SESSION_RECHECK_S: "1" } });
  users = await seedUsers(stack.django, ["alice", "bob"]);
});
afterAll(async () => {
  for (const s of sockets) s.ws.close();
  await stack?.stop();
});

async function waitClosed(socket: TestSocket, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (socket.closeCode === null) {
    if (Date.now() > deadline) throw new Error(`socket still open after ${timeoutMs} ms; frames ${JSON.stringify(socket.frames.slice(-3))}`);
    await sleep(25);
  }
  return Date.now();
}

describe("a JWT socket is closed at its exp, without sending a frame", () => {
  it("closes 4401 with auth_expired at exp, and receives no broadcast after it", async () => {
    const user = users.alice!;
    const expS = Math.floor(Date.now() / 1000) + 3;
    const shortLived = await openSocket(stack.syncUrl, { token: await mintJwt(user, { nowS: expS - 3, expiresInS: 3 }) });
    sockets.push(shortLived);
    shortLived.send({ type: "sync_start", client_id: "short", schema_version: await schemaVersion(stack) });
    await shortLived.waitForType("sync_ready", { timeoutMs: 10_000 });
    const writer: Client = await connect(stack, user);
    sockets.push(writer.socket);

    // From here the short-lived socket sends nothing at all.
    const closedAt = await waitClosed(shortLived, 10_000);
    expect(shortLived.closeCode).toBe(4401);
    expect(closedAt).toBeGreaterThanOrEqual(expS * 1000 - 50);
    expect(closedAt).toBeLessThan(expS * 1000 + 3000);
    expect(shortLived.frames.at(-1)).toMatchObject({ type: "error", code: "auth_expired" });

    const framesAtClose = shortLived.frames.length;
    const [r] = await push(writer, [{ model: NOTE, row_id: newRowId(), operation: "create", data: { title: "after exp", body: "", archived: false } }]);
    expect(r).toMatchObject({ status: "applied" });
    await sleep(300);
    expect(shortLived.frames.length).toBe(framesAtClose);
  });
});

describe("a cookie socket is closed once its Django session ends", () => {
  it("works while signed in, and gets auth_expired + 4401 within a few seconds of logout", async () => {
    const session = await login(stack.django, "bob");
    const socket = await openSocket(stack.syncUrl, { headers: { cookie: session.cookie }, origin: stack.url });
    sockets.push(socket);
    socket.send({ type: "sync_start", client_id: "cookie-bob", schema_version: await schemaVersion(stack) });
    const ready = await socket.waitForType("sync_ready", { timeoutMs: 10_000 });
    expect(ready.identity).toEqual({ user_id: users.bob, anonymous: false });

    await sleep(2_500); // several re-checks pass while the session is valid
    expect(socket.closeCode).toBeNull();

    const out = await fetch(`${stack.django.url}/sample/logout`, { method: "POST", headers: { cookie: session.cookie } });
    expect(out.status).toBe(200);
    const loggedOutAt = Date.now();
    const closedAt = await waitClosed(socket, 8_000);
    expect(socket.closeCode).toBe(4401);
    expect(closedAt - loggedOutAt).toBeLessThan(4_000);
    expect(socket.frames.at(-1)).toMatchObject({ type: "error", code: "auth_expired" });
  });
});
