/**
 * The client processes of one seed (issue 8 item 1): each slot is one app install of a user,
 * run by a process that may restart. Client ids are shared on purpose, as apps really do (a
 * fixed `clientId` in a Node program, one id per app version): in some seeds every process of
 * every user has the same client id, in the others the k-th client of each user shares one with
 * the k-th client of every other user. A restart kills the process (its in-memory store and
 * pending writes are gone, as with `kill -9`) and starts a new one with the same client id and
 * a fresh `MemoryStore`, under a new name in the history. Every process ever started stays in
 * `all`, so the checker sees the writes of dead ones too.
 */
import { mintJwt } from "../support/jwt.js";
import type { SimEnv } from "./harness.js";
import type { History } from "./history.js";
import type { Link, LinkFaults } from "./net-proxy.js";
import type { Prng } from "./prng.js";
import { SimClient } from "./sim-client.js";

/** Short-lived tokens for some processes (see #token). */
const SHORT_TOKENS = process.env["DJAZZKIT_SIM_SHORT_TOKENS"] !== "0";

interface Slot {
  index: number;
  userId: string;
  clientId: string;
  base: string;
  faults: LinkFaults;
  generation: number;
}

export class Processes {
  /** The live process of each slot (what the workload writes through). */
  readonly live: SimClient[] = [];
  readonly all: SimClient[] = [];
  readonly links: Link[] = [];
  readonly restarts: string[] = [];
  readonly #slots: Slot[] = [];

  constructor(
    private readonly env: SimEnv,
    private readonly history: History,
    private readonly rng: Prng,
  ) {}

  /** Client ids for `n` slots of `users` (slot i belongs to user i mod users.length). */
  static clientIds(seed: number, n: number, users: number, shareAll: boolean): string[] {
    const stamp = Date.now().toString(36);
    return Array.from({ length: n }, (_, i) => (shareAll ? `s${seed}-app-${stamp}` : `s${seed}-k${Math.floor(i / users)}-${stamp}`));
  }

  async add(userId: string, clientId: string, base: string, faults: LinkFaults): Promise<SimClient> {
    const slot: Slot = { index: this.#slots.length, userId, clientId, base, faults, generation: 0 };
    this.#slots.push(slot);
    const c = await this.#start(slot);
    this.live.push(c);
    return c;
  }

  /** Kills the process of slot `i` and starts a fresh one (same user and client id, new store). */
  async restart(i: number): Promise<void> {
    const slot = this.#slots[i]!;
    const old = this.live[i]!;
    this.history.add(old.name, "fault", { fault: "process killed" });
    await old.close(); // the store goes with the object: pending writes are lost, as in a crash
    slot.generation += 1;
    const c = await this.#start(slot);
    this.live[i] = c;
    this.restarts.push(c.name);
    this.history.add(c.name, "fault", { fault: `process started (restart of ${old.name}, client id ${slot.clientId})` });
  }

  async #start(slot: Slot): Promise<SimClient> {
    // Generation 0 forks the streams run-seed always used, so older seeds replay as before.
    const suffix = slot.generation === 0 ? "" : `-p${slot.generation}`;
    const name = `${slot.base}${suffix}`;
    const link = this.env.net.link(name, this.rng.fork(`net${slot.index}${suffix}`), this.history);
    link.faults = { ...slot.faults };
    this.links.push(link);
    const c = new SimClient({
      name, clientId: slot.clientId, userId: slot.userId, url: this.env.net.urlFor(name), token: await this.#token(slot, name, suffix),
      schemaVersion: this.env.schemaVersion, rng: this.rng.fork(`client${slot.index}${suffix}`), history: this.history,
    });
    this.all.push(c);
    c.connect();
    return c;
  }

  /**
   * About a third of the processes hold short-lived tokens (2-4 s) from a getToken() callback:
   * the relay closes their sockets 4401 at exp mid-run (its alarm, issue 8 item 4) and the SDK
   * fetches a fresh token and reconnects, so every rule also holds across expiries, and rule (7)
   * checks that no socket is closed before its exp. DJAZZKIT_SIM_SHORT_TOKENS=0 turns it off
   * (to tell whether a failure needs expiries).
   */
  async #token(slot: Slot, name: string, suffix: string): Promise<string | (() => Promise<string>)> {
    const tokens = this.rng.fork(`tokens${slot.index}${suffix}`);
    if (!SHORT_TOKENS || !tokens.chance(1 / 3)) return mintJwt(slot.userId);
    return async () => {
      const expiresInS = tokens.int(2, 4);
      this.history.add(name, "token", { expires_in_s: expiresInS });
      return mintJwt(slot.userId, { expiresInS });
    };
  }
}
