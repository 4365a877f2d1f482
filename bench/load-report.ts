/** Figures of a load run: percentiles, the reconnect histogram, the console summary and bench/LOAD.md. */
import type { CheckStats } from "./load-check.js";
import type { History, Phase } from "./load-history.js";
import type { LoadOptions, MachineInfo } from "./load-options.js";

export interface Timeline {
  connectMs: number;
  steadyMs: number;
  steadyStart: number;
  /** CPU seconds used during the steady phase by the relay's process group and by this process. */
  cpu: { relayS: number; loadS: number; relayRssMiB: number };
  /** 1-minute load average at the start and at the end of the steady phase (the box is shared). */
  loadAvg: [number, number];
  ackedAtDrop: number;
  pendingAtDrop: number;
  /** From the drop until the old wrangler was gone, then until the new one answered health. */
  stopMs: number;
  restartMs: number;
  /** From the drop until every device was back to sync_ready / also held every acked row. */
  allReadyMs: number | null;
  convergedMs: number | null;
  readyAfterDropMs: number[];
  /** Reconnections scheduled per device after the drop. */
  reconnects: number[];
  rowsPerUser: number[];
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

const ms = (v: number | null): string => (v === null || Number.isNaN(v) ? "n/a" : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
const perS = (count: number, durationMs: number): string => (count / (durationMs / 1000)).toFixed(0);
const phaseCount = (m: Map<Phase, number>, p: Phase): number => m.get(p) ?? 0;

const counts = (m: Map<string, number>): string => (m.size === 0 ? "none" : [...m].map(([c, n]) => `${c}: ${n}`).join(", "));

function histogram(values: readonly number[]): Array<[number, number]> {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => a[0] - b[0]);
}

function figures(o: LoadOptions, h: History, t: Timeline, s: CheckStats): Array<[string, string]> {
  const lat = h.ackLatencyMs;
  const ready = t.readyAfterDropMs;
  const half = t.steadyStart + t.steadyMs / 2;
  const late = lat.filter((_, i) => h.ackAt[i]! >= half);
  const cores = (cpuS: number) => (cpuS / (t.steadyMs / 1000)).toFixed(2);
  return [
    ["devices (sockets) / users", `${o.users * o.socketsPerUser} / ${o.users}`],
    ["all sockets at sync_ready (initial connect)", ms(t.connectMs)],
    ["steady phase", `${(t.steadyMs / 1000).toFixed(1)} s at ${o.rate} writes/s per device`],
    ["writes made / acked (applied, of which re-sent duplicates)", `${h.writesMade} / ${h.acked} (${h.duplicates})`],
    ["acked before the drop / pending at the drop", `${t.ackedAtDrop} / ${t.pendingAtDrop}`],
    ["push ack latency p50 / p95 / p99 / max (steady)", `${ms(percentile(lat, 50))} / ${ms(percentile(lat, 95))} / ${ms(percentile(lat, 99))} / ${ms(percentile(lat, 100))} (n=${lat.length})`],
    ["push ack latency p50 / p95 / p99, second half of the steady phase", `${ms(percentile(late, 50))} / ${ms(percentile(late, 95))} / ${ms(percentile(late, 99))} (n=${late.length})`],
    ["write call to result p50 / p95 / p99 (steady; includes the client's outbox queue)", `${ms(percentile(h.writeLatencyMs, 50))} / ${ms(percentile(h.writeLatencyMs, 95))} / ${ms(percentile(h.writeLatencyMs, 99))} (n=${h.writeLatencyMs.length})`],
    ["frames/s in (relay to devices) / out (steady)", `${perS(phaseCount(h.framesIn, "steady"), t.steadyMs)} / ${perS(phaseCount(h.framesOut, "steady"), t.steadyMs)}`],
    ["CPU during the steady phase, in cores: relay (wrangler + workerd) / load generator", `${cores(t.cpu.relayS)} / ${cores(t.cpu.loadS)} (relay RSS ${t.cpu.relayRssMiB} MiB)`],
    ["deploy: old relay gone / new relay healthy", `${ms(t.stopMs)} / ${ms(t.stopMs + t.restartMs)} after the drop`],
    ["drop to every device back at sync_ready", ms(t.allReadyMs)],
    ["drop to every device holding every acked row", ms(t.convergedMs)],
    ["per-device drop to sync_ready p50 / p95 / p99", `${ms(percentile(ready, 50))} / ${ms(percentile(ready, 95))} / ${ms(percentile(ready, 99))}`],
    ["reconnect attempts per device p50 / p95 / max", `${percentile(t.reconnects, 50)} / ${percentile(t.reconnects, 95)} / ${percentile(t.reconnects, 100)}`],
    ["frames in / out during recovery", `${phaseCount(h.framesIn, "recovery")} / ${phaseCount(h.framesOut, "recovery")}`],
    ["rows per user p50 / max", `${percentile(t.rowsPerUser, 50)} / ${percentile(t.rowsPerUser, 100)}`],
    ["acked rows checked (devices + fresh devices)", `${s.rowsChecked} (fresh devices: ${s.freshClientsChecked})`],
    ["rows with a later winner than acked / with conflicts", `${s.laterWinners} / ${s.conflictRows}`],
    ["socket closes before the deploy", h.closesBeforeDrop === 0 ? "0" : `${h.closesBeforeDrop} (${counts(h.closeCodesBeforeDrop)})`],
    ["1-min load average at start / end of the steady phase", `${t.loadAvg[0].toFixed(2)} / ${t.loadAvg[1].toFixed(2)}`],
    ["relay error frames by code", counts(h.relayErrors)],
    ["client-side error events by code (socket errors while the relay is down)", counts(h.clientErrors)],
    ["violations", h.violationCount === 0 ? "none" : [...h.violations].map(([k, n]) => `${k}: ${n}`).join(", ")],
  ];
}

/** Ack latency per 5 s window of the steady phase: count, p50, p99. */
function windows(h: History, t: Timeline): Array<[string, number, string, string]> {
  const out: Array<[string, number, string, string]> = [];
  const width = 5_000;
  for (let start = 0; start < t.steadyMs; start += width) {
    const w = h.ackLatencyMs.filter((_, i) => h.ackAt[i]! - t.steadyStart >= start && h.ackAt[i]! - t.steadyStart < start + width);
    out.push([`${start / 1000}-${(start + width) / 1000} s`, w.length, ms(percentile(w, 50)), ms(percentile(w, 99))]);
  }
  return out;
}

/** Devices back at sync_ready, cumulative, per second after the drop. */
function readyBySecond(t: Timeline): string {
  const end = Math.ceil(Math.max(0, ...t.readyAfterDropMs) / 1000);
  const parts: string[] = [];
  for (let s = 1; s <= end; s++) parts.push(`${s}s:${t.readyAfterDropMs.filter((v) => v < s * 1000).length}`);
  return parts.join(" ");
}

export function summary(o: LoadOptions, h: History, t: Timeline, s: CheckStats, notes: string[]): string {
  const rows = figures(o, h, t, s).map(([k, v]) => `  ${k.padEnd(58)} ${v}`);
  const hist = histogram(t.reconnects).map(([a, n]) => `${a}:${n}`).join(" ");
  const win = windows(h, t).map(([w, n, p50, p99]) => `${w} n=${n} p50=${p50} p99=${p99}`).join("; ");
  return [`${h.violationCount === 0 ? "PASS" : "FAIL"}: ${o.command}`, ...rows, `  reconnect attempts histogram (attempts:devices) ${hist}`,
    `  devices back at sync_ready by second after the drop ${readyBySecond(t)}`, `  ack latency by window: ${win}`, ...notes.map((n) => `  note: ${n}`)].join("\n");
}

/** Hand-written notes start here in bench/LOAD.md; a run keeps them. */
export const NOTES_MARKER = "<!-- notes: kept by npm run load -->";

export function renderReport(o: LoadOptions, m: MachineInfo, h: History, t: Timeline, s: CheckStats, notes: string[], kept: string): string {
  const table = figures(o, h, t, s).map(([k, v]) => `| ${k} | ${v} |`);
  const hist = histogram(t.reconnects);
  const widest = Math.max(1, ...hist.map(([, n]) => n));
  const histRows = hist.map(([a, n]) => `| ${a} | ${n} | ${"#".repeat(Math.max(1, Math.round((n / widest) * 40)))} |`);
  return `# Load test: latest results

Written by \`${o.command}\` (bench/load.ts, issue 5). Everything above the notes marker is
rewritten by each run; the notes below it are kept.

**Result: ${h.violationCount === 0 ? "PASS (no violation)" : `FAIL (${h.violationCount} violations)`}**

## Machine
- ${m.nproc} cores, ${m.cpu}, ${m.memGiB} GiB; ${m.os}
- Node ${m.node}; open-file soft limit ${m.openFiles ?? "unknown"}
- ${m.date}, commit ${m.commit}${m.dirty ? " plus uncommitted changes to the relay's sources" : ""}

## Run
- relay: \`wrangler dev --local\` on 127.0.0.1, standalone (no origin), DJAZZKIT_JWT_SECRET set;
  ${notes.length ? notes.join("; ") : "every other setting at its default (64 sockets per user, 50 frames/s per socket)"}
- ${o.users} users x ${o.socketsPerUser} devices, seed ${o.seed}; each device: \`RelayClient\` over \`ws\`,
  SDK default backoff (full jitter, base 500 ms, cap 30 s), in-memory store
- steady phase ${o.seconds} s, ${o.rate} writes/s per device (exponential gaps), mix: create/update
  notes.Task (lww, shared by the user's devices), create/update notes.Note (revision_tree, own notes)
- deploy: SIGTERM to the wrangler process group at the end of the steady phase (writes in
  flight), then \`wrangler dev\` again on the same port and \`--persist-to\` dir

## Figures
| measure | value |
|---|---|
${table.join("\n")}

## Push ack latency over the steady phase (push frame sent to its push_result)
| window | acks | p50 | p99 |
|---|---|---|---|
${windows(h, t).map(([w, n, p50, p99]) => `| ${w} | ${n} | ${p50} | ${p99} |`).join("\n")}

## Devices back at sync_ready after the drop (cumulative, by second)
${readyBySecond(t)}

## Reconnect attempts after the drop (reconnections scheduled per device)
| attempts | devices | |
|---|---|---|
${histRows.join("\n")}
${h.messages.length ? `\n## Violations (first ${h.messages.length})\n${h.messages.map((x) => `- ${x}`).join("\n")}\n` : ""}
${kept || NOTES_MARKER + "\n"}`;
}
