/**
 * `npm run bench -- --profile`: a CPU profile of the relay's workerd isolate (the Worker and its
 * Durable Objects share it) over the scenarios run, through wrangler dev's DevTools proxy
 * (Chrome DevTools Protocol, `Profiler` domain). Writes the `.cpuprofile` (open it in Chrome
 * DevTools or speedscope) and prints where the time went: self time per function and per
 * source file, and inclusive time of the relay's own functions.
 */
import WebSocket from "ws";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
}

export async function startCpuProfile(inspectorPort: number, intervalUs = 200): Promise<{ stop(): Promise<CpuProfile> }> {
  const ws = new WebSocket(`ws://127.0.0.1:${inspectorPort}/ws`);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  let id = 0;
  const pending = new Map<number, (r: unknown) => void>();
  ws.on("message", (data) => {
    const msg = JSON.parse(data.toString()) as { id?: number; result?: unknown; error?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.error ? Promise.reject(new Error(JSON.stringify(msg.error))) : msg.result);
  });
  const call = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((resolve) => {
      const n = ++id;
      pending.set(n, resolve);
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  await call("Profiler.enable");
  await call("Profiler.setSamplingInterval", { interval: intervalUs });
  await call("Profiler.start");
  return {
    async stop() {
      const r = (await call("Profiler.stop")) as { profile: CpuProfile };
      ws.close();
      return r.profile;
    },
  };
}

const short = (url: string) => url.replace(/^.*?\/(worker|durable|revtree|schemas|origin-client|auth|node_modules)\//, "$1/") || "(native)";

/** Text summary: top self time by function and by file, and inclusive time of our functions. */
export function summarizeProfile(p: CpuProfile, top = 30): string {
  const total = p.nodes.reduce((a, n) => a + (n.hitCount ?? 0), 0) || 1;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfFn = new Map<string, number>();
  const selfFile = new Map<string, number>();
  const incl = new Map<string, number>();
  const key = (n: ProfileNode) => `${n.callFrame.functionName || "(anonymous)"} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  for (const n of p.nodes) {
    const hits = n.hitCount ?? 0;
    if (hits === 0) continue;
    selfFn.set(key(n), (selfFn.get(key(n)) ?? 0) + hits);
    const file = short(n.callFrame.url) || n.callFrame.functionName;
    selfFile.set(file, (selfFile.get(file) ?? 0) + hits);
    // inclusive: every distinct function on the stack gets the hits once
    const seen = new Set<string>();
    for (let cur: number | undefined = n.id; cur !== undefined; cur = parent.get(cur)) {
      const k = key(byId.get(cur)!);
      if (!seen.has(k)) {
        seen.add(k);
        incl.set(k, (incl.get(k) ?? 0) + hits);
      }
    }
  }
  const pct = (h: number) => `${((h / total) * 100).toFixed(1).padStart(5)}%`;
  const list = (m: Map<string, number>, filter: (k: string) => boolean = () => true) =>
    [...m.entries()].filter(([k]) => filter(k)).sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, h]) => `  ${pct(h)}  ${k}`).join("\n");
  return [
    `samples: ${total} over ${((p.endTime - p.startTime) / 1e6).toFixed(1)} s`,
    "self time by function:",
    list(selfFn),
    "self time by file:",
    list(selfFile),
    "inclusive time, relay code:",
    list(incl, (k) => /(worker|durable|revtree|schemas|origin-client|auth)\//.test(k)),
  ].join("\n");
}
