#!/usr/bin/env node
/**
 * Benchmark of revtree against pouchdb-merge (the peer), same inputs, same run.
 * `npm run bench` bundles the TypeScript library with esbuild to a temp file (Node 20 cannot
 * strip types), times each case over repeated rounds, alternating ours and the peer, prints
 * medians and ours/peer ratios, and rewrites bench/RESULTS.md.
 * Options: --rounds N (default 21), --no-write (print only).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const args = process.argv.slice(2);
const ROUNDS = Number(args[args.indexOf("--rounds") + 1]) || 21;
const WARMUP = 3;

const out = mkdtempSync(join(tmpdir(), "revtree-bench-"));
await build({ entryPoints: [join(root, "revtree/index.ts")], bundle: true, format: "esm", platform: "neutral", outfile: join(out, "revtree.mjs"), logLevel: "warning" });
const ours = await import(pathToFileURL(join(out, "revtree.mjs")).href);
rmSync(out, { recursive: true, force: true });
const peer = createRequire(import.meta.url)("pouchdb-merge");

// ---- inputs (seeded, so every run measures the same trees) ----
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const hex = (r) => Array.from({ length: 32 }, () => "0123456789abcdef"[Math.floor(r() * 16)]).join("");
const genOf = (rev) => Number(rev.slice(0, rev.indexOf("-")));
const hashOf = (rev) => rev.slice(rev.indexOf("-") + 1);

/** A random row: `size` revisions, mostly extending recent ones, some branches, roots and tombstones. */
function randomTree(r, size) {
  const nodes = [];
  for (let i = 0; i < size; i++) {
    const roll = r();
    const parent = i === 0 || roll < 0.03 ? null : nodes[Math.max(0, i - 1 - Math.floor(r() * r() * i))];
    const gen = parent ? genOf(parent.rev) + 1 : 1;
    const deleted = r() < 0.15;
    nodes.push({ rev: `${gen}-${hex(r)}`, parent: parent ? parent.rev : null, deleted, data: deleted ? null : { i } });
  }
  return nodes;
}
function line(r, depth) {
  const nodes = [];
  for (let gen = 1; gen <= depth; gen++) nodes.push({ rev: `${gen}-${hex(r)}`, parent: gen === 1 ? null : nodes[gen - 2].rev, deleted: false, data: null });
  return nodes;
}
function wide(r, leaves) {
  const top = { rev: `1-${hex(r)}`, parent: null, deleted: false, data: null };
  const nodes = [top];
  for (let i = 0; i < leaves; i++) nodes.push({ rev: `2-${hex(r)}`, parent: top.rev, deleted: r() < 0.2, data: null });
  return nodes;
}
/** pouchdb's nested rev_tree for a flat list (fresh objects each call: pouch mutates trees). */
function toPouch(nodes) {
  const byRev = new Map();
  for (const n of nodes) byRev.set(n.rev, [hashOf(n.rev), n.deleted ? { status: "available", deleted: true } : { status: "available" }, []]);
  const roots = [];
  for (const n of nodes) {
    const p = n.parent === null ? undefined : byRev.get(n.parent);
    if (p) p[2].push(byRev.get(n.rev));
    else roots.push({ pos: genOf(n.rev), ids: byRev.get(n.rev) });
  }
  for (const t of byRev.values()) t[2].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return roots.sort((a, b) => a.pos - b.pos);
}
/** The path pouch's merge() takes to add one revision (its parent as a missing stub). */
function pouchPath(n) {
  const opts = n.deleted ? { status: "available", deleted: true } : { status: "available" };
  if (n.parent === null) return { pos: genOf(n.rev), ids: [hashOf(n.rev), opts, []] };
  return { pos: genOf(n.parent), ids: [hashOf(n.parent), { status: "missing" }, [[hashOf(n.rev), opts, []]]] };
}

const r = rng(20260426);
const forest = Array.from({ length: 2000 }, () => randomTree(r, 5 + Math.floor(r() * 30)));
const deepLine = line(r, 2000);
const wideTree = wide(r, 1000);
const stream = randomTree(r, 500);
const REVS_LIMIT = 1000;

function oursWinner(nodes) {
  const leaves = ours.findLeaves(nodes);
  const w = ours.winningRev(leaves);
  return [w, ours.collectConflicts(leaves, w)];
}
function peerWinner(meta) {
  return [peer.winningRev(meta), peer.collectConflicts(meta)];
}

// Each case: prepare() builds per-round inputs outside the timed region; run(input) is timed.
const cases = [
  {
    name: "(a) winner + conflicts, 2000 random trees (5-34 revs)",
    ours: { prepare: () => forest, run: (f) => { for (const t of f) oursWinner(t); } },
    peer: { prepare: () => forest.map((t) => ({ rev_tree: toPouch(t) })), run: (f) => { for (const m of f) peerWinner(m); } },
  },
  {
    name: "(a2) winner + conflicts, one 2000-deep line",
    ours: { prepare: () => deepLine, run: (t) => { for (let i = 0; i < 20; i++) oursWinner(t); } },
    peer: { prepare: () => ({ rev_tree: toPouch(deepLine) }), run: (m) => { for (let i = 0; i < 20; i++) peerWinner(m); } },
  },
  {
    name: "(a3) winner + conflicts, 1000 sibling leaves",
    ours: { prepare: () => wideTree, run: (t) => { for (let i = 0; i < 20; i++) oursWinner(t); } },
    peer: { prepare: () => ({ rev_tree: toPouch(wideTree) }), run: (m) => { for (let i = 0; i < 20; i++) peerWinner(m); } },
  },
  {
    name: "(b) merge a stream of 500 revisions, stem to 1000 each time",
    ours: {
      prepare: () => stream,
      run: (s) => { let acc = []; for (const n of s) acc = ours.stem(ours.mergeRevision(acc, n).nodes, REVS_LIMIT).nodes; },
    },
    peer: {
      prepare: () => stream.map(pouchPath),
      run: (paths) => { let tree = []; for (const p of paths) tree = peer.merge(tree, p, REVS_LIMIT).tree; },
    },
  },
  {
    name: "(c) stem a 2000-deep line to 1000",
    ours: { prepare: () => deepLine, run: (t) => ours.stem(t, REVS_LIMIT) },
    // pouch's stem is internal; merge() of a path the tree already holds runs only the stem.
    peer: { prepare: () => ({ tree: toPouch(deepLine), path: pouchPath(deepLine[0]) }), run: ({ tree, path }) => peer.merge(tree, path, REVS_LIMIT) },
  },
];

function time(side) {
  const input = side.prepare();
  const t0 = process.hrtime.bigint();
  side.run(input);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };

const results = [];
for (const c of cases) {
  const t = { ours: [], peer: [] };
  for (let round = 0; round < WARMUP + ROUNDS; round++) {
    const order = round % 2 ? ["peer", "ours"] : ["ours", "peer"]; // alternate, so drift hits both
    for (const side of order) {
      const ms = time(c[side]);
      if (round >= WARMUP) t[side].push(ms);
    }
  }
  const row = { name: c.name, ours: median(t.ours), peer: median(t.peer) };
  row.ratio = row.ours / row.peer;
  results.push(row);
  console.log(`${row.name.padEnd(62)} ours ${row.ours.toFixed(3).padStart(9)} ms   pouchdb-merge ${row.peer.toFixed(3).padStart(9)} ms   ours/peer ${row.ratio.toFixed(3)}`);
}

if (!args.includes("--no-write")) {
  const cpu = (readFileSync("/proc/cpuinfo", "utf8").match(/model name\s*:\s*(.*)/) ?? [])[1] ?? cpus()[0]?.model ?? "unknown";
  const nproc = execFileSync("nproc").toString().trim();
  const peerVersion = JSON.parse(readFileSync(join(root, "node_modules/pouchdb-merge/package.json"), "utf8")).version;
  const table = results.map((x) => `| ${x.name} | ${x.ours.toFixed(3)} | ${x.peer.toFixed(3)} | ${x.ratio.toFixed(3)} |`).join("\n");
  const notes = readFileSync(join(root, "bench/NOTES.md"), "utf8").trim();
  writeFileSync(
    join(root, "bench/RESULTS.md"),
    `# Revision-tree benchmark: revtree vs pouchdb-merge ${peerVersion}

Generated by \`npm run bench\` (bench/revtree.bench.mjs); do not edit by hand, edit bench/NOTES.md.

- Date: ${new Date().toISOString()}
- Machine: ${nproc} CPUs (\`nproc\`), ${cpu}; Node ${process.version}
- A shared 2-core box: absolute times move with the neighbours' load, so read the medians
  and the ratios, not single rounds. ${ROUNDS} timed rounds after ${WARMUP} warm-up rounds,
  ours and the peer alternating within each round on the same inputs.

| case | ours median (ms) | pouchdb-merge median (ms) | ours/peer |
|---|---:|---:|---:|
${table}

${notes}
`,
  );
  console.log("wrote bench/RESULTS.md");
}
