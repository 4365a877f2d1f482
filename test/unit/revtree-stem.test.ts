import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { findLeaves, mergeRevision, stem, type RevNode } from "../../revtree/index.js";
import { arbRevList, node, rev, revSet, tree } from "../support/revtree-fixtures.js";

/** Steps from each node down to its nearest leaf (brute force, for checking). */
function distanceToLeaf(nodes: readonly RevNode[]): Map<string, number> {
  const byRev = new Map(nodes.map((n) => [n.rev, n]));
  const dist = new Map<string, number>();
  for (const leaf of findLeaves(nodes)) {
    let d = 0;
    for (let n: RevNode | undefined = leaf; n; n = n.parent === null ? undefined : byRev.get(n.parent), d++) {
      dist.set(n.rev, Math.min(dist.get(n.rev) ?? Infinity, d));
    }
  }
  return dist;
}

const arbLimit = fc.oneof(fc.integer({ min: 1, max: 6 }), fc.constant(Infinity));

describe("stem", () => {
  it("keeps the newest `limit` revisions of a line; the new root keeps its parent as a dangling reference", () => {
    const nodes = tree(`
      1a
      └─ 2a
         └─ 3a
            └─ 4a
               └─ 5a
    `);
    const { nodes: kept, removed } = stem(nodes, 3);
    expect(removed).toEqual([rev("1a"), rev("2a")]);
    expect(revSet(kept)).toEqual(["3a", "4a", "5a"].map(rev).sort());
    expect(kept.find((n) => n.rev === rev("3a"))!.parent).toBe(rev("2a"));
  });

  it("keeps a revision that is within the limit on any leaf's path", () => {
    const nodes = tree(`
      1a
      └─ 2a
         ├─ 3a
         │  └─ 4a
         │     └─ 5a
         └─ 3b*
    `);
    // 2a is 3 steps above 5a but only 1 above 3b; 1a is 2 steps above 3b.
    expect(stem(nodes, 2).removed).toEqual([rev("1a"), rev("3a")]);
    expect(stem(nodes, 3).removed).toEqual([]);
  });

  it("pruning never loses a leaf, for any limit >= 1", () => {
    fc.assert(
      fc.property(arbRevList(), arbLimit, (nodes, limit) => {
        const { nodes: kept } = stem(nodes, limit);
        expect(revSet(findLeaves(kept))).toEqual(revSet(findLeaves(nodes)));
      }),
    );
  });

  it("keeps exactly the revisions fewer than `limit` steps above some leaf", () => {
    fc.assert(
      fc.property(arbRevList(), arbLimit, (nodes, limit) => {
        const dist = distanceToLeaf(nodes);
        const { nodes: kept, removed } = stem(nodes, limit);
        expect(revSet(kept)).toEqual(revSet(nodes.filter((n) => dist.get(n.rev)! < limit)));
        expect([...removed].sort()).toEqual(revSet(nodes.filter((n) => dist.get(n.rev)! >= limit)));
        expect(kept.length + removed.length).toBe(nodes.length);
      }),
    );
  });

  it("stemming twice with the same limit is the same as once", () => {
    fc.assert(
      fc.property(arbRevList(), arbLimit, (nodes, limit) => {
        const once = stem(nodes, limit).nodes;
        const twice = stem(once, limit);
        expect(twice.removed).toEqual([]);
        expect(twice.nodes).toBe(once);
      }),
    );
  });

  it("a limit below 1 acts as 1 and Infinity keeps everything", () => {
    const nodes = tree(`
      1a
      ├─ 2a
      └─ 2b
    `);
    for (const limit of [0, -5, NaN, 0.5]) expect(stem(nodes, limit).removed).toEqual([rev("1a")]);
    const all = stem(nodes, Infinity);
    expect(all.nodes).toBe(nodes);
    expect(all.removed).toEqual([]);
  });

  it("a removed ancestor replicated back merges as an internal node", () => {
    const nodes = tree(`
      1a
      └─ 2a
         └─ 3a
    `);
    const { nodes: kept } = stem(nodes, 2);
    expect(mergeRevision(kept, node("2a", "1a")).outcome).toBe("duplicate");
    expect(mergeRevision(kept, node("1a", null)).outcome).toBe("internal_node");
  });

  it("stems a 2000-deep line to 1000 without recursion", () => {
    const nodes: RevNode[] = [];
    for (let gen = 1; gen <= 2000; gen++) {
      nodes.push({ rev: `${gen}-${"b".repeat(32)}`, parent: gen === 1 ? null : `${gen - 1}-${"b".repeat(32)}`, deleted: false, data: null });
    }
    const { nodes: kept, removed } = stem(nodes, 1000);
    expect(removed).toHaveLength(1000);
    expect(kept[0]!.rev).toBe(`1001-${"b".repeat(32)}`);
    expect(findLeaves(kept).map((n) => n.rev)).toEqual([`2000-${"b".repeat(32)}`]);
  });
});
