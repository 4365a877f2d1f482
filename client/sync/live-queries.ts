/**
 * Live queries: each subscription is indexed by its model, so a change re-runs only the queries
 * over the models that changed. Re-runs are batched on a microtask (several writes in one tick
 * give one re-run) and a callback fires only when its result differs from the last one it got.
 */
import type { ReplicaRow } from "../model/backend.js";

interface Subscription {
  model: string;
  run: () => Promise<ReplicaRow[]>;
  onRows: (rows: ReplicaRow[]) => void;
  onError: ((err: unknown) => void) | undefined;
  last: string | undefined;
  active: boolean;
  /** Runs started; only the latest one may deliver (a slow relay answer never overwrites a newer one). */
  started: number;
}

export class LiveQueries {
  readonly #byModel = new Map<string, Set<Subscription>>();
  #dirty = new Set<string>();
  #scheduled = false;
  /** Re-runs performed (for tests that prove unrelated models cost nothing). */
  runs = 0;

  add(model: string, run: () => Promise<ReplicaRow[]>, onRows: (rows: ReplicaRow[]) => void, onError?: (err: unknown) => void): () => void {
    const sub: Subscription = { model, run, onRows, onError, last: undefined, active: true, started: 0 };
    let set = this.#byModel.get(model);
    if (!set) this.#byModel.set(model, (set = new Set()));
    set.add(sub);
    void this.#rerun(sub);
    return () => {
      sub.active = false;
      this.#byModel.get(model)?.delete(sub);
    };
  }

  /** Rows of these models changed: re-run their subscriptions soon. */
  changed(models: Iterable<string>): void {
    for (const m of models) if (this.#byModel.has(m)) this.#dirty.add(m);
    if (this.#dirty.size === 0 || this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const dirty = this.#dirty;
      this.#dirty = new Set();
      for (const m of dirty) for (const sub of this.#byModel.get(m) ?? []) void this.#rerun(sub);
    });
  }

  /** Re-runs everything (after a reconnect, for subscriptions answered by the relay). */
  all(): void {
    this.changed([...this.#byModel.keys()]);
  }

  /** Models with at least one subscription. */
  models(): string[] {
    return [...this.#byModel.keys()];
  }

  clear(): void {
    for (const set of this.#byModel.values()) for (const sub of set) sub.active = false;
    this.#byModel.clear();
  }

  async #rerun(sub: Subscription): Promise<void> {
    this.runs++;
    const run = ++sub.started;
    try {
      const rows = await sub.run();
      const text = JSON.stringify(rows);
      if (!sub.active || run !== sub.started || text === sub.last) return;
      sub.last = text;
      sub.onRows(rows);
    } catch (err) {
      if (sub.active && run === sub.started) sub.onError?.(err);
    }
  }
}
