/** Sync between sockets: push, broadcast, catch-up from cursors, epochs, users kept apart. */
import { describe, expect, it } from "vitest";
import { Client, newUser, note, task, uuid } from "./object-helpers.js";

describe("push and broadcast", () => {
  it("two sockets of one user see each other's pushes, the author included", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    const b = await Client.forUser(user);
    await a.syncStart();
    await b.syncStart();
    const row = uuid();
    const res = await a.push([note(row, { title: "from a" })]);
    expect(res.results).toHaveLength(1);
    expect(res.results[0]).toMatchObject({ status: "applied" });
    const rev = res.results[0].rev as string;
    for (const c of [a, b]) {
      const ch = await c.takeType("changes");
      expect(ch.rows).toEqual([
        expect.objectContaining({ model: "notes.Note", row_id: row, rev, deleted: false, conflicts: [] }),
      ]);
      expect(ch.rows[0].data).toMatchObject({ title: "from a", author: Number(user), _djazzkit_id: row, _djazzkit_rev: 1 });
    }
    const res2 = await b.push([task(uuid(), { title: "from b" })]);
    expect(res2.results[0].status).toBe("applied");
    for (const c of [a, b]) {
      const ch = await c.takeType("changes");
      expect(ch.rows[0].data.title).toBe("from b");
    }
  });

  it("a socket of another user sees nothing", async () => {
    const a = await Client.forUser(newUser());
    const other = await Client.forUser(newUser());
    await a.syncStart();
    const { changes } = await other.syncStart();
    expect(changes).toEqual([]);
    await a.push([note(uuid())]);
    await a.takeType("changes");
    await other.expectNone((f) => f.type === "changes", 300);
  });
});
