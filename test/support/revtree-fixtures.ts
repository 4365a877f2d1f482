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

/**
 * Big shapes for the benchmark's cases (bench/scenarios/revtree.ts): a line of `depth`
 * revisions (up to 2,100, from a root at generation 1..4 or just below a power of ten, so
 * generations of different lengths meet), with `width` sibling leaves (up to 1,100, some
 * deleted) under one of its revisions and a few side branches. The list comes in build order,
 * reversed or shuffled, and every id is its own string (as read back from storage), so no
 * parent is the same string object as its parent's rev. Hashes come from a seeded generator.
 */
export function arbDeepWide(): fc.Arbitrary<RevNode[]> {
  const spec = fc.record({
    seed: fc.integer(),
    depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 2100 })),
    width: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 1100 })),
    rootGen: fc.constantFrom(1, 2, 4, 95, 990, 9_999),
    branchAt: fc.double({ min: 0, max: 1, noNaN: true }),
    branches: fc.integer({ min: 0, max: 5 }),
    order: fc.constantFrom("built", "reversed", "shuffled"),
  });
  return spec.map((s) => {
    const r = seeded(s.seed);
    const hash = () => Array.from({ length: 32 }, () => HEX[Math.floor(r() * 16)]!).join("");
    const nodes: RevNode[] = [];
    const add = (parent: RevNode | null, deleted: boolean): RevNode => {
      const gen = parent === null ? s.rootGen : genOf(parent.rev) + 1;
      const n: RevNode = { rev: `${gen}-${hash()}`, parent: parent === null ? null : parent.rev, deleted, data: null };
      nodes.push(n);
      return n;
    };
    let tip = add(null, false);
    const line = [tip];
    for (let i = 1; i < s.depth; i++) line.push((tip = add(tip, r() < 0.05)));
    const fork = line[Math.floor(s.branchAt * (line.length - 1))]!;
    for (let i = 0; i < s.width; i++) add(fork, r() < 0.2);
    for (let b = 0; b < s.branches; b++) {
      let at = line[Math.floor(r() * line.length)]!;
      for (let k = Math.floor(r() * 4); k >= 0; k--) at = add(at, r() < 0.3);
    }
    if (s.order === "reversed") nodes.reverse();
    if (s.order === "shuffled") {
      for (let i = nodes.length - 1; i > 0; i--) {
        const j = Math.floor(r() * (i + 1));
        [nodes[i], nodes[j]] = [nodes[j]!, nodes[i]!];
      }
    }
    return JSON.parse(JSON.stringify(nodes)) as RevNode[];
  });
}

/** A small seeded generator (mulberry32) for the big shapes above. */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
