/**
 * The pending outbox: every write waits in the store until a `push_result` reports it
 * (applied, duplicate or rejected). Writes are sent in `push` frames of at most `maxBatch`
 * mutations; on a new connection everything still pending is sent again (the relay is
 * idempotent by `mutation_id`). A write to a row that already has a pending write is held
 * until that one has a result and is then based on the revision it produced.
 */
import type { ClientMessage, Mutation, MutationResult } from "../schemas/protocol.js";
import { RelayClientError } from "./errors.js";
import { type ClientStore, type PendingMutation, pendingId, pendingRow } from "./store.js";

export interface OutboxOptions {
  /** Mutations per `push` frame (the relay refuses more with `too_many_mutations`). */
  maxBatch: number;
  /** Push/resolve frames awaiting their result at once (back-pressure against rate limits). */
  maxInFlight: number;
  /** Serialized size budget of one push frame; the relay's inbound default is 1 MiB. */
  maxFrameBytes: number;
  now: () => number;
}

/** A handle to one write: a promise of its result that also names the row and mutation. */
export type MutationHandle = Promise<MutationResult> & { mutation_id: string; row_id: string };

interface Deferred {
  resolve: (r: MutationResult) => void;
  reject: (e: RelayClientError) => void;
}

export class Outbox {
  readonly #deferred = new Map<string, Deferred>();
  /** request_id of each frame in flight -> mutation ids it carries that have no result yet. */
  readonly #inFlight = new Map<string, Set<string>>();
  readonly #frameOf = new Map<string, string>(); // mutation_id -> request_id
  readonly #resolveFrames = new Set<string>();
  readonly #sentAt = new Map<string, number>(); // request_id -> when the frame went out
  /**
   * Revisions our own applied writes produced, per row, until the row's broadcast catches up:
   * `push_result` reaches the caller before the `changes` frame that follows it, so a write
   * made right after awaiting another must not be based on the older local revision.
   */
  readonly #ownRevs = new Map<string, string>();
  #maxBatch: number;

  constructor(
    private readonly store: ClientStore,
    private readonly options: OutboxOptions,
    private readonly nextRequestId: () => string,
  ) {
    this.#maxBatch = options.maxBatch;
  }

  get pendingCount(): number {
    return this.store.listPending().length;
  }

  isOwnFrame(requestId: string): boolean {
    return this.#inFlight.has(requestId);
  }

  /** The base revision for a new write to a row whose local copy is at `localRev`. */
  baseRevFor(model: string, rowId: string, localRev: string | undefined): string | undefined {
    const key = `${model}\u0000${rowId}`;
    const own = this.#ownRevs.get(key);
    if (own === undefined) return localRev;
    if (localRev !== undefined && genOf(localRev) >= genOf(own)) {
      this.#ownRevs.delete(key); // the local copy caught up with (or passed) our write
      return localRev;
    }
    return own;
  }

  /** A `changes` frame arrived: rows that caught up with our writes need no override. */
  caughtUp(rows: readonly { model: string; row_id: string; rev: string }[]): void {
    if (this.#ownRevs.size === 0) return;
    for (const row of rows) {
      const key = `${row.model}\u0000${row.row_id}`;
      const own = this.#ownRevs.get(key);
      if (own !== undefined && genOf(row.rev) >= genOf(own)) this.#ownRevs.delete(key);
    }
  }

  /** The origin undid one of our writes (`mutation_rejected`): never base on its revision. */
  forgetRev(rev: string): void {
    for (const [key, own] of this.#ownRevs) if (own === rev) this.#ownRevs.delete(key);
  }

  get inFlightFrames(): number {
    return this.#inFlight.size;
  }

  /**
   * Makes the oldest frame in flight sendable again. For refusals the relay cannot attribute
   * (a rate-limited frame is refused before it is decoded, so without its request_id): if
   * the guess is wrong, the re-send is answered `duplicate: true`, which is harmless.
   */
  releaseOldest(): void {
    const oldest = [...this.#sentAt].sort((a, b) => a[1] - b[1])[0];
    if (oldest) this.#release(oldest[0]);
  }

  /** Frames unanswered for `ageMs` become sendable again (a lost answer must not stall writes). */
  releaseOlderThan(ageMs: number): number {
    const cutoff = this.options.now() - ageMs;
    let released = 0;
    for (const [id, at] of [...this.#sentAt]) if (at <= cutoff) { this.#release(id); released++; }
    return released;
  }

  /** Persists a new write and returns the promise of its result. */
  add(entry: PendingMutation): MutationHandle {
    const id = pendingId(entry);
    const size = JSON.stringify(entry).length;
    if (size > this.options.maxFrameBytes) {
      throw new RelayClientError("message_too_large", `mutation ${id} is ${size} bytes; a frame holds at most ${this.options.maxFrameBytes}`);
    }
    const { model, row_id } = pendingRow(entry);
    if (entry.kind === "push" && entry.mutation.operation !== "create") {
      const previous = this.store.listPending().filter((p) => samerow(p, model, row_id)).at(-1);
      if (previous) {
        entry = { ...entry, after: pendingId(previous) };
        delete entry.mutation.base_rev;
      }
    }
    this.store.putPending(entry);
    const promise = new Promise<MutationResult>((resolve, reject) => this.#deferred.set(id, { resolve, reject }));
    promise.catch(() => {}); // a rejection (close()) must not be "unhandled" when nobody awaits
    return Object.assign(promise, { mutation_id: id, row_id });
  }

  /** Frames to send now: resolutions, then pushes, within the batch and in-flight limits. */
  takeFrames(): ClientMessage[] {
    const frames: ClientMessage[] = [];
    const pending = this.store.listPending();
    const pendingIds = new Set(pending.map(pendingId));
    let batch: Mutation[] = [];
    let batchBytes = 0;
    const flushBatch = () => {
      if (batch.length === 0) return;
      frames.push(this.#track({ type: "push", request_id: this.nextRequestId(), mutations: batch }, batch.map((m) => m.mutation_id)));
      batch = [];
      batchBytes = 0;
    };
    for (const candidate of pending) {
      const id = pendingId(candidate);
      if (this.#frameOf.has(id)) continue;
      if (candidate.kind === "resolve") {
        if (this.#inFlight.size >= this.options.maxInFlight) break;
        frames.push(this.#track({ type: "resolve_conflict", request_id: this.nextRequestId(), mutation_id: id, model: candidate.model, row_id: candidate.row_id, data: candidate.data }, [id]));
        continue;
      }
      let entry = candidate;
      if (entry.after !== undefined) {
        if (pendingIds.has(entry.after)) continue; // its predecessor has no result yet
        entry = this.#rebase(entry, undefined); // predecessor settled in an earlier session
      }
      const bytes = JSON.stringify(entry.mutation).length;
      if (batch.length >= this.#maxBatch || (batch.length > 0 && batchBytes + bytes > this.options.maxFrameBytes)) flushBatch();
      // Starting a batch opens a frame: only while the in-flight window has room.
      if (batch.length === 0 && this.#inFlight.size >= this.options.maxInFlight) break;
      batch.push(entry.mutation);
      batchBytes += bytes + 1;
    }
    flushBatch();
    return frames;
  }

  /** Applies `push_result` entries: removes them, settles their promises, rebases successors. */
  applyResults(results: readonly MutationResult[], requestId?: string): void {
    const pending = new Map(this.store.listPending().map((p) => [pendingId(p), p]));
    for (const result of results) {
      const id = result.mutation_id;
      const request = this.#frameOf.get(id);
      this.#frameOf.delete(id);
      if (request !== undefined) this.#inFlight.get(request)?.delete(id);
      const entry = pending.get(id);
      if (!entry) continue; // a repeated answer (re-sent after a reconnect): already settled
      pending.delete(id);
      this.store.removePending(id);
      const { model, row_id } = pendingRow(entry);
      if (result.status === "applied" && result.rev !== undefined) this.#ownRevs.set(`${model}\u0000${row_id}`, result.rev);
      for (const next of pending.values()) {
        if (next.kind === "push" && next.after === id) {
          pending.set(pendingId(next), this.#rebase(next, result.rev ?? this.store.getRow(model, row_id)?.rev));
        }
      }
      this.#deferred.get(id)?.resolve(result);
      this.#deferred.delete(id);
    }
    for (const [request, left] of this.#inFlight) if (left.size === 0 || request === requestId) this.#release(request);
  }

  /**
   * An `error` frame answered a whole push/resolve frame. Nothing is dropped for a push (only
   * a result removes a write); its writes become sendable again, and `too_many_mutations`
   * halves the batch size. A resolution is a request: a non-transient error is its answer,
   * so it is settled as rejected.
   */
  frameFailed(requestId: string, err: RelayClientError): void {
    const ids = [...(this.#inFlight.get(requestId) ?? [])];
    const isResolve = this.#resolveFrames.has(requestId);
    this.#release(requestId);
    if (err.code === "too_many_mutations") this.#maxBatch = Math.max(1, Math.floor(Math.min(this.#maxBatch, ids.length) / 2));
    if (isResolve && !TRANSIENT_CODES.has(err.code)) {
      this.applyResults(ids.map((mutation_id) => ({
        mutation_id, status: "rejected", ...(isRelayCode(err.code) ? { code: err.code } : {}), message: err.message,
      })));
    }
  }

  /** The socket dropped: nothing is in flight any more; everything pending goes out again. */
  resetInFlight(): void {
    this.#inFlight.clear();
    this.#frameOf.clear();
    this.#resolveFrames.clear();
    this.#sentAt.clear();
  }

  /** close(): the writes stay in the store for a later session, their promises are rejected. */
  rejectAll(err: RelayClientError): void {
    for (const d of this.#deferred.values()) d.reject(err);
    this.#deferred.clear();
    this.resetInFlight();
  }

  #track(frame: ClientMessage & { request_id: string }, ids: string[]): ClientMessage {
    this.#inFlight.set(frame.request_id, new Set(ids));
    this.#sentAt.set(frame.request_id, this.options.now());
    if (frame.type === "resolve_conflict") this.#resolveFrames.add(frame.request_id);
    for (const id of ids) this.#frameOf.set(id, frame.request_id);
    return frame;
  }

  #release(requestId: string): void {
    for (const id of this.#inFlight.get(requestId) ?? []) this.#frameOf.delete(id);
    this.#inFlight.delete(requestId);
    this.#resolveFrames.delete(requestId);
    this.#sentAt.delete(requestId);
  }

  /** Fixes a held write's base revision (persisted, so a re-send carries the same base). */
  #rebase(entry: PendingMutation & { kind: "push" }, rev: string | undefined): PendingMutation & { kind: "push" } {
    const { model, row_id } = entry.mutation;
    const base = rev ?? this.store.getRow(model, row_id)?.rev;
    const next = { ...entry, mutation: { ...entry.mutation } };
    delete next.after;
    if (base === undefined) delete next.mutation.base_rev;
    else next.mutation.base_rev = base;
    this.store.putPending(next);
    return next;
  }
}

const genOf = (rev: string) => Number.parseInt(rev, 10);

function samerow(p: PendingMutation, model: string, rowId: string): boolean {
  const row = pendingRow(p);
  return row.model === model && row.row_id === rowId;
}

/** Errors that say "not now" rather than "never": the write stays pending. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  "rate_limited", "auth_required", "auth_expired", "schema_mismatch", "origin_unavailable", "internal",
  "too_many_mutations", "timeout", "disconnected", "closed",
]);

function isRelayCode(code: RelayClientError["code"]): code is NonNullable<MutationResult["code"]> {
  return code !== "timeout" && code !== "disconnected" && code !== "closed";
}
