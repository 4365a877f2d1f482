/**
 * Hibernation: an idle object is evicted with its sockets attached and rebuilt on the next
 * frame; per-socket state comes back from the attachment, so the sockets keep syncing.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { newUser, task, twoSyncedSockets, uuid, type Frame } from "../support/workers/object-client.js";

vi.setConfig({ testTimeout: 120_000 });

const INSTANCE_MARK = Symbol.for("djazzkit.test.instance");

describe("hibernation", () => {
  it("sockets stay attached and keep syncing after the object is evicted and rebuilt", async () => {
    const user = newUser();
    const stub = env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
    const { a, b } = await twoSyncedSockets(user);
    await runInDurableObject(stub, (obj) => {
      (obj as unknown as Record<symbol, boolean>)[INSTANCE_MARK] = true;
    });
    // Idle long enough for workerd to hibernate the object (about 10 s of inactivity).
    await new Promise((r) => setTimeout(r, 20_000));
    // Wake it with a socket frame first (runInDurableObject would have kept it alive).
    const row = uuid();
    const res = await a.push([task(row)]);
    expect(res.results[0]!.status).toBe("applied");
    await b.takeWhere("changes", (f) => f.rows.some((r) => r.row_id === row), 5000, "broadcast");
    const rebuilt = await runInDurableObject(stub, (obj) => !(obj as unknown as Record<symbol, boolean>)[INSTANCE_MARK]);
    expect(rebuilt).toBe(true);
  });
});
