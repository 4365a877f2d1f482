/**
 * The winner invariant of the outbox (issue 8 item 2, DESIGN 8), whatever the batch boundaries,
 * against an in-process origin that behaves like Django before its own fix: it validates an
 * item's own data (titles "REJECT" are refused) but stores whatever `winner` the item names.
 * Laws checked over every batch size 1..5 and several filler counts, so boundaries fall
 * everywhere:
 * - the origin is never told to hold a state its validation refuses (no REJECT winner or
 *   conflict is ever sent);
 * - a revision the origin rejected is never the relay's winner once settled;
 * - after the outbox drains, the origin holds the relay's winner and conflict set;
 * - a confirmed mutation's data is the winner or a retained conflict.
 */
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { winningRev } from "../../revtree/index.js";
import { getRow } from "../../durable/storage/row-store.js";
import { newUser, uuid } from "../support/workers/object-client.js";

import { NOTE, checkLaws, note, setup, stub, task } from "../support/workers/outbox-harness.js";
describe("the outbox winner invariant across batch boundaries", () => {
  it("issue 8 repro scaled down: fillers, a valid M2 on r1 and a REJECT M1b on a1, every batch size 1..5", async () => {
    for (let batch = 1; batch <= 5; batch++) {
      for (const fillers of [0, 1, 2, 3, 4]) {
        const user = newUser();
        await runInDurableObject(stub(user), async (_o, state) => {
          const t = setup(state, user, batch);
          const sql = state.storage.sql;
          const row = uuid();
          const r1 = await note("r1", row, "root", null);
          t.commit([r1]);
          await t.drainAll();
          const a1 = await note("a1", row, "first edit", r1.node.rev);
          t.commit([a1]);
          await t.drainAll();
          const fill = await Promise.all(Array.from({ length: fillers }, (_, i) => task(`f${i}`, uuid())));
          const m2 = await note("m2", row, "valid concurrent", r1.node.rev);
          const m1b = await note("m1b", row, "REJECT", a1.node.rev);
          t.commit([...fill, m2, m1b]);
          expect(getRow(sql, NOTE, row)!.rev).toBe(m1b.node.rev); // generation 3 wins at the relay until rejected
          await t.drainAll();
          const label = `batch ${batch}, ${fillers} fillers`;
          expect(t.django.seen.get("m1b"), label).toBe("rejected");
          expect(t.django.seen.get("m2"), label).toBe("applied");
          checkLaws(sql, t.django, row, [r1, a1, m2], label);
        });
      }
    }
  });

  it("a write arriving after a winner correction is queued, then rejected: the origin still ends on the relay's winner", async () => {
    for (let batch = 1; batch <= 5; batch++) {
      const user = newUser();
      await runInDurableObject(stub(user), async (_o, state) => {
        const t = setup(state, user, batch);
        const sql = state.storage.sql;
        const row = uuid();
        const r1 = await note("r1", row, "root", null);
        t.commit([r1]);
        await t.drainAll();
        // A REJECT branch that wins at the relay and a valid branch, in one batch (batch >= 2):
        // the rejection changes the winner an applied item may have told the origin about.
        const m1 = await note("m1", row, "REJECT", r1.node.rev);
        let m2 = await note("m2", row, "valid branch", r1.node.rev);
        for (let i = 0; winningRev([m1.node, m2.node]) !== m1.node.rev; i++) m2 = await note("m2", row, `valid branch ${i}`, r1.node.rev);
        t.commit([m1, m2]);
        // Settle exactly one batch, then write a REJECT child of the winner before the rest
        // (a winner correction, when one was queued) is sent.
        t.sendOneBatch();
        const winner = getRow(sql, NOTE, row)!;
        const m3 = await note("m3", row, "REJECT", winner.rev);
        t.commit([m3]);
        await t.drainAll();
        expect(t.django.seen.get("m3")).toBe("rejected");
        checkLaws(sql, t.django, row, [r1, m2], `batch ${batch}`);
      });
    }
  });
});

