/**
 * Issue 8 items 1, 3 and 7 at the object:
 * - a mutation id is bound to its first mutation (fingerprint: model, row_id, operation,
 *   base_rev, data): the same mutation again is a duplicate; anything else under that id is
 *   refused with `mutation_id_reused` and writes nothing;
 * - ids in the relay's own namespace (`relay:`) are refused from clients with `invalid_message`;
 * - a user id that is not the canonical spelling of an integer cannot write rows whose owner
 *   field is an integer: `forbidden` at once, never acked;
 * - anonymous sockets are capped by DJAZZKIT_MAX_ANONYMOUS_SOCKETS (close 1013).
 */
import { describe, expect, it, vi } from "vitest";
import { Client, mid, newUser, note, task, uuid } from "../support/workers/object-client.js";
import { mintJwt } from "../support/jwt.js";

vi.setConfig({ testTimeout: 60_000 });

/** DJAZZKIT_MAX_ANONYMOUS_SOCKETS's default (not overridden in vitest.config.ts). */
const MAX_ANONYMOUS = 256;

async function rowsOf(user: string): Promise<Array<Record<string, unknown>>> {
  const fresh = await Client.forUser(user);
  const { changes } = await fresh.syncStart();
  fresh.close();
  return changes.flatMap((c) => c.rows as Array<Record<string, unknown>>);
}

describe("a mutation id names one mutation", () => {
  it("another row, operation, base or body under a used id is mutation_id_reused and writes nothing", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    await a.syncStart();
    const row = uuid();
    const first = note(row, { title: "first" });
    const applied = await a.push([first]);
    expect(applied.results[0]).toMatchObject({ status: "applied" });
    const rev = applied.results[0]!.rev as string;
    await a.takeType("changes");

    const reuses = [
      { ...note(uuid(), { title: "first" }), mutation_id: first.mutation_id }, // another row
      { ...first, data: { ...first.data, title: "second" } }, // another body
      { ...task(row), mutation_id: first.mutation_id }, // another model
      { ...note(row, { title: "first" }, "update", rev), mutation_id: first.mutation_id }, // another operation
    ];
    for (const m of reuses) {
      const res = await a.push([m]);
      expect(res.results).toEqual([expect.objectContaining({ mutation_id: first.mutation_id, status: "rejected", code: "mutation_id_reused" })]);
      expect(res.results[0]!.duplicate).toBeUndefined();
    }
    // The same mutation again is still the first result.
    expect((await a.push([first])).results).toEqual([{ ...applied.results[0], duplicate: true }]);
    // Within one push: the first use wins, the reuse is refused.
    const m2 = task(uuid());
    const inOne = await a.push([m2, { ...task(uuid()), mutation_id: m2.mutation_id }]);
    expect(inOne.results[0]).toMatchObject({ status: "applied" });
    expect(inOne.results[1]).toMatchObject({ status: "rejected", code: "mutation_id_reused" });

    await a.takeType("changes");
    await a.expectNone((f) => f.type === "changes", 200);
    const rows = await rowsOf(user);
    expect(rows.map((r) => r.row_id).sort()).toEqual([row, m2.row_id].sort());
    expect(rows.find((r) => r.row_id === row)).toMatchObject({ rev, data: expect.objectContaining({ title: "first" }) });
  });

  it("a resolve_conflict reusing a push's id is mutation_id_reused", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    await a.syncStart();
    const row = uuid();
    const m = note(row, { title: "x" });
    expect((await a.push([m])).results[0]).toMatchObject({ status: "applied" });
    const answer = await a.request({ type: "resolve_conflict", mutation_id: m.mutation_id, model: "notes.Note", row_id: row, data: { title: "y" } });
    expect(answer).toMatchObject({ type: "push_result", results: [expect.objectContaining({ status: "rejected", code: "mutation_id_reused" })] });
  });
});

describe("the relay's own mutation ids", () => {
  it("a client mutation id in the relay namespace is invalid_message, in a push or a resolution", async () => {
    const user = newUser();
    const a = await Client.forUser(user);
    await a.syncStart();
    const row = uuid();
    const res = await a.push([
      { ...note(row), mutation_id: `relay:winner:${row}:1-${"0".repeat(32)}:1` },
      { ...note(uuid()), mutation_id: "relay:resolver:abc" },
      note(uuid()),
    ]);
    expect(res.results[0]).toMatchObject({ status: "rejected", code: "invalid_message" });
    expect(res.results[1]).toMatchObject({ status: "rejected", code: "invalid_message" });
    expect(res.results[2]).toMatchObject({ status: "applied" });
    const answer = await a.request({ type: "resolve_conflict", mutation_id: "relay:x", model: "notes.Note", row_id: row, data: { title: "y" } });
    expect(answer).toMatchObject({ type: "push_result", results: [expect.objectContaining({ status: "rejected", code: "invalid_message" })] });
    const rows = await rowsOf(user);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.row_id).not.toBe(row);
  });
});

describe("canonical user ids", () => {
  for (const sub of ["01", "+1", "1_0", "\u0661", " 1", "1.0"]) {
    it(`a user ${JSON.stringify(sub)} cannot write a row whose owner field is an integer (forbidden, nothing acked)`, async () => {
      const c = await Client.open(await mintJwt(sub));
      await c.syncStart();
      const res = await c.push([note(uuid()), task(uuid())]);
      expect(res.results).toEqual([
        expect.objectContaining({ status: "rejected", code: "forbidden" }),
        expect.objectContaining({ status: "rejected", code: "forbidden" }),
      ]);
      await c.expectNone((f) => f.type === "changes", 200);
      c.close();
    });
  }

  it("the canonical spelling writes as before", async () => {
    const user = newUser();
    const c = await Client.forUser(user);
    await c.syncStart();
    const res = await c.push([{ ...note(uuid()), mutation_id: mid() }]);
    expect(res.results[0]).toMatchObject({ status: "applied" });
  });
});

describe("anonymous sockets", () => {
  it("past DJAZZKIT_MAX_ANONYMOUS_SOCKETS an anonymous socket is closed with 1013; closing one admits another", async () => {
    const open: Client[] = [];
    let refused: Client | null = null;
    for (let i = 0; i <= MAX_ANONYMOUS; i++) {
      const c = await Client.open(null);
      const code = await Promise.race([c.closed.then((e) => e.code), new Promise<null>((r) => setTimeout(() => r(null), 20))]);
      if (code !== null) {
        expect(code).toBe(1013);
        refused = c;
        break;
      }
      open.push(c);
    }
    expect(refused).not.toBeNull();
    expect(open.length).toBeLessThanOrEqual(MAX_ANONYMOUS);
    // The admitted ones still work.
    open[0]!.send({ type: "ping" });
    await open[0]!.takeType("pong");
    for (const c of open) c.close();
    await new Promise((r) => setTimeout(r, 200));
    const again = await Client.open(null);
    again.send({ type: "ping" });
    await again.takeType("pong");
    again.close();
  });
});
