/**
 * Issue 8, items 1 and 3, end to end (the relay under Miniflare in front of the sample Django):
 * two users whose clients send the same mutation ids each get their own write confirmed and
 * stored; a token whose subject is another spelling of a user's key ("0" + id) can neither
 * write rows owned by that user nor read that user's RPC results.
 * Fails (never skips) when Django cannot start: startStack throws.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintJwt } from "../support/jwt.js";
import { FAST_BINDINGS, connect, newRowId, originRow, push, waitForOrigin, type Client } from "../support/origin-helpers.js";
import { seedUsers } from "../support/sample-hooks.js";
import { startStack, type Stack } from "../support/stack.js";
import { openSocket, type TestSocket } from "../support/ws-client.js";

const NOTE = "notes.Note";
let stack: Stack;
let users: Record<string, string>;
const open: Array<Client | TestSocket> = [];

beforeAll(async () => {
  stack = await startStack({ bindings: FAST_BINDINGS });
  users = await seedUsers(stack.django, ["alice", "bob"]);
});
afterAll(async () => {
  for (const c of open) ("socket" in c ? c.socket : c).close();
  await stack?.stop();
});

describe("identity end to end", () => {
  it("two users sending the same mutation id each have their own write confirmed and stored", async () => {
    const a = await connect(stack, users.alice!, { clientId: "fixed-id" });
    const b = await connect(stack, users.bob!, { clientId: "fixed-id" });
    open.push(a, b);
    const [ra, rb] = [newRowId(), newRowId()];
    const [x] = await push(a, [{ model: NOTE, row_id: ra, operation: "create", data: { title: "alice's", body: "", archived: false } }]);
    const [y] = await push(b, [{ model: NOTE, row_id: rb, operation: "create", data: { title: "bob's", body: "", archived: false } }]);
    expect(x!.mutation_id).toBe(y!.mutation_id);
    expect([x!.status, y!.status]).toEqual(["applied", "applied"]);
    for (const [c, r] of [[a, x], [b, y]] as const) {
      await c.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === r!.mutation_id, 10_000);
    }
    const bob = await waitForOrigin(stack, (d) => originRow(d, NOTE, rb) !== undefined, 15_000, users.bob);
    expect(originRow(bob, NOTE, rb)).toMatchObject({ data: { title: "bob's", author: Number(users.bob) }, rev: y!.rev });
    expect(bob.applied_mutations.filter((m) => m.mutation_id === y!.mutation_id)).toEqual([expect.objectContaining({ status: "applied", rev: y!.rev })]);
    const alice = await waitForOrigin(stack, (d) => originRow(d, NOTE, ra) !== undefined, 15_000, users.alice);
    expect(originRow(alice, NOTE, ra)).toMatchObject({ data: { title: "alice's", author: Number(users.alice) } });
  });

  it("a token for \"0\" + alice's id writes nothing (forbidden at once) and reads none of alice's RPC results", async () => {
    const s = await openSocket(stack.syncUrl, { token: await mintJwt("0" + users.alice!) });
    open.push(s);
    const row = newRowId();
    const answer = await s.request({ type: "push", request_id: "p1", mutations: [
      { mutation_id: "x:1", model: NOTE, row_id: row, operation: "create", data: { title: "planted", body: "", archived: false } },
    ] }, 10_000);
    expect(answer).toMatchObject({ type: "push_result", results: [{ status: "rejected", code: "forbidden" }] });
    const rpc = await s.request({ type: "rpc", request_id: "r1", name: "note_stats", args: {} }, 10_000);
    expect(rpc.type).toBe("error");
    expect(JSON.stringify(rpc)).not.toContain(`"user_id":"${users.alice}"`);
    const alice = await waitForOrigin(stack, () => true, 5_000, users.alice);
    expect(originRow(alice, NOTE, row)).toBeUndefined();
  });
});
