import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { collectConflicts, findLeaves, mergeRevision, winningRev, type RevNode } from "../../revtree/index.js";
import { arbRevList, arbRevListAndOrder, mergeAll, node, rev, revSet, tree } from "../support/revtree-fixtures.js";

function summary(nodes: readonly RevNode[]) {
  const leaves = findLeaves(nodes);
  const winner = winningRev(leaves);
  return { revs: revSet(nodes), leaves: revSet(leaves), winner, conflicts: collectConflicts(leaves, winner) };
}

describe("mergeRevision outcome tags", () => {
  it("the first revision of an empty list is a new leaf", () => {
    expect(mergeRevision([], node("1a", null)).outcome).toBe("new_leaf");
  });

  it("a child of a leaf is a new leaf", () => {
    const nodes = tree(`
      1a
      └─ 2a
    `);
    const { nodes: merged, outcome } = mergeRevision(nodes, node("3a", "2a"));
    expect(outcome).toBe("new_leaf");
    expect(findLeaves(merged).map((n) => n.rev)).toEqual([rev("3a")]);
  });

  it("a child of a deleted leaf is a new leaf (an undelete)", () => {
    const nodes = tree(`
      1a
      └─ 2a*
    `);
    expect(mergeRevision(nodes, node("3a", "2a")).outcome).toBe("new_leaf");
  });

  it("a second child of a revision opens a new branch", () => {
    const nodes = tree(`
      1a
      └─ 2a
         └─ 3a
    `);
    const { nodes: merged, outcome } = mergeRevision(nodes, node("3b", "2a"));
    expect(outcome).toBe("new_branch");
    expect(revSet(findLeaves(merged))).toEqual([rev("3a"), rev("3b")]);
  });

  it("a second root (a create of an existing row) opens a new branch", () => {
    expect(mergeRevision(tree("1a"), node("1b", null)).outcome).toBe("new_branch");
  });

  it("a revision whose parent the list does not hold opens a new branch", () => {
    expect(mergeRevision(tree("1a"), node("5a", "4c")).outcome).toBe("new_branch");
  });

  it("a sibling under a stemmed (dangling) parent opens a new branch", () => {
    const stemmed = [node("5a", "4a"), node("6a", "5a")];
    expect(mergeRevision(stemmed, node("5b", "4a")).outcome).toBe("new_branch");
  });

  it("a revision that arrives after its children is an internal node and changes no leaf", () => {
    const stemmed = [node("2a", "1a"), node("3a", "2a")];
    const { nodes: merged, outcome } = mergeRevision(stemmed, node("1a", null));
    expect(outcome).toBe("internal_node");
    expect(findLeaves(merged)).toEqual(findLeaves(stemmed));
  });

  it("a revision already present is a duplicate and returns the list unchanged", () => {
    const nodes = tree(`
      1a
      └─ 2a
    `);
    const result = mergeRevision(nodes, node("2a", "1a"));
    expect(result.outcome).toBe("duplicate");
    expect(result.nodes).toBe(nodes);
  });

  it("a duplicate is recognised by id even if the stored copy lost its body and parent", () => {
    const stored: RevNode = { ...node("2a", "1a"), parent: null, data: null };
    expect(mergeRevision([stored], node("2a", "1a")).outcome).toBe("duplicate");
  });

  it("does not modify its inputs", () => {
    const nodes = Object.freeze(tree(`
      1a
      └─ 2a
    `).map((n) => Object.freeze(n)));
    const incoming = Object.freeze(node("3a", "2a"));
    const { nodes: merged } = mergeRevision(nodes, incoming);
    expect(nodes).toHaveLength(2);
    expect(merged).toHaveLength(3);
    expect(merged[2]).toBe(incoming);
  });
});

describe("merge laws", () => {
  it("merge is order-independent: the same revisions in any order give the same tree, winner and conflicts", () => {
    fc.assert(
      fc.property(arbRevListAndOrder(), ({ nodes, order }) => {
        expect(summary(mergeAll(mergeRevision, order))).toEqual(summary(mergeAll(mergeRevision, nodes)));
      }),
      { numRuns: 300 },
    );
  });

  it("merging keeps every revision exactly once", () => {
    fc.assert(
      fc.property(arbRevListAndOrder(), ({ nodes, order }) => {
        expect(revSet(mergeAll(mergeRevision, [...order, ...nodes]))).toEqual(revSet(nodes));
      }),
    );
  });

  it("re-applying a revision is a no-op", () => {
    fc.assert(
      fc.property(arbRevListAndOrder(), fc.nat(), ({ nodes, order }, pick) => {
        const merged = mergeAll(mergeRevision, order);
        const again = mergeRevision(merged, nodes[pick % nodes.length]!);
        expect(again.outcome).toBe("duplicate");
        expect(again.nodes).toBe(merged);
      }),
    );
  });

  it("merging in parent-first order never reports internal_node, and new_branch exactly when a branch opens", () => {
    fc.assert(
      fc.property(arbRevList(), (nodes) => {
        let acc: RevNode[] = [];
        for (const n of nodes) {
          const leavesBefore = findLeaves(acc).length;
          const { nodes: next, outcome } = mergeRevision(acc, n);
          expect(outcome).not.toBe("internal_node");
          // the very first revision adds a leaf too, but opens no branch
          expect(outcome === "new_branch").toBe(acc.length > 0 && findLeaves(next).length === leavesBefore + 1);
          acc = next;
        }
      }),
    );
  });

  it("merges a 5000-deep line without recursion", () => {
    let nodes: RevNode[] = [];
    let parent: string | null = null;
    for (let gen = 1; gen <= 5000; gen++) {
      const r = `${gen}-${"a".repeat(32)}`;
      const result = mergeRevision(nodes, { rev: r, parent, deleted: false, data: null });
      expect(result.outcome).toBe("new_leaf");
      nodes = result.nodes;
      parent = r;
    }
    expect(winningRev(findLeaves(nodes))).toBe(`5000-${"a".repeat(32)}`);
  });
});
