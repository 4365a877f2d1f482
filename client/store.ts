/**
 * Client-side persistence: the cursor, this user's rows, the pending outbox, and the store's
 * mutation id prefix and counter. Deliberately synchronous and small so a SQLite-backed store (node:sqlite,
 * better-sqlite3, sqlite-wasm over OPFS) can replace the in-memory one method for method;
 * `applyChanges` is the one compound operation and should be one transaction there.
 */
import type { ChangeRow, Cursor, Mutation, RowData } from "../schemas/protocol.js";

/** A row as the client holds it: exactly a `changes` row (winner rev, body, tombstone, conflicts). */
export type StoredRow = ChangeRow;

/** A write waiting for its `push_result`, sent in a `push` frame. */
export interface PendingPush {
  kind: "push";
  mutation: Mutation;
  /**
   * The mutation id of an earlier pending write to the same row. This write is held back
   * until that one has a result, then based on the revision it produced (so quick successive
   * edits extend one branch instead of forking the row).
   */
  after?: string;
  created_at: number;
}

/** A conflict resolution, sent as a `resolve_conflict` frame and answered by `push_result`. */
export interface PendingResolve {
  kind: "resolve";
  mutation_id: string;
  model: string;
  row_id: string;
  data: RowData;
  created_at: number;
}

export type PendingMutation = PendingPush | PendingResolve;

export function pendingId(p: PendingMutation): string {
  return p.kind === "push" ? p.mutation.mutation_id : p.mutation_id;
}

export function pendingRow(p: PendingMutation): { model: string; row_id: string } {
  return p.kind === "push" ? p.mutation : p;
}

export interface ClientStore {
  getCursor(): Cursor | null;
  getRow(model: string, rowId: string): StoredRow | undefined;
  /** Rows in insertion order; every model when `model` is omitted. Tombstones included. */
  listRows(model?: string): StoredRow[];
  /** One `changes` frame, atomically: drop all rows if `reset`, upsert `rows`, store `cursor`. */
  applyChanges(rows: readonly ChangeRow[], cursor: Cursor, reset: boolean): void;
  /** Pending writes in the order they were made. */
  listPending(): PendingMutation[];
  /** Inserts, or replaces in place an entry with the same mutation id. */
  putPending(entry: PendingMutation): void;
  /** Removes by mutation id; false when it was not pending. */
  removePending(mutationId: string): boolean;
  /** Increments and persists the mutation counter; the first call returns 1. Never repeats. */
  nextMutationNumber(): number;
  /**
   * A random prefix made once when the store is created (`newMutationIdPrefix()`) and kept
   * with it for its whole life, like the counter. Mutation ids are `<clientId>:<prefix>:<n>`,
   * so two stores (two processes, a reload with an in-memory store, two installations that
   * share a clientId) never make the same id, while one persisted store re-sends its pending
   * writes under the ids they were made with. A persistent store must save it with the counter.
   */
  mutationIdPrefix(): string;
}

const PREFIX_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz";
/** Length of a store's mutation id prefix: 20 base-36 characters, about 103 random bits. */
export const MUTATION_ID_PREFIX_CHARS = 20;

/** A fresh random mutation id prefix (WebCrypto: browsers, Node 20, workerd). */
export function newMutationIdPrefix(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(MUTATION_ID_PREFIX_CHARS));
  let out = "";
  for (const b of bytes) out += PREFIX_ALPHABET[b % PREFIX_ALPHABET.length];
  return out;
}

const rowKey = (model: string, rowId: string) => `${model}\u0000${rowId}`;

/**
 * The default store: everything in memory, lost with the process. A new process starts with a
 * new id prefix, so its ids never repeat the last run's (whose pending writes are lost with it).
 */
export class MemoryStore implements ClientStore {
  #cursor: Cursor | null = null;
  readonly #rows = new Map<string, StoredRow>();
  readonly #pending = new Map<string, PendingMutation>();
  #counter = 0;
  readonly #idPrefix: string;

  /** `init` restores a saved state; without `idPrefix` the store makes a new random one. */
  constructor(init?: { cursor?: Cursor | null; rows?: StoredRow[]; pending?: PendingMutation[]; counter?: number; idPrefix?: string }) {
    this.#idPrefix = init?.idPrefix ?? newMutationIdPrefix();
    this.#cursor = init?.cursor ?? null;
    for (const row of init?.rows ?? []) this.#rows.set(rowKey(row.model, row.row_id), clone(row));
    for (const p of init?.pending ?? []) this.#pending.set(pendingId(p), clone(p));
    this.#counter = init?.counter ?? 0;
  }

  getCursor(): Cursor | null {
    return this.#cursor;
  }

  getRow(model: string, rowId: string): StoredRow | undefined {
    const row = this.#rows.get(rowKey(model, rowId));
    return row && clone(row);
  }

  listRows(model?: string): StoredRow[] {
    const out: StoredRow[] = [];
    for (const row of this.#rows.values()) if (model === undefined || row.model === model) out.push(clone(row));
    return out;
  }

  applyChanges(rows: readonly ChangeRow[], cursor: Cursor, reset: boolean): void {
    if (reset) this.#rows.clear();
    for (const row of rows) this.#rows.set(rowKey(row.model, row.row_id), clone(row));
    this.#cursor = cursor;
  }

  listPending(): PendingMutation[] {
    return [...this.#pending.values()].map(clone);
  }

  putPending(entry: PendingMutation): void {
    this.#pending.set(pendingId(entry), clone(entry)); // Map.set keeps the original position
  }

  removePending(mutationId: string): boolean {
    return this.#pending.delete(mutationId);
  }

  nextMutationNumber(): number {
    return ++this.#counter;
  }

  mutationIdPrefix(): string {
    return this.#idPrefix;
  }
}

/** Callers get copies, so mutating a returned object never changes the store behind its back. */
function clone<T>(value: T): T {
  return structuredClone(value);
}
