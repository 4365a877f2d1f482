/**
 * Fixtures for the revision-tree tests (test/unit/revtree-*.test.ts): ASCII trees, random
 * trees for fast-check, and the conversion to `pouchdb-merge`'s nested rev_tree.
 * Every helper returns fresh objects, so no test can leak state into another.
 */
import fc from "fast-check";
import type { RevNode } from "../../revtree/index.js";

/** `rev("3b")` is `"3-b000…0"`: generation 3, hash "b" padded to 32 hex (labels use a-f). */
export function rev(label: string): string {
  const m = /^(\d+)([a-f]+)$/.exec(label);
  if (!m) throw new Error(`bad label ${label}`);
  return `${m[1]}-${m[2]!.padEnd(32, "0")}`;
}

/** One node by labels: `node("3b", "2a")`, `node("2c", null, true)` for a deleted root. */
export function node(label: string, parent: string | null, deleted = false): RevNode {
  return { rev: rev(label), parent: parent === null ? null : rev(parent), deleted, data: deleted ? null : { label } };
}

/**
 * A tree drawn in ASCII. Each label is `<gen><a-f letters>`, `*` marks a deleted revision,
 * and a label's parent is the nearest label above it that starts further left:
 *
 *     1a
 *     ├─ 2a
 *     │  └─ 3a
 *     └─ 2b*
 */
export function tree(drawing: string): RevNode[] {
  const nodes: RevNode[] = [];
  const open: { column: number; label: string }[] = [];
  for (const line of drawing.split("\n")) {
    const m = /(\d+[a-f]+)(\*?)/.exec(line);
    if (!m) continue;
    const column = m.index;
    while (open.length > 0 && open[open.length - 1]!.column >= column) open.pop();
    const parent = open.length > 0 ? open[open.length - 1]!.label : null;
    const n = node(m[1]!, parent, m[2] === "*");
    if (parent !== null && genOf(n.rev) !== genOf(rev(parent)) + 1) throw new Error(`gen of ${m[1]} under ${parent}`);
    nodes.push(n);
    open.push({ column, label: m[1]! });
  }
  return nodes;
}

function genOf(r: string): number {
  return Number(r.slice(0, r.indexOf("-")));
}

const HEX = "0123456789abcdef".split("");

/**
 * Random revision lists: 1..maxNodes nodes, each a root (generation 1..4, as after stemming)
 * or a child of an earlier node; about a third deleted. Hashes start with 3 random hex
 * characters (so equal generations often tie-break on the hash) and end with the node's index,
 * which keeps ids unique even when fast-check shrinks the random part.
 */
export function arbRevList(maxNodes = 24): fc.Arbitrary<RevNode[]> {
  const spec = fc.record({
    root: fc.integer({ min: 0, max: 7 }), // 0: a new root
    rootGen: fc.integer({ min: 1, max: 4 }),
    parentPick: fc.nat(),
    deleted: fc.integer({ min: 0, max: 2 }), // 0: deleted
    prefix: fc.string({ unit: fc.constantFrom(...HEX), minLength: 3, maxLength: 3 }),
  });
  return fc.array(spec, { minLength: 1, maxLength: maxNodes }).map((specs) => {
    const nodes: RevNode[] = [];
    specs.forEach((s, i) => {
      const parent = i === 0 || s.root === 0 ? null : nodes[s.parentPick % i]!;
      const gen = parent === null ? s.rootGen : genOf(parent.rev) + 1;
      const deleted = s.deleted === 0;
      nodes.push({
        rev: `${gen}-${s.prefix}${i.toString(16).padStart(29, "0")}`,
        parent: parent === null ? null : parent.rev,
        deleted,
        data: deleted ? null : { i },
      });
    });
    return nodes;
  });
}

/** A random list together with a permutation of it (the same revisions, another arrival order). */
export function arbRevListAndOrder(maxNodes = 24): fc.Arbitrary<{ nodes: RevNode[]; order: RevNode[] }> {
  return arbRevList(maxNodes).chain((nodes) =>
    fc
      .shuffledSubarray(nodes, { minLength: nodes.length, maxLength: nodes.length })
      .map((order) => ({ nodes, order })),
  );
}

// pouchdb-merge's format: rev_tree = [{pos, ids: [hash, opts, children]}], children = [hash, opts, children][]
export type PouchTree = [string, { status: string; deleted?: boolean }, PouchTree[]];
export type PouchRevTree = { pos: number; ids: PouchTree }[];

/** Our flat list as a pouchdb rev_tree: one path per root (a node whose parent is absent). */
export function toPouchRevTree(nodes: readonly RevNode[]): PouchRevTree {
  const byRev = new Map<string, PouchTree>();
  for (const n of nodes) {
    const opts: PouchTree[1] = n.deleted ? { status: "available", deleted: true } : { status: "available" };
    byRev.set(n.rev, [n.rev.slice(n.rev.indexOf("-") + 1), opts, []]);
  }
  const roots: PouchRevTree = [];
  for (const n of nodes) {
    const parent = n.parent === null ? undefined : byRev.get(n.parent);
    if (parent) parent[2].push(byRev.get(n.rev)!);
    else roots.push({ pos: genOf(n.rev), ids: byRev.get(n.rev)! });
  }
  for (const t of byRev.values()) t[2].sort((a, b) => (a[0] < b[0] ? -1 : 1)); // pouch keeps children sorted
  roots.sort((a, b) => a.pos - b.pos);
  return roots;
}

/** Merges `nodes` one by one (with `merge`) into an empty list. */
export function mergeAll(
  merge: (nodes: RevNode[], n: RevNode) => { nodes: RevNode[] },
  nodes: readonly RevNode[],
): RevNode[] {
  let acc: RevNode[] = [];
  for (const n of nodes) acc = merge(acc, n).nodes;
  return acc;
}

/** Revision ids, sorted: for comparing node sets regardless of order. */
export function revSet(nodes: readonly { rev: string }[]): string[] {
  return nodes.map((n) => n.rev).sort();
}
