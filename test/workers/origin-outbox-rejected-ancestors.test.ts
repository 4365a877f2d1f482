/**
 * Rejected updates kept under confirmed descendants (sim seed 1531, issue 8 item 2), against
 * the same in-process origin as origin-outbox-invariants.test.ts (validates an item's own data,
 * refuses titles "REJECT", stores whatever `winner` and `conflicts` the item names; real Django
 * does the same for a row with no Django edit, since `is_concurrent` needs a by_django row).
 *
 * A chain a2..a7 where a3 and a4 are rejected and a5..a7 applied, plus a fork b on a2, a3 or
 * a4, committed in sampled orders with settles at sampled points and batch sizes 1..5: after
 * the drain no revision is left pending (a pending one blocks the winner correction for ever)
 * and the origin holds the relay's winner and conflict set. The second case is the seed's own
 * end state: Django on the fork with no conflict, the relay on a7 with the fork as a conflict.
 * Both fail before 758e1b6 (a kept ancestor confirmed before its rejection was stored).
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type PlannedMutation } from "../../durable/writes/commit.js";
import { getRow } from "../../durable/storage/row-store.js";
import { newUser, uuid } from "../support/workers/object-client.js";

import { NOTE, checkLaws, note, setup, stub, task } from "../support/workers/outbox-harness.js";

/** Deterministic PRNG (mulberry32): the cases below are a fixed sample of commit/settle interleavings. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("sim seed 1531: two rejected updates with confirmed descendants and a fork", () => {
  it("a3, a4 REJECT under a5..a7 applied, a fork b5 on a4, every batch size 1..5 and sampled settle points", async () => {
    const next = rng(1531);
    for (let n = 0; n < 120; n++) {
      const batch = 1 + (n % 5);
      const forkAt = 2 + Math.floor(next() * 3); // fork parent: a2, a3 or a4
      const user = newUser();
      await runInDurableObject(stub(user), async (_o, state) => {
        const t = setup(state, user, batch);
        const sql = state.storage.sql;
        const row = uuid();
        const r1 = await note("r1", row, "root", null);
        t.commit([r1]);
        await t.drainAll();
        const chain: PlannedMutation[] = [];
        let parent = r1.node.rev;
        const titles = ["a2", "REJECT", "REJECT", "a5", "a6", "a7"];
        for (let i = 0; i < titles.length; i++) {
          const m = await note(`a${i + 2}`, row, titles[i]!, parent);
          chain.push(m);
          parent = m.node.rev;
        }
        const fork = await note("b", row, `fork ${n}`, chain[forkAt - 2]!.node.rev);
        // commit order: the chain, with the fork anywhere after its parent
        const forkPos = forkAt - 1 + Math.floor(next() * (titles.length - forkAt + 2));
        const order = [...chain];
        order.splice(forkPos, 0, fork);
        const steps: string[] = [];
        for (const m of order) {
          t.commit([m]);
          steps.push(m.mutation_id);
          const settles = Math.floor(next() * 3) === 0 ? 1 + Math.floor(next() * 2) : 0;
          for (let s = 0; s < settles; s++) {
            t.sendOneBatch();
            steps.push("|");
          }
        }
        await t.drainAll();
        const label = `case ${n}: batch ${batch}, fork on a${forkAt}, steps ${steps.join(" ")}`;
        expect(t.django.seen.get("a3"), label).toBe("rejected");
        expect(t.django.seen.get("a4"), label).toBe("rejected");
        const pending = sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM revisions WHERE model = ? AND row_id = ? AND pending = 1`, NOTE, row).one().n;
        expect(pending, `${label}: revisions left pending`).toBe(0);
        checkLaws(sql, t.django, row, [r1, chain[0]!, chain[3]!, chain[4]!, chain[5]!, fork], label);
      });
    }
  }, 60_000);

  it("the seed's signature: a3 rejected in one batch, then a4 (REJECT) a5 a6 a7 and the fork b on a4 in the next: Django ends on a7 with b as its conflict", async () => {
    const user = newUser();
    await runInDurableObject(stub(user), async (_o, state) => {
      const t = setup(state, user, 5);
      const sql = state.storage.sql;
      const row = uuid();
      const r1 = await note("r1", row, "root", null);
      t.commit([r1]);
      await t.drainAll();
      const fill = await Promise.all([0, 1, 2].map((i) => task(`f${i}`, uuid())));
      const a2 = await note("a2", row, "a2", r1.node.rev);
      const a3 = await note("a3", row, "REJECT", a2.node.rev);
      const a4 = await note("a4", row, "REJECT", a3.node.rev);
      const a5 = await note("a5", row, "a5", a4.node.rev);
      const a6 = await note("a6", row, "a6", a5.node.rev);
      const a7 = await note("a7", row, "a7", a6.node.rev);
      const b = await note("b", row, "fork", a4.node.rev);
      for (const m of [...fill, a2, a3, a4, a5, a6, a7, b]) t.commit([m]);
      // batch 1 [f0 f1 f2 a2 a3]: a3 rejected, kept under a4; batch 2 [a4 a5 a6 a7 b]: a4
      // rejected, the rest applied, and b (read while a5..a7 were pending) tells the origin to
      // hold b with no conflict; only a winner correction brings it back to a7 with b.
      t.sendOneBatch();
      t.sendOneBatch();
      expect(t.django.rows.get(row)).toMatchObject({ rev: b.node.rev, conflicts: [] });
      await t.drainAll();
      expect(t.django.seen.get("a3")).toBe("rejected");
      expect(t.django.seen.get("a4")).toBe("rejected");
      const relay = getRow(sql, NOTE, row)!;
      expect({ rev: relay.rev, conflicts: relay.conflicts }).toEqual({ rev: a7.node.rev, conflicts: [b.node.rev] });
      checkLaws(sql, t.django, row, [r1, a2, a5, a6, a7, b], "seed 1531 signature");
    });
  });
});
