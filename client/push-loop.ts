/**
 * When the outbox may send: only on a synced socket, not while the relay asked us to wait
 * (`rate_limited`, a transient refusal backed off with full jitter) or refused pushes for
 * lack of credentials (until `auth_ok` or a new sync). It also re-sends frames whose answer
 * never came, so a lost `push_result` cannot stall writes for the life of a socket.
 */
import type { ClientMessage, Mutation, MutationResult } from "../schemas/protocol.js";
import { type BackoffOptions, fullJitterDelay } from "./backoff.js";
import type { RelayClientError } from "./errors.js";
import type { Outbox } from "./outbox.js";

export interface PushLoopDeps {
  outbox: Outbox;
  /** Whether the connection is synced (state `ready`). */
  synced: () => boolean;
  send: (frame: ClientMessage) => void;
  sent: (info: { request_id: string | undefined; mutation_ids: string[] }) => void;
  backoff: BackoffOptions;
  random: () => number;
  pushTimeoutMs: number;
}

export class PushLoop {
  #hold = false;
  #queued = false;
  #errors = 0;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly d: PushLoopDeps) {}

  /** Sends soon: writes made in the same tick share one push frame. */
  schedule(): void {
    if (this.#queued) return;
    this.#queued = true;
    queueMicrotask(() => { this.#queued = false; this.flush(); });
  }

  flush(): void {
    if (!this.d.synced() || this.#hold || this.#retryTimer !== undefined) return;
    for (const frame of this.d.outbox.takeFrames()) {
      this.d.send(frame);
      const ids = frame.type === "push" ? frame.mutations.map((m) => (m as Mutation).mutation_id)
        : frame.type === "resolve_conflict" ? [frame.mutation_id] : [];
      this.d.sent({ request_id: "request_id" in frame ? frame.request_id : undefined, mutation_ids: ids });
    }
    this.#armAckTimer();
  }

  /** A new sync or a successful `auth`: pushes may flow again. */
  resume(): void {
    this.#hold = false;
    this.flush();
  }

  results(results: readonly MutationResult[], requestId: string | undefined): void {
    this.#errors = 0;
    this.d.outbox.applyResults(results, requestId);
    this.flush();
  }

  /** Handles an `error` frame if it concerns pushes; false when it is someone else's. */
  error(err: RelayClientError, requestId: string | undefined): boolean {
    const retryAfter = Number(err.details?.["retry_after_ms"] ?? NaN);
    if (requestId !== undefined && this.d.outbox.isOwnFrame(requestId)) {
      this.d.outbox.frameFailed(requestId, err);
      if (err.code === "auth_required" || err.code === "auth_expired") this.#hold = true;
      else if (err.code === "too_many_mutations") this.flush(); // with the halved batch
      else if (err.code !== "schema_mismatch") this.#retryLater(err.code === "rate_limited" ? retryAfter : NaN);
      return true;
    }
    if (requestId === undefined && err.code === "rate_limited") {
      // Refused before decoding, so the relay could not say which frame: assume our oldest push.
      this.d.outbox.releaseOldest();
      this.#retryLater(retryAfter);
    }
    return false;
  }

  /** The socket dropped or the client closed: nothing is in flight, no timer remains. */
  stop(): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    if (this.#ackTimer !== undefined) clearTimeout(this.#ackTimer);
    this.#retryTimer = this.#ackTimer = undefined;
    this.d.outbox.resetInFlight();
  }

  /** Waits `afterMs` (the relay's `retry_after_ms`) or a full-jitter backoff delay. */
  #retryLater(afterMs: number): void {
    const delay = Number.isFinite(afterMs) && afterMs >= 0 ? afterMs : fullJitterDelay(this.#errors++, this.d.backoff, this.d.random);
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = setTimeout(() => { this.#retryTimer = undefined; this.flush(); }, delay);
  }

  #armAckTimer(): void {
    if (this.#ackTimer !== undefined || this.d.outbox.inFlightFrames === 0) return;
    this.#ackTimer = setTimeout(() => {
      this.#ackTimer = undefined;
      this.d.outbox.releaseOlderThan(this.d.pushTimeoutMs);
      this.flush();
      this.#armAckTimer();
    }, this.d.pushTimeoutMs);
  }
}
