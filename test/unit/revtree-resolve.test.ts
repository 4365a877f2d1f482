import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  collectConflicts,
  findLeaves,
  mergeRevision,
  planResolution,
  revisionId,
  winningRev,
  type RevNode,
} from "../../revtree/index.js";
import { arbRevList, rev, tree } from "../support/revtree-fixtures.js";

function applyPlan(nodes: RevNode[], plan: RevNode[]) {
  let acc = nodes;
  const outcomes: string[] = [];
  for (const n of plan) {
    const result = mergeRevision(acc, n);
    acc = result.nodes;
    outcomes.push(result.outcome);
  }
  return { nodes: acc, outcomes };
}

describe("planResolution", () => {
  it("writes the data under the winner and a tombstone under every other live leaf", async () => {
    const nodes = tree(`
      1a
      ├─ 2a
      │  ├─ 3a
      │  └─ 3c*
      ├─ 2d
      └─ 2b
    `);
    const plan = await planResolution(nodes, { title: "merged" });
    expect(plan).toEqual([
      { rev: await revisionId(false, rev("3a"), { title: "merged" }), parent: rev("3a"), deleted: false, data: { title: "merged" } },
      { rev: await revisionId(true, rev("2d"), null), parent: rev("2d"), deleted: true, data: null },
      { rev: await revisionId(true, rev("2b"), null), parent: rev("2b"), deleted: true, data: null },
    ]);
  });

  it("leaves one live leaf, and the winner's new child wins", async () => {
    await fc.assert(
      fc.asyncProperty(arbRevList(), fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }), async (nodes, data) => {
        const plan = await planResolution(nodes, data);
        const { nodes: resolved, outcomes } = applyPlan(nodes, plan);
        const leaves = findLeaves(resolved);
        expect(leaves.filter((l) => !l.deleted).map((l) => l.rev)).toEqual([plan[0]!.rev]);
        const winner = winningRev(leaves);
        expect(winner).toBe(plan[0]!.rev);
        expect(plan[0]!.data).toEqual(data);
        expect(collectConflicts(leaves, winner)).toEqual([]);
        expect(outcomes.every((o) => o === "new_leaf")).toBe(true); // every planned revision extends a leaf
      }),
      { numRuns: 200 },
    );
  });

  it("is deterministic: planning the same resolution twice gives the same revisions", async () => {
    const nodes = tree(`
      1a
      ├─ 2a
      └─ 2b
    `);
    expect(await planResolution(nodes, { x: 1 })).toEqual(await planResolution(nodes, { x: 1 }));
  });

  it("undeletes a row whose leaves are all deleted", async () => {
    const nodes = tree(`
      1a
      ├─ 2a*
      └─ 2b*
    `);
    const plan = await planResolution(nodes, { back: true });
    expect(plan).toHaveLength(1);
    expect(plan[0]!.parent).toBe(rev("2b"));
    expect(plan[0]!.deleted).toBe(false);
  });

  it("creates a root for an empty list", async () => {
    const plan = await planResolution([], { a: 1 });
    expect(plan).toEqual([{ rev: await revisionId(false, null, { a: 1 }), parent: null, deleted: false, data: { a: 1 } }]);
  });

  it("does not modify the list", async () => {
    const nodes = tree(`
      1a
      ├─ 2a
      └─ 2b
    `);
    const before = JSON.stringify(nodes);
    await planResolution(nodes, { x: 1 });
    expect(JSON.stringify(nodes)).toBe(before);
  });
});
