/**
 * What a bench scenario reports (issue 12): figures, each the relay's value beside the peer's
 * measured in the same run, as medians of repeated runs with min and max, and the per-run
 * ratio relay / peer. A target states which way is better and the bound the issue sets.
 */
import { round, spread, type Spread } from "./stats.js";

export interface Target {
  /** Human text of the target, e.g. ">= 1.5x the peer". */
  text: string;
  /** Which number the target is read from. */
  on: "ratio" | "relay" | "ceiling_share";
  /** `min`: value must be at least `bound`; `max`: at most. */
  kind: "min" | "max";
  bound: number;
}

export interface Figure {
  scenario: number;
  id: string;
  label: string;
  unit: string;
  /** Which way is better for the value (and for relay/peer). */
  better: "higher" | "lower";
  relay: Spread;
  peer?: Spread;
  /** Per-run relay / peer, summarised. */
  ratio?: Spread;
  /** Relay / ceiling object, per run (scenario 1). */
  ceiling?: Spread;
  ceiling_share?: Spread;
  target?: Target & { met: boolean };
  /** Anything else worth keeping (frames, memory, counts). */
  extra?: Record<string, unknown>;
}

export interface ScenarioResult {
  scenario: number;
  title: string;
  figures: Figure[];
  notes: string[];
  error?: string;
  seconds: number;
}

function roundSpread(s: Spread): Spread {
  return { median: round(s.median), min: round(s.min), max: round(s.max), runs: s.runs.map(round) };
}

/** Build a figure from paired per-run values (relay[i] and peer[i] measured in the same round). */
export function figure(
  base: Omit<Figure, "relay" | "peer" | "ratio" | "target" | "ceiling" | "ceiling_share">,
  relayRuns: number[],
  peerRuns?: number[],
  opts: { target?: Target; ceilingRuns?: number[] } = {},
): Figure {
  const f: Figure = { ...base, relay: roundSpread(spread(relayRuns)) };
  if (peerRuns && peerRuns.length > 0) {
    f.peer = roundSpread(spread(peerRuns));
    f.ratio = roundSpread(spread(relayRuns.map((r, i) => r / peerRuns[i]!)));
  }
  if (opts.ceilingRuns && opts.ceilingRuns.length > 0) {
    f.ceiling = roundSpread(spread(opts.ceilingRuns));
    f.ceiling_share = roundSpread(spread(relayRuns.map((r, i) => r / opts.ceilingRuns![i]!)));
  }
  if (opts.target) {
    const t = opts.target;
    const value = t.on === "ratio" ? f.ratio?.median : t.on === "ceiling_share" ? f.ceiling_share?.median : f.relay.median;
    const met = value !== undefined && Number.isFinite(value) && (t.kind === "min" ? value >= t.bound : value <= t.bound);
    f.target = { ...t, met };
  }
  return f;
}
