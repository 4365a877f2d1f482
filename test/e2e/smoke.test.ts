/**
 * Smoke: the real sample Django and the relay under Miniflare start together; the origin
 * client talks to Django with a valid signature and Django refuses a bad one; the relay
 * answers health and accepts an authenticated socket.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OriginClient, OriginError } from "../../origin-client/client.js";
import { startDjango, type DjangoHandle } from "../support/django.js";
import { startRelay, type RelayHandle } from "../support/relay.js";
import { openSocket } from "../support/ws-client.js";
import { mintJwt } from "../support/jwt.js";
import { TEST_JWT_SECRET, TEST_RELAY_SECRET } from "../support/secrets.js";

const SECRET = TEST_RELAY_SECRET;
let django: DjangoHandle;
let relay: RelayHandle;

beforeAll(async () => {
  django = await startDjango({ secret: SECRET });
  relay = await startRelay({
    bindings: { DJAZZKIT_ORIGIN_URL: django.url, DJAZZKIT_RELAY_SECRET: SECRET, DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET },
  });
});
afterAll(async () => {
  await relay?.stop();
  await django?.stop();
});

describe("smoke: Django origin + relay", () => {
  it("the origin client fetches Django's schema with a valid signature", async () => {
    const origin = new OriginClient({ baseUrl: django.url, secret: SECRET, timeoutMs: 10_000 });
    const manifest = await origin.schema();
    expect(manifest.schema_version).toMatch(/^[0-9a-f]{16}$/);
    expect(manifest.models["notes.Note"]).toMatchObject({ scope: "user", owner_field: "author", conflict_mode: "revision_tree" });
  });

  it("Django refuses a call signed with the wrong secret", async () => {
    const forged = new OriginClient({ baseUrl: django.url, secret: "not-the-shared-secret", timeoutMs: 10_000 });
    const err = await forged.schema().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OriginError);
    expect(err).toMatchObject({ call: "schema", kind: "rejected", status: 401, code: "origin_rejected" });
  });

  it("Django refuses an unsigned call", async () => {
    const res = await fetch(`${django.url}/djazzkit/relay/schema`);
    expect(res.status).toBe(401);
  });

  it("the relay answers /djazzkit/health", async () => {
    const res = await fetch(`${relay.url}/djazzkit/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ ok: true });
  });

  it("a socket with a JWT connects and gets pong", async () => {
    const socket = await openSocket(`${relay.wsUrl}/djazzkit/sync`, { token: await mintJwt(1) });
    try {
      socket.send({ type: "ping" });
      await socket.waitForType("pong");
    } finally {
      socket.close();
    }
  });

  it("a browser-style socket offering the bearer subprotocol gets `djazzkit` back", async () => {
    const socket = await openSocket(`${relay.wsUrl}/djazzkit/sync`, { token: await mintJwt(2), viaSubprotocol: true });
    try {
      expect(socket.protocol).toBe("djazzkit");
      socket.send({ type: "ping" });
      await socket.waitForType("pong");
    } finally {
      socket.close();
    }
  });
});
