/** revision_tree models: branches, the deterministic winner, conflicts, and resolution. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { collectConflicts, winningRev } from "../../revtree/index.js";
import type { ChangeRow } from "../../schemas/protocol.js";
import { Client, mid, newUser, note, twoSyncedSockets, uuid } from "../support/workers/object-client.js";

vi.setConfig({ testTimeout: 30_000 });

function stub(user: string) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
}

/** Live leaves of a row, read straight from the object's SQLite. */
async function liveLeaves(user: string, row: string): Promise<string[]> {
  return runInDurableObject(stub(user), (_obj, state) =>
    state.storage.sql
      .exec<{ rev: string }>(`SELECT rev FROM revisions WHERE row_id = ? AND is_leaf = 1 AND deleted = 0`, row)
      .toArray()
      .map((r) => r.rev),
  );
}

async function lastChange(c: Client, row: string): Promise<ChangeRow> {
  const f = await c.takeWhere("changes", (x) => x.rows.some((r) => r.row_id === row), 5000, "changes");
  return f.rows.find((r) => r.row_id === row)!;
}

describe("revision_tree conflicts", () => {
  it("edits from the same base on two sockets keep both leaves, serve the deterministic winner, and resolve to one live leaf", async () => {
    const { user, a, b } = await twoSyncedSockets();
    const row = uuid();
    const created = await a.push([note(row, { title: "base" })]);
    const base = created.results[0]!.rev as string;
    await lastChange(a, row);
    await lastChange(b, row);

    const full = { body: "b", archived: false };
    const ra = (await a.push([note(row, { ...full, title: "from a" }, "update", base)])).results[0];
    const rb = (await b.push([note(row, { ...full, title: "from b" }, "update", base)])).results[0];
    expect(ra!.status).toBe("applied");
    expect(rb!.status).toBe("applied");
    expect(ra!.rev).not.toBe(rb!.rev);
    const leaves = [
      { rev: ra!.rev as string, deleted: false },
      { rev: rb!.rev as string, deleted: false },
    ];
    const winner = winningRev(leaves);
    const conflicts = collectConflicts(leaves, winner);
    expect(conflicts).toHaveLength(1);

    for (const c of [a, b]) {
      await lastChange(c, row); // after a's push
      const after = await lastChange(c, row); // after b's push
      expect(after).toMatchObject({ rev: winner, conflicts });
      expect(after.data!.title).toBe(winner === ra!.rev ? "from a" : "from b");
    }
    expect((await liveLeaves(user, row)).sort()).toEqual([ra!.rev, rb!.rev].sort());

    const got = await a.ask({ type: "get_conflicts", model: "notes.Note", row_id: row }, "conflicts");
    expect(got).toMatchObject({ model: "notes.Note", row_id: row, winner: { rev: winner } });
    expect(got.conflicts).toEqual([{ rev: conflicts[0], data: expect.objectContaining({ title: winner === ra!.rev ? "from b" : "from a" }) }]);
    const listed = await b.ask({ type: "list_conflicts", model: "notes.Note" }, "conflict_list");
    expect(listed.rows).toEqual([{ model: "notes.Note", row_id: row, rev: winner, conflicts }]);

    const resolveId = mid();
    const resolved = await b.ask({ type: "resolve_conflict", mutation_id: resolveId, model: "notes.Note", row_id: row, data: { title: "merged" } }, "push_result");
    expect(resolved).toMatchObject({ results: [{ mutation_id: resolveId, status: "applied" }] });
    const newRev = resolved.results[0]!.rev as string;
    expect(newRev.startsWith("3-")).toBe(true);
    for (const c of [a, b]) {
      const ch = await lastChange(c, row);
      expect(ch).toMatchObject({ rev: newRev, conflicts: [], deleted: false });
      expect(ch.data).toMatchObject({ title: "merged", body: "b", _djazzkit_rev: 3 });
    }
    expect(await liveLeaves(user, row)).toEqual([newRev]);
    const after = await a.ask({ type: "get_conflicts", model: "notes.Note", row_id: row }, "conflicts");
    expect(after.conflicts).toEqual([]);
    expect((await a.ask({ type: "list_conflicts" }, "conflict_list")).rows).toEqual([]);

    // Resolving again with the same mutation id: the first result, nothing written; the same
    // id with another body is mutation_id_reused, also writing nothing.
    const dup = await b.ask({ type: "resolve_conflict", mutation_id: resolveId, model: "notes.Note", row_id: row, data: { title: "merged" } }, "push_result");
    expect(dup.results).toEqual([{ ...resolved.results[0], duplicate: true }]);
    const reused = await b.ask({ type: "resolve_conflict", mutation_id: resolveId, model: "notes.Note", row_id: row, data: { title: "x" } }, "push_result");
    expect(reused.results).toEqual([expect.objectContaining({ status: "rejected", code: "mutation_id_reused" })]);
    await a.expectNone((f) => f.type === "changes", 200);

    // A fresh replica converges on the same state.
    const c = await Client.forUser(user);
    const { changes } = await c.syncStart();
    expect(changes.flatMap((f) => f.rows).find((r) => r.row_id === row)).toMatchObject({ rev: newRev, conflicts: [] });
  });

  it("a create of a row that exists opens a new root branch; deleting the winner lets the other leaf win", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    await a.syncStart();
    const row = uuid();
    const first = (await a.push([note(row, { title: "one" })])).results[0];
    const second = (await a.push([note(row, { title: "two" })])).results[0];
    expect(second!.rev!.startsWith("1-")).toBe(true);
    const leaves = [
      { rev: first!.rev!, deleted: false },
      { rev: second!.rev!, deleted: false },
    ];
    const winner = winningRev(leaves);
    const loser = winner === first!.rev ? second!.rev : first!.rev;
    await lastChange(a, row);
    expect(await lastChange(a, row)).toMatchObject({ rev: winner, conflicts: [loser] });

    const del = (await a.push([note(row, {}, "delete", winner)])).results[0];
    expect(del!.status).toBe("applied");
    expect(await lastChange(a, row)).toMatchObject({ rev: loser, conflicts: [], deleted: false });
    // Deleting the last live leaf: the row is a tombstone.
    const del2 = (await a.push([note(row, {}, "delete", loser)])).results[0];
    // Both leaves are tombstones now: the winner among them is the CouchDB rule's, not the newest.
    const tomb = winningRev([
      { rev: del!.rev!, deleted: true },
      { rev: del2!.rev!, deleted: true },
    ]);
    expect(await lastChange(a, row)).toMatchObject({ rev: tomb, deleted: true, data: null, conflicts: [] });
  });

  it("an update naming an unknown base_rev is rejected with unknown_base_rev", async () => {
    const a = await Client.forUser(newUser());
    const row = uuid();
    await a.push([note(row)]);
    const res = await a.push([note(row, { title: "x" }, "update", "7-" + "0".repeat(32))]);
    expect(res.results[0]).toMatchObject({ status: "rejected", code: "unknown_base_rev" });
    const missing = await a.push([note(uuid(), { title: "x" }, "update")]);
    expect(missing.results[0]).toMatchObject({ status: "rejected", code: "unknown_base_rev" });
  });
});
