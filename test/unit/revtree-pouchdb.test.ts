/**
 * Differential tests against pouchdb-merge (CouchDB's algorithms as PouchDB ships them).
 * Our flat lists are converted to pouch's nested rev_tree (`toPouchRevTree`); random lists
 * include deleted leaves, several roots and roots above generation 1 (as after stemming).
 */
import { createRequire } from "node:module";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { collectConflicts, findLeaves, mergeRevision, stem, winningRev, type RevNode } from "../../revtree/index.js";
import { arbDeepWide, arbRevList, toPouchRevTree, type PouchRevTree, type PouchTree } from "../support/revtree-fixtures.js";

interface PouchMerge {
  winningRev(metadata: { rev_tree: PouchRevTree }): string;
  collectConflicts(metadata: { rev_tree: PouchRevTree }): string[];
  merge(tree: PouchRevTree, path: { pos: number; ids: PouchTree }, depth: number): { tree: PouchRevTree; stemmedRevs: string[]; conflicts: string };
}
const pouch = createRequire(import.meta.url)("pouchdb-merge") as PouchMerge;

const hashOf = (rev: string) => rev.slice(rev.indexOf("-") + 1);
const genOf = (rev: string) => Number(rev.slice(0, rev.indexOf("-")));

/**
 * Our winner and conflicts of `nodes` equal pouchdb-merge's on the same tree. Same conflict set;
 * pouch orders by generation only, so the sets are compared sorted and the gens in order.
 */
function expectSameAsPouch(nodes: RevNode[]): { metadata: { rev_tree: PouchRevTree }; leaves: ReturnType<typeof findLeaves>; conflicts: string[] } {
  const leaves = findLeaves(nodes);
  const winner = winningRev(leaves);
  const conflicts = collectConflicts(leaves, winner);
  const metadata = { rev_tree: toPouchRevTree(nodes) };
  expect(winner).toBe(pouch.winningRev(metadata));
  const theirs = pouch.collectConflicts(metadata);
  expect([...conflicts].sort()).toEqual([...theirs].sort());
  expect(conflicts.map(genOf)).toEqual(theirs.map(genOf));
  return { metadata, leaves, conflicts };
}

describe("agreement with pouchdb-merge", () => {
  it("winner and conflicts agree with pouchdb-merge on 1000+ random trees", () => {
    const seen = { multiRoot: 0, deletedLeaf: 0, allDeleted: 0, conflicts: 0 };
    fc.assert(
      fc.property(arbRevList(30), (nodes) => {
        const { metadata, leaves, conflicts } = expectSameAsPouch(nodes);
        if (metadata.rev_tree.length > 1) seen.multiRoot++;
        if (leaves.some((l) => l.deleted)) seen.deletedLeaf++;
        if (leaves.every((l) => l.deleted)) seen.allDeleted++;
        if (conflicts.length > 0) seen.conflicts++;
      }),
      { numRuns: 1500 },
    );
    // The corpus really exercised the interesting shapes.
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(50);
  });

  it("winner and conflicts agree on deep lines and wide sibling sets, in any list order", () => {
    const seen = { deep: 0, wide: 0, mixedGenLengths: 0 };
    fc.assert(
      fc.property(arbDeepWide(), (nodes) => {
        const { leaves } = expectSameAsPouch(nodes);
        if (nodes.length > 1000) seen.deep++;
        if (leaves.length > 500) seen.wide++;
        if (new Set(nodes.map((n) => n.rev.indexOf("-"))).size > 1) seen.mixedGenLengths++;
      }),
      { numRuns: 60 },
    );
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(3);
  });

  it("stemming removes the same revisions as pouchdb-merge's revs_limit", () => {
    fc.assert(
      fc.property(arbRevList(30), fc.integer({ min: 1, max: 8 }), (nodes, limit) => {
        const root = toPouchRevTree(nodes)[0]!;
        // pouch stems inside merge(); merging a path it already holds changes nothing else.
        const path = { pos: root.pos, ids: [root.ids[0], { ...root.ids[1] }, []] as PouchTree };
        const theirs = pouch.merge(toPouchRevTree(nodes), path, limit);
        const ours = stem(nodes, limit);
        expect(ours.removed.map(hashOf).sort()).toEqual(theirs.stemmedRevs.map(hashOf).sort());
        const kept = toPouchRevTree(ours.nodes);
        expect(pouch.winningRev({ rev_tree: kept })).toBe(pouch.winningRev({ rev_tree: theirs.tree }));
      }),
      { numRuns: 500 },
    );
  });

  it("merge tags agree with pouchdb-merge for a new revision whose parent is present", () => {
    fc.assert(
      fc.property(arbRevList(20), fc.nat(), fc.boolean(), (nodes, pick, deleted) => {
        const parent = nodes[pick % nodes.length]!;
        const child: RevNode = { rev: `${genOf(parent.rev) + 1}-${"f".repeat(32)}`, parent: parent.rev, deleted, data: null };
        const ours = mergeRevision(nodes, child).outcome;
        const path = {
          pos: genOf(parent.rev),
          ids: [hashOf(parent.rev), { status: "missing" }, [[hashOf(child.rev), { status: "available" }, []]]] as PouchTree,
        };
        const theirs = pouch.merge(toPouchRevTree(nodes), path, 1000).conflicts;
        expect(ours).toBe(theirs);
      }),
      { numRuns: 500 },
    );
  });
});
