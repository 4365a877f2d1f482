/**
 * Issue 8 items 2 and 5 end to end, against the real sample Django (notes titled "REJECT" are
 * refused by its full_clean; the "manual" tag keeps its resolver out), default outbox settings
 * (batches of 100 and DJAZZKIT_OUTBOX_BATCH_BYTES), fast backoff:
 * - item 2: 99 filler rows, a valid M2 on r1 and a REJECT M1b on a1 in one push, so M1b goes
 *   alone into the next batch. Django never stores REJECT, the relay never adopts it (not even
 *   after a pull), M2 stays the winner or a conflict, and Django holds the relay's winner;
 *   and (sim seed 130) a fork branch, a REJECT update and its child in one batch: Django ends
 *   holding the child with the fork as its conflict, as the relay does;
 * - item 5: three 700 KB notes and a small task pushed while the origin is down all confirm
 *   once it is back (no 413 wedge); a note with a NUL character is, on PostgreSQL, a rejection
 *   of that one item with invalid_field_value (never a 503 retried forever), the task beside it
 *   confirmed; on SQLite, which can store it, it is applied.
 * Fails (never skips) when Django or PostgreSQL cannot start.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedUsers } from "../support/sample-hooks.js";
import { startStack, type Stack } from "../support/stack.js";
import type { Frame } from "../support/ws-client.js";
import {
  FAST_BINDINGS, connect, lastSeen, newRowId, originRow, originState, push, sleep, waitForOrigin, waitForRow, type Client,
} from "../support/origin-helpers.js";

const NOTE = "notes.Note";
const TASK = "notes.Task";
let stack: Stack;
let users: Record<string, string>;
const open: Client[] = [];

async function client(user: string): Promise<Client> {
  const c = await connect(stack, user);
  open.push(c);
  return c;
}

const confirmedOrRejected = (c: Client, id: string) =>
  c.socket.waitFor((f) => (f.type === "mutation_confirmed" || f.type === "mutation_rejected") && f.mutation_id === id, 30_000);

beforeAll(async () => {
  stack = await startStack({ bindings: FAST_BINDINGS, djangoEnv: { DJAZZKIT_RELAY_POKE_BACKOFF_S: "0.05" } });
  users = await seedUsers(stack.django, ["alice", "bob", "carol"]);
}, 120_000);
afterAll(async () => {
  for (const c of open) c.socket.close();
  await stack?.stop();
});

describe("issue 8 item 2: a rejection in a later batch", () => {
  it("M2 and a REJECT M1b across the batch boundary: Django never stores REJECT, and holds the relay's winner after a pull", async () => {
    const a = await client(users.alice!);
    const id = newRowId();
    const author = Number(users.alice);
    const [r1] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "base", body: "", tags: ["manual"], archived: false, author } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === r1!.mutation_id, 15_000);
    const [a1] = await push(a, [{ model: NOTE, row_id: id, operation: "update", base_rev: r1!.rev as string, data: { title: "first edit" } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === a1!.mutation_id, 15_000);
    const fillers = Array.from({ length: 99 }, () => newRowId());
    const results = await push(a, [
      ...fillers.map((row) => ({ model: TASK, row_id: row, operation: "create" as const, data: { title: "filler", done: false, owner: author } })),
      { model: NOTE, row_id: id, operation: "update", base_rev: r1!.rev as string, data: { title: "m2 valid" } },
      { model: NOTE, row_id: id, operation: "update", base_rev: a1!.rev as string, data: { title: "REJECT" } },
    ], 20_000);
    const m2 = results[99]!;
    const m1b = results[100]!;
    expect([m2.status, m1b.status]).toEqual(["applied", "applied"]);
    expect(Number(String(m1b.rev).split("-")[0])).toBe(3); // the generation-3 winner at the relay, for now
    expect((await confirmedOrRejected(a, m2.mutation_id as string)).type).toBe("mutation_confirmed");
    expect((await confirmedOrRejected(a, m1b.mutation_id as string)).type).toBe("mutation_rejected");

    // A pull (an ORM edit of a filler pokes the relay): whatever Django holds comes back.
    await stack.django.manage(["djazzkit_save", TASK, "--row-id", fillers[0]!, "--data", JSON.stringify({ title: "poked" })]);
    await waitForRow(a.socket, fillers[0]!, (r) => (r.data as Frame | null)?.title === "poked", 15_000);

    const relay = lastSeen(a.socket, id)!;
    expect(relay.rev).not.toBe(m1b.rev);
    expect((relay.data as Frame).title).not.toBe("REJECT");
    expect([relay.rev, ...(relay.conflicts as string[])]).toContain(m2.rev); // M2's data is not lost
    const d = await waitForOrigin(stack, (s) => originRow(s, NOTE, id)?.rev === relay.rev, 15_000, users.alice);
    const held = originRow(d, NOTE, id)!;
    expect(held.data.title).not.toBe("REJECT");
    expect(held.conflicts.map((c) => c.rev).sort()).toEqual([...(relay.conflicts as string[])].sort());
    expect(held.conflicts.every((c) => (c.data as Frame | null)?.["title"] !== "REJECT")).toBe(true);
    expect(d.applied_mutations.find((m) => m.mutation_id === m1b.mutation_id)).toMatchObject({ status: "rejected" });
    // A fresh catch-up agrees (the object's state, not only this socket's view).
    const b = await client(users.alice!);
    expect(lastSeen(b.socket, id)).toMatchObject({ rev: relay.rev });
  });
});

describe("issue 8 item 2: a rejection in the same batch as its applied child (sim seed 130)", () => {
  it("a fork branch, a REJECT update and its child in one batch: Django ends holding the relay's winner and its conflict", async () => {
    const a = await client(users.carol!);
    const id = newRowId();
    const author = Number(users.carol);
    const [r1] = await push(a, [{ model: NOTE, row_id: id, operation: "create", data: { title: "base", body: "", tags: ["manual"], archived: false, author } }]);
    await a.socket.waitFor((f) => f.type === "mutation_confirmed" && f.mutation_id === r1!.mutation_id, 15_000);
    // The origin is down while the three are written, so they go to Django in one batch.
    await stack.proxy.setMode("refuse");
    let fork: Frame, rej: Frame, child: Frame;
    try {
      [fork, rej] = (await push(a, [
        { model: NOTE, row_id: id, operation: "update", base_rev: r1!.rev as string, data: { title: "fork" } },
        { model: NOTE, row_id: id, operation: "update", base_rev: r1!.rev as string, data: { title: "REJECT" } },
      ])) as [Frame, Frame];
      [child] = (await push(a, [{ model: NOTE, row_id: id, operation: "update", base_rev: rej.rev as string, data: { title: "child" } }])) as [Frame];
      await sleep(300);
    } finally {
      await stack.proxy.setMode("pass");
    }
    expect([fork.status, rej.status, child.status]).toEqual(["applied", "applied", "applied"]);
    expect((await confirmedOrRejected(a, rej.mutation_id as string)).type).toBe("mutation_rejected");
    expect((await confirmedOrRejected(a, child.mutation_id as string)).type).toBe("mutation_confirmed");
    // The relay keeps the child (the origin holds it) as the winner, the fork as a conflict...
    const relay = await waitForRow(a.socket, id, (r) => r.rev === child.rev, 15_000);
    expect(relay.conflicts).toEqual([fork.rev]);
    // ...and Django ends holding the same (the child's item could not name the unsettled fork:
    // the winner correction does, once nothing of the row is left pending).
    const d = await waitForOrigin(stack, (s) => {
      const row = originRow(s, NOTE, id);
      return row !== undefined && row.rev === child.rev && row.conflicts.length === 1;
    }, 15_000, users.carol);
    expect(originRow(d, NOTE, id)!.conflicts.map((c) => c.rev)).toEqual([fork.rev]);
  });
});

describe("issue 8 item 5: an oversized or poisoned outbox never wedges", () => {
  it("three 700 KB notes and a small task pushed while the origin is down are all confirmed once it is back", async () => {
    const a = await client(users.bob!);
    const author = Number(users.bob);
    await stack.proxy.setMode("refuse");
    const pushed: Frame[] = [];
    try {
      for (const fill of ["a", "b", "c"]) {
        pushed.push(...(await push(a, [{ model: NOTE, row_id: newRowId(), operation: "create", data: { title: "big", body: fill.repeat(700_000), archived: false, author } }], 20_000)));
      }
      pushed.push(...(await push(a, [{ model: TASK, row_id: newRowId(), operation: "create", data: { title: "small", done: false, owner: author } }])));
      expect(pushed.map((r) => r.status)).toEqual(["applied", "applied", "applied", "applied"]);
      await sleep(500); // at least one failed attempt while the origin is down
    } finally {
      await stack.proxy.setMode("pass");
    }
    for (const r of pushed) expect((await confirmedOrRejected(a, r.mutation_id as string)).type).toBe("mutation_confirmed");
    const d = await originState(stack, users.bob);
    expect(d.models[NOTE]!.rows.filter((r) => r.data.title === "big")).toHaveLength(3);
  });

  it("a NUL character is a rejection of that one item on PostgreSQL (applied on SQLite); the task beside it is confirmed", async () => {
    const a = await client(users.carol!);
    const author = Number(users.carol);
    const noteId = newRowId();
    const [n, t] = await push(a, [
      { model: NOTE, row_id: noteId, operation: "create", data: { title: "a\u0000b", body: "", archived: false, author } },
      { model: TASK, row_id: newRowId(), operation: "create", data: { title: "beside", done: false, owner: author } },
    ]);
    expect((await confirmedOrRejected(a, t!.mutation_id as string)).type).toBe("mutation_confirmed");
    const verdict = await confirmedOrRejected(a, n!.mutation_id as string);
    if (stack.django.engine === "postgresql") {
      expect(verdict).toMatchObject({ type: "mutation_rejected", code: "invalid_field_value" });
      await waitForRow(a.socket, noteId, (r) => r.deleted === true);
    } else {
      expect(verdict.type).toBe("mutation_confirmed");
    }
  });
});
