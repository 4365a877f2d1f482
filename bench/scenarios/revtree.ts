/**
 * Scenario 8 (issue 12): the revision engine (revtree/) against `pouchdb-merge` on the
 * same seeded random histories, deep lines and wide sibling sets (formerly
 * bench/revtree.bench.mjs). Each case times ours and the peer alternately within a round on the
 * same inputs, after warm-up rounds; figures are per-case times with ours/peer per round.
 * What each case measures and how to read it: bench/NOTES.md.
 */
import { createRequire } from "node:module";
import * as ours from "../../revtree/index.js";
import type { RevNode } from "../../revtree/index.js";
import { figure, type ScenarioResult } from "../figures.js";
import { size, type BenchContext } from "./context.js";

// pouchdb-merge ships no types; the shapes used here are its documented rev_tree/path format.
type PouchTree = Array<{ pos: number; ids: unknown[] }>;
interface PouchMerge {
  winningRev(meta: { rev_tree: PouchTree }): string;
  collectConflicts(meta: { rev_tree: PouchTree }): string[];
  merge(tree: PouchTree, path: { pos: number; ids: unknown[] }, depth: number): { tree: PouchTree };
}
const peer = createRequire(import.meta.url)("pouchdb-merge") as PouchMerge;

function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const hex = (r: () => number) => Array.from({ length: 32 }, () => "0123456789abcdef"[Math.floor(r() * 16)]).join("");
const genOf = (rev: string) => Number(rev.slice(0, rev.indexOf("-")));
const hashOf = (rev: string) => rev.slice(rev.indexOf("-") + 1);

/** A random row: `size` revisions, mostly extending recent ones, some branches, roots and tombstones. */
function randomTree(r: () => number, n: number): RevNode[] {
  const nodes: RevNode[] = [];
  for (let i = 0; i < n; i++) {
    const roll = r();
    const parent = i === 0 || roll < 0.03 ? null : nodes[Math.max(0, i - 1 - Math.floor(r() * r() * i))]!;
    const gen = parent ? genOf(parent.rev) + 1 : 1;
    const deleted = r() < 0.15;
    nodes.push({ rev: `${gen}-${hex(r)}`, parent: parent ? parent.rev : null, deleted, data: deleted ? null : { i } });
  }
  return nodes;
}
function line(r: () => number, depth: number): RevNode[] {
  const nodes: RevNode[] = [];
  for (let gen = 1; gen <= depth; gen++) nodes.push({ rev: `${gen}-${hex(r)}`, parent: gen === 1 ? null : nodes[gen - 2]!.rev, deleted: false, data: null });
  return nodes;
}
function wide(r: () => number, leaves: number): RevNode[] {
  const top: RevNode = { rev: `1-${hex(r)}`, parent: null, deleted: false, data: null };
  const nodes = [top];
  for (let i = 0; i < leaves; i++) nodes.push({ rev: `2-${hex(r)}`, parent: top.rev, deleted: r() < 0.2, data: null });
  return nodes;
}
type PouchNode = [string, { status: string; deleted?: boolean }, PouchNode[]];
/** pouchdb's nested rev_tree for a flat list (fresh objects each call: pouch mutates trees). */
function toPouch(nodes: RevNode[]): PouchTree {
  const byRev = new Map<string, PouchNode>();
  for (const n of nodes) byRev.set(n.rev, [hashOf(n.rev), n.deleted ? { status: "available", deleted: true } : { status: "available" }, []]);
  const roots: Array<{ pos: number; ids: PouchNode }> = [];
  for (const n of nodes) {
    const p = n.parent === null ? undefined : byRev.get(n.parent);
    if (p) p[2].push(byRev.get(n.rev)!);
    else roots.push({ pos: genOf(n.rev), ids: byRev.get(n.rev)! });
  }
  for (const t of byRev.values()) t[2].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return roots.sort((a, b) => a.pos - b.pos);
}
/** The path pouch's merge() takes to add one revision (its parent as a missing stub). */
function pouchPath(n: RevNode): { pos: number; ids: PouchNode } {
  const opts = n.deleted ? { status: "available", deleted: true } : { status: "available" };
  if (n.parent === null) return { pos: genOf(n.rev), ids: [hashOf(n.rev), opts, []] };
  return { pos: genOf(n.parent), ids: [hashOf(n.parent), { status: "missing" }, [[hashOf(n.rev), opts, []]]] };
}

const REVS_LIMIT = 1000;

function oursWinner(nodes: RevNode[]) {
  const leaves = ours.findLeaves(nodes);
  const w = ours.winningRev(leaves);
  return [w, ours.collectConflicts(leaves, w)];
}
function peerWinner(meta: { rev_tree: PouchTree }) {
  return [peer.winningRev(meta), peer.collectConflicts(meta)];
}

interface Side<T> {
  prepare: () => T;
  run: (input: T) => unknown;
}
interface Case {
  id: string;
  name: string;
  ours: Side<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  peer: Side<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/**
 * The lists as a replica reads them back from storage: every id its own string. Built in
 * memory, a child's `parent` would be the very string object of its parent's `rev`, so
 * comparing the two would cost a pointer test that a stored tree never gets.
 */
const stored = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

function cases(): Case[] {
  const r = rng(20260426);
  const forest = stored(Array.from({ length: 2000 }, () => randomTree(r, 5 + Math.floor(r() * 30))));
  const deepLine = stored(line(r, 2000));
  const wideTree = stored(wide(r, 1000));
  const stream = stored(randomTree(r, 500));
  return [
    {
      id: "a",
      name: "(a) winner + conflicts, 2000 random trees (5-34 revs)",
      ours: { prepare: () => forest, run: (f: RevNode[][]) => { for (const t of f) oursWinner(t); } },
      peer: { prepare: () => forest.map((t) => ({ rev_tree: toPouch(t) })), run: (f: Array<{ rev_tree: PouchTree }>) => { for (const m of f) peerWinner(m); } },
    },
    {
      id: "a2",
      name: "(a2) winner + conflicts, one 2000-deep line",
      ours: { prepare: () => deepLine, run: (t: RevNode[]) => { for (let i = 0; i < 20; i++) oursWinner(t); } },
      peer: { prepare: () => ({ rev_tree: toPouch(deepLine) }), run: (m: { rev_tree: PouchTree }) => { for (let i = 0; i < 20; i++) peerWinner(m); } },
    },
    {
      id: "a3",
      name: "(a3) winner + conflicts, 1000 sibling leaves",
      ours: { prepare: () => wideTree, run: (t: RevNode[]) => { for (let i = 0; i < 20; i++) oursWinner(t); } },
      peer: { prepare: () => ({ rev_tree: toPouch(wideTree) }), run: (m: { rev_tree: PouchTree }) => { for (let i = 0; i < 20; i++) peerWinner(m); } },
    },
    {
      id: "b",
      name: "(b) merge a stream of 500 revisions, stem to 1000 each time",
      ours: { prepare: () => stream, run: (s: RevNode[]) => { let acc: RevNode[] = []; for (const n of s) acc = ours.stem(ours.mergeRevision(acc, n).nodes, REVS_LIMIT).nodes; } },
      peer: { prepare: () => stream.map(pouchPath), run: (paths: Array<{ pos: number; ids: PouchNode }>) => { let tree: PouchTree = []; for (const p of paths) tree = peer.merge(tree, p, REVS_LIMIT).tree; } },
    },
    {
      id: "c",
      name: "(c) stem a 2000-deep line to 1000",
      ours: { prepare: () => deepLine, run: (t: RevNode[]) => ours.stem(t, REVS_LIMIT) },
      // pouch's stem is internal; merge() of a path the tree already holds runs only the stem.
      peer: { prepare: () => ({ tree: toPouch(deepLine), path: pouchPath(deepLine[0]!) }), run: ({ tree, path }: { tree: PouchTree; path: { pos: number; ids: PouchNode } }) => peer.merge(tree, path, REVS_LIMIT) },
    },
  ];
}

function time<T>(side: Side<T>): number {
  const input = side.prepare();
  const t0 = performance.now();
  side.run(input);
  return performance.now() - t0;
}

export async function runRevtree(ctx: BenchContext): Promise<Omit<ScenarioResult, "seconds">> {
  const rounds = size(ctx, 3, 9, 21);
  const warmup = 3;
  const figures = [];
  for (const c of cases()) {
    const t = { ours: [] as number[], peer: [] as number[] };
    for (let round = 0; round < warmup + rounds; round++) {
      const order = round % 2 ? (["peer", "ours"] as const) : (["ours", "peer"] as const);
      for (const side of order) {
        const ms = time(c[side]);
        if (round >= warmup) t[side].push(ms);
      }
      await new Promise((r) => setImmediate(r));
    }
    figures.push(
      figure({ scenario: 8, id: `revtree.${c.id}`, label: c.name, unit: "ms", better: "lower", extra: { rounds } }, t.ours, t.peer, {
        target: { text: "at least 2x pouchdb-merge (<= 0.5x its time)", on: "ratio", kind: "max", bound: 0.5 },
      }),
    );
  }
  ctx.log(`revtree: ${figures.map((f) => `${f.id} ${f.ratio?.median}`).join(", ")} (ours/peer time)`);
  return {
    scenario: 8,
    title: "Revision engine vs pouchdb-merge",
    figures,
    notes: [`${rounds} timed rounds after ${warmup} warm-up rounds, ours and the peer alternating within each round; here "relay" is revtree/ and "peer" is pouchdb-merge, both in the bench's Node process`],
  };
}
