/**
 * A poke lost while the relay was down (sim seeds 18 and 74): Django edits a row while the
 * relay restarts, its poke fails (no retries here, as after a real origin runs out of them),
 * and the clients reconnect to the new instance long before the idle threshold
 * (DJAZZKIT_SCHEMA_TTL_S = 60). The first sync_start of the new instance pulls, so the edit
 * arrives; before the fix it waited for a sync start 60 s later (or forever, for sockets that
 * stay open). Fails (never skips) when Django cannot start: startStack throws.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedUsers } from "../support/sample-hooks.js";
import { startStack, type Stack } from "../support/stack.js";
import type { Frame } from "../support/ws-client.js";
import { connect, newRowId, push, waitForRow, type Client } from "../support/origin-helpers.js";

const NOTE = "notes.Note";
let stack: Stack;
let users: Record<string, string>;
const open: Client[] = [];

beforeAll(async () => {
  stack = await startStack({
    bindings: { DJAZZKIT_SCHEMA_TTL_S: "60", DJAZZKIT_RATE_LIMIT_PER_S: "10000" },
    djangoEnv: { DJAZZKIT_RELAY_POKE_RETRIES: "0" },
  });
  users = await seedUsers(stack.django, ["frank"]);
});
afterAll(async () => {
  for (const c of open) c.socket.close();
  await stack?.stop();
});

describe("origin: a poke lost during a relay restart", () => {
  it("the first sync_start of the restarted object pulls the edit Django made meanwhile", async () => {
    const user = users.frank!;
    const a = await connect(stack, user); // hydrates: the object's last pull is now
    open.push(a);
    const id = newRowId();
    const [c] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "before", body: "", archived: false } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === c!.mutation_id, 10_000);

    let relayUp = false;
    const restarted = stack.relay!.restart({ downMs: 8_000 }).then(() => {
      relayUp = true;
    });
    // Django edits the row while the relay is down: its one poke is refused and given up.
    await stack.django.manage(["djazzkit_save", NOTE, "--row-id", id, "--data", JSON.stringify({ title: "after" })]);
    expect(relayUp).toBe(false); // else the poke may have reached the relay and proves nothing
    await restarted;

    const b = await connect(stack, user, { since: a.cursor });
    open.push(b);
    const row = await waitForRow(b.socket, id, (r) => (r.data as Frame | null)?.title === "after", 8_000);
    expect(row.deleted).toBe(false);
  });
});
