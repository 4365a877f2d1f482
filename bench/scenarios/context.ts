/** What every bench scenario gets: the running services, the mode's sizes, a logger. */
import type { WranglerDevHandle } from "../../test/support/relay.js";
import type { Peer } from "../services.js";

export interface BenchContext {
  quick: boolean;
  /** Tiny sizes: CI's smoke run, which only proves every scenario runs. */
  smoke: boolean;
  /** Repeated runs per figure (medians of these). */
  repeats: number;
  /** `--scale N`: multiplies scenario 1's writes per run (default 1), e.g. quick runs at full size. */
  scale: number;
  /** `--rows N`: rows held for scenario 7's edge query (default by mode: 200, 500, 2,000). */
  queryRows?: number;
  /** Requests in flight on each side (issue 12: 8). */
  window: number;
  relay: WranglerDevHandle;
  ceiling: WranglerDevHandle;
  peer: Peer;
  /** A fresh name per call, so repeated runs never reuse a user object or a peer database. */
  unique(prefix: string): string;
  /** A fresh relay user id (integer owner fields want the canonical spelling of an integer). */
  newUser(): string;
  log(msg: string): void;
  /**
   * `--profile` for a scenario that starts its own relay (6, 7): profile `relay` over `fn`, print
   * the summary and keep the .cpuprofile. Without `--profile` it only runs `fn`.
   */
  profileSection<T>(relay: WranglerDevHandle, name: string, fn: () => Promise<T>): Promise<T>;
}

/** Pick a size by mode. */
export function size(ctx: BenchContext, smoke: number, quick: number, full: number): number {
  return ctx.smoke ? smoke : ctx.quick ? quick : full;
}
