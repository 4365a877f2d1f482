/**
 * A push whose planned revisions carry more body bytes than one SQLite value may hold (Durable
 * Object SQLite caps a string at 2 MB): small patches to rows with large bodies make full-size
 * revisions and winners. storage/batch-store.ts splits its JSON parameters by size, so every
 * write is stored and served whole.
 */
import { describe, expect, it, vi } from "vitest";
import { Client, newUser, note, uuid } from "../support/workers/object-client.js";

vi.setConfig({ testTimeout: 60_000 });

describe("large pushes", () => {
  it("patches to four rows of ~700 KB bodies in one push are all stored and served whole", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    const rows = [uuid(), uuid(), uuid(), uuid()];
    const revs: string[] = [];
    for (const [i, row] of rows.entries()) {
      const created = await a.push([note(row, { title: "big", body: `${i}`.repeat(700_000) })], 30_000);
      expect(created.results[0]!.status).toBe("applied");
      revs.push(created.results[0]!.rev!);
    }
    const updated = await a.push(rows.map((row, i) => note(row, { title: `patched ${i}` }, "update", revs[i])), 30_000);
    expect(updated.results.map((r) => r.status)).toEqual(["applied", "applied", "applied", "applied"]);
    const { changes } = await (await Client.forUser(user)).syncStart();
    const served = changes.flatMap((f) => f.rows);
    for (const [i, row] of rows.entries()) {
      const r = served.find((s) => s.row_id === row)!;
      expect(r.rev).toBe(updated.results[i]!.rev);
      expect(r.data).toMatchObject({ title: `patched ${i}` });
      expect((r.data as { body: string }).body).toBe(`${i}`.repeat(700_000));
    }
  });
});
