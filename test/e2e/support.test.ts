/**
 * The end-to-end support itself: the fault proxy's modes in front of the real Django, a relay
 * restart on the same port, the relay under `wrangler dev`, and the whole stack wired together.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OriginClient } from "../../origin-client/client.js";
import { startDjango, type DjangoHandle } from "../support/django.js";
import { startFaultProxy, type FaultProxy } from "../support/fault-proxy.js";
import { startRelay, startWranglerDev } from "../support/relay.js";
import { dump, login, seedUsers, setSchemaSalt } from "../support/sample-hooks.js";
import { startStack } from "../support/stack.js";
import { openSocket } from "../support/ws-client.js";
import { mintJwt } from "../support/jwt.js";
import { TEST_JWT_SECRET, TEST_RELAY_SECRET } from "../support/secrets.js";

const SECRET = TEST_RELAY_SECRET;
let django: DjangoHandle;
let proxy: FaultProxy;
let origin: OriginClient;

beforeAll(async () => {
  django = await startDjango({ secret: SECRET });
  proxy = await startFaultProxy(django.url);
  origin = new OriginClient({ baseUrl: proxy.url, secret: SECRET, timeoutMs: 1_000 });
});
afterAll(async () => {
  await proxy?.close();
  await django?.stop();
});

describe("fault proxy in front of Django", () => {
  it("passes signed calls through unchanged and counts them per path", async () => {
    proxy.reset();
    await proxy.setMode("pass");
    expect((await origin.schema()).schema_version).toMatch(/^[0-9a-f]{16}$/);
    expect(proxy.count("/djazzkit/relay/schema")).toBe(1);
    expect(proxy.log[0]).toMatchObject({ method: "GET", mode: "pass", status: 200 });
  });

  it("500, reset, refuse and timeout surface as retryable origin failures", async () => {
    for (const mode of ["500", "reset", "refuse", "timeout"] as const) {
      await proxy.setMode(mode);
      const err = await origin.schema().catch((e: unknown) => e);
      expect(err, mode).toMatchObject({ call: "schema", kind: "unavailable", code: "origin_unavailable" });
    }
    await proxy.setMode("pass");
    expect((await origin.schema()).models).toHaveProperty(["notes.Note"]);
  });

  it("slow delays, a fault can be limited to N requests and to matching paths", async () => {
    await proxy.setMode({ mode: "slow", delayMs: 300 });
    const t0 = Date.now();
    await origin.schema();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(300);

    await proxy.setMode({ mode: "500", times: 2 });
    await expect(origin.schema()).rejects.toMatchObject({ status: 500 });
    await expect(origin.schema()).rejects.toMatchObject({ status: 500 });
    await expect(origin.schema()).resolves.toHaveProperty("schema_version");

    await proxy.setMode({ mode: "500", match: "/djazzkit/relay/apply" });
    await expect(origin.schema()).resolves.toHaveProperty("schema_version");
    await expect(origin.apply("1", [])).rejects.toMatchObject({ call: "apply", status: 500 });
    await proxy.setMode("pass");
  });

  it("Django can be taken down and brought back on the same port", async () => {
    await django.down();
    await expect(origin.schema()).rejects.toMatchObject({ kind: "unavailable" });
    await django.up();
    await expect(origin.schema()).resolves.toHaveProperty("schema_version");
  });
});

describe("relay runtimes", () => {
  it("Miniflare restarts on the same port", async () => {
    const relay = await startRelay({ bindings: { DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET } });
    try {
      await relay.restart();
      const res = await fetch(`${relay.url}/djazzkit/health`);
      expect(res.status).toBe(200);
    } finally {
      await relay.stop();
    }
  });

  it("wrangler dev serves health and an authenticated socket", async () => {
    const dev = await startWranglerDev({ vars: { DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET } });
    try {
      expect((await fetch(`${dev.url}/djazzkit/health`)).status).toBe(200);
      const socket = await openSocket(`${dev.wsUrl}/djazzkit/sync`, { token: await mintJwt(7) });
      socket.send({ type: "ping" });
      await socket.waitForType("pong");
      socket.close();
    } finally {
      await dev.stop();
    }
  });
});

describe("the wired stack", () => {
  it("relay -> fault proxy -> Django, with sample users, session login, dump and schema salt", async () => {
    const stack = await startStack();
    try {
      expect((await fetch(`${stack.url}/djazzkit/health`)).status).toBe(200);
      const users = await seedUsers(stack.django, ["alice", "bob"]);
      expect(Object.keys(users)).toEqual(["alice", "bob"]);
      const session = await login(stack.django, "alice");
      expect(session).toMatchObject({ user_id: users.alice, cookie: expect.stringMatching(/^sessionid=/) });
      const origin = new OriginClient({ baseUrl: stack.proxy.url, secret: stack.secret });
      expect(await origin.auth({ cookie: session.cookie })).toBe(users.alice);
      const before = (await origin.schema()).schema_version;
      const after = await setSchemaSalt(stack.django, "v2");
      expect(after).not.toBe(before);
      expect((await origin.schema()).schema_version).toBe(after);
      expect(await dump(stack.django, { user: users.alice })).toBeTypeOf("object");
      const socket = await openSocket(stack.syncUrl, { token: await mintJwt(users.alice!) });
      socket.send({ type: "ping" });
      await socket.waitForType("pong");
      socket.close();
    } finally {
      await stack.stop();
    }
  });
});

describe("the origin on PostgreSQL", () => {
  const pgDatabaseExists = async (handle: DjangoHandle, name: string) =>
    (await handle.manage(["shell", "-c", `from django.db import connection\nc = connection.cursor()\nc.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [${JSON.stringify(name)}])\nprint(c.fetchone()[0])`])).trim();

  it("each instance gets a fresh database of its own, dropped again by stop()", async () => {
    const a = await startDjango({ secret: SECRET, engine: "postgresql" });
    const b = await startDjango({ secret: SECRET, engine: "postgresql" });
    try {
      expect(a.engine).toBe("postgresql");
      expect(a.pgName).toMatch(/^djazzkit_e2e_/);
      expect(b.pgName).not.toBe(a.pgName);
      const vendor = await a.manage(["shell", "-c", "from django.db import connection; print(connection.vendor, connection.settings_dict['NAME'])"]);
      expect(vendor.trim()).toBe(`postgresql ${a.pgName}`);
      // a row written through one instance is not seen by the other
      await seedUsers(a, ["alice"]);
      const countUsers = (h: DjangoHandle) => h.manage(["shell", "-c", "from django.contrib.auth.models import User; print(User.objects.count())"]);
      expect((await countUsers(a)).trim()).toBe("1");
      expect((await countUsers(b)).trim()).toBe("0");
      const client = new OriginClient({ baseUrl: a.url, secret: SECRET });
      expect((await client.schema()).models).toHaveProperty(["notes.Note"]);
      await b.stop();
      expect(await pgDatabaseExists(a, b.pgName!)).toBe("0");
      expect(await pgDatabaseExists(a, a.pgName!)).toBe("1");
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
