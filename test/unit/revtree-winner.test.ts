import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { collectConflicts, compareRevs, findLeaves, winningRev, type LeafRef, type RevNode } from "../../revtree/index.js";
import { arbDeepWide, arbRevList, arbRevListAndOrder, node, rev, tree } from "../support/revtree-fixtures.js";

const live = (label: string): LeafRef => ({ rev: rev(label), deleted: false });
const dead = (label: string): LeafRef => ({ rev: rev(label), deleted: true });

describe("the winner rule", () => {
  it("a live leaf beats a deleted leaf of any generation", () => {
    expect(winningRev([dead("9f"), live("1a")])).toBe(rev("1a"));
    expect(compareRevs(live("1a"), dead("9f"))).toBeLessThan(0);
  });

  it("among live leaves the higher generation wins, compared as numbers", () => {
    expect(winningRev([live("9f"), live("10a"), live("2f")])).toBe(rev("10a"));
    expect(compareRevs(live("9f"), live("10a"))).toBeGreaterThan(0);
  });

  it("on equal generations the greater hash wins", () => {
    expect(winningRev([live("3b"), live("3e"), live("3c")])).toBe(rev("3e"));
  });

  it("when every leaf is deleted, the same rule picks among the deleted", () => {
    expect(winningRev([dead("2b"), dead("3a"), dead("3c")])).toBe(rev("3c"));
  });

  it("winningRev is the first revision in compareRevs order, whatever the input order", () => {
    fc.assert(
      fc.property(arbRevList(), (nodes) => {
        const leaves = findLeaves(nodes);
        const sorted = [...leaves].sort(compareRevs);
        expect(winningRev(leaves)).toBe(sorted[0]!.rev);
        expect(winningRev([...leaves].reverse())).toBe(sorted[0]!.rev);
      }),
    );
  });

  it("compareRevs is a strict total order on distinct revisions", () => {
    const arbLeaf = fc.record({ rev: fc.constantFrom(...["1a", "1b", "2a", "2f", "10c"].map(rev)), deleted: fc.boolean() });
    fc.assert(
      fc.property(arbLeaf, arbLeaf, arbLeaf, (a, b, c) => {
        expect(Math.sign(compareRevs(a, b)) + Math.sign(compareRevs(b, a))).toBe(0);
        expect(compareRevs(a, b) === 0).toBe(a.rev === b.rev && a.deleted === b.deleted);
        if (compareRevs(a, b) < 0 && compareRevs(b, c) < 0) expect(compareRevs(a, c)).toBeLessThan(0);
      }),
    );
  });

  it("rejects an empty leaf list and malformed ids", () => {
    expect(() => winningRev([])).toThrow(RangeError);
    expect(() => winningRev([{ rev: "3-nothex", deleted: false }])).toThrow(TypeError);
    expect(() => compareRevs(live("1a"), { rev: "1-A", deleted: false })).toThrow(TypeError);
  });
});

describe("conflicts", () => {
  it("are the live leaves other than the winner, best first; deleted leaves never are", () => {
    const nodes = tree(`
      1a
      ├─ 2a
      │  ├─ 3a
      │  └─ 3c*
      ├─ 2d
      └─ 2b
         └─ 3b
            └─ 4a*
    `);
    const leaves = findLeaves(nodes);
    expect(leaves.map((l) => l.rev)).toEqual(["3a", "3c", "2d", "4a"].map(rev));
    const winner = winningRev(leaves);
    expect(winner).toBe(rev("3a"));
    expect(collectConflicts(leaves, winner)).toEqual([rev("2d")]);
  });

  it("do not depend on the order of the leaves", () => {
    fc.assert(
      fc.property(arbRevList(), (nodes) => {
        const leaves = findLeaves(nodes);
        const winner = winningRev(leaves);
        const conflicts = collectConflicts(leaves, winner);
        expect(collectConflicts([...leaves].reverse(), winner)).toEqual(conflicts);
        expect(conflicts).not.toContain(winner);
        expect(conflicts).toEqual(leaves.filter((l) => !l.deleted && l.rev !== winner).sort(compareRevs).map((l) => l.rev));
      }),
    );
  });

  it("are in compareRevs order on wide sibling sets and across generations of different lengths", () => {
    fc.assert(
      fc.property(arbDeepWide(), (nodes) => {
        const leaves = findLeaves(nodes);
        const winner = winningRev(leaves);
        const expected = leaves.filter((l) => !l.deleted && l.rev !== winner).sort(compareRevs).map((l) => l.rev);
        expect(collectConflicts(leaves, winner)).toEqual(expected);
      }),
      { numRuns: 40 },
    );
    const mixed = [live("9f"), live("10a"), live("99c"), live("100b"), live("10c"), live("9a"), dead("100a")];
    expect(collectConflicts(mixed, rev("100b"))).toEqual(["99c", "10c", "10a", "9f", "9a"].map(rev));
    expect(() => collectConflicts([live("2a"), { rev: "2-NOTHEX", deleted: false }], rev("2a"))).toThrow(TypeError);
    expect(() => collectConflicts([live("2a"), { rev: "02-" + "a".repeat(32), deleted: false }], rev("2a"))).toThrow(TypeError);
  });

  it("are empty for a single line", () => {
    const nodes = tree(`
      1a
      └─ 2a
         └─ 3a
    `);
    const leaves = findLeaves(nodes);
    expect(collectConflicts(leaves, winningRev(leaves))).toEqual([]);
  });
});

describe("findLeaves", () => {
  it("returns the revisions that no revision names as its parent", () => {
    fc.assert(
      fc.property(arbRevList(), (nodes) => {
        const parents = new Set(nodes.map((n) => n.parent));
        expect(findLeaves(nodes)).toEqual(nodes.filter((n) => !parents.has(n.rev)));
      }),
    );
  });

  it("does not depend on the list's order, or on long lines and wide sibling sets", () => {
    const byParentSet = (nodes: readonly RevNode[]) => {
      const parents = new Set(nodes.map((n) => n.parent));
      return nodes.filter((n) => !parents.has(n.rev));
    };
    fc.assert(
      fc.property(arbRevListAndOrder(), ({ order }) => {
        expect(findLeaves(order)).toEqual(byParentSet(order));
      }),
    );
    fc.assert(
      fc.property(arbDeepWide(), (nodes) => {
        expect(findLeaves(nodes)).toEqual(byParentSet(nodes));
      }),
      { numRuns: 40 },
    );
  });

  it("treats a node with a dangling parent (a stemmed root) like any other", () => {
    const nodes = [node("5a", "4a"), node("6a", "5a"), node("6b", "5a", true)];
    expect(findLeaves(nodes).map((n) => n.rev)).toEqual([rev("6a"), rev("6b")]);
  });

  it("returns nothing for an empty list", () => {
    expect(findLeaves([])).toEqual([]);
  });
});
