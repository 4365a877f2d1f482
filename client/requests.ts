/**
 * Request/answer correlation for `query`, `rpc`, `get_conflicts`, `list_conflicts` and `auth`:
 * each request carries a `request_id`; the answer of the expected type with the same id
 * resolves it, an `error` frame with that id rejects it, and a timer bounds the wait.
 * Requests made while the socket is down are queued and sent when it opens.
 */
import type { ClientMessage, RelayMessage } from "../schemas/protocol.js";
import { RelayClientError } from "./errors.js";

export type AnswerType = "query_result" | "rpc_result" | "conflicts" | "conflict_list" | "auth_ok";
export type Answer<T extends AnswerType> = Extract<RelayMessage, { type: T }>;

interface Entry {
  id: string;
  frame: ClientMessage;
  expect: AnswerType;
  sent: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: (answer: RelayMessage) => void;
  reject: (err: RelayClientError) => void;
}

export class RequestTracker {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly timeoutMs: number,
    private readonly nextId: () => string,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  has(requestId: string): boolean {
    return this.#entries.has(requestId);
  }

  /** Registers a request and tries to send it at once; `trySend` says whether it went out. */
  create<T extends AnswerType>(
    build: (requestId: string) => ClientMessage,
    expect: T,
    trySend: (frame: ClientMessage) => boolean,
  ): Promise<Answer<T>> {
    const id = this.nextId();
    const frame = build(id);
    const promise = new Promise<Answer<T>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#entries.delete(id);
        reject(new RelayClientError("timeout", `no answer to ${frame.type} within ${this.timeoutMs} ms`, { request_id: id }));
      }, this.timeoutMs);
      this.#entries.set(id, {
        id, frame, expect, sent: false, timer,
        resolve: resolve as (answer: RelayMessage) => void,
        reject,
      });
    });
    const entry = this.#entries.get(id);
    if (entry) entry.sent = trySend(frame);
    return promise;
  }

  /** Frames registered while the socket was down; marks them sent. */
  takeUnsent(): ClientMessage[] {
    const out: ClientMessage[] = [];
    for (const entry of this.#entries.values()) {
      if (!entry.sent) {
        entry.sent = true;
        out.push(entry.frame);
      }
    }
    return out;
  }

  /**
   * Settles the request an answer belongs to; false when nothing was waiting for it.
   * `auth_ok` may come without a request id: it then answers the oldest sent `auth`.
   */
  answer(message: Answer<AnswerType>): boolean {
    let entry = message.request_id === undefined ? undefined : this.#entries.get(message.request_id);
    if (!entry && message.request_id === undefined && message.type === "auth_ok") {
      entry = [...this.#entries.values()].find((e) => e.sent && e.expect === "auth_ok");
    }
    if (!entry) return false;
    this.#settle(entry);
    if (entry.expect === message.type) entry.resolve(message);
    else entry.reject(new RelayClientError("invalid_message", `expected ${entry.expect}, got ${message.type}`, { request_id: entry.id }));
    return true;
  }

  /** Rejects one request with a relay error; false when the id is unknown. */
  fail(requestId: string, err: RelayClientError): boolean {
    const entry = this.#entries.get(requestId);
    if (!entry) return false;
    this.#settle(entry);
    entry.reject(err);
    return true;
  }

  /**
   * The socket dropped: answers to requests already sent are lost. They are rejected rather
   * than re-sent, because an `rpc` need not be idempotent. Unsent requests stay queued.
   */
  dropSent(): void {
    for (const entry of [...this.#entries.values()]) {
      if (!entry.sent) continue;
      this.#settle(entry);
      entry.reject(new RelayClientError("disconnected", `connection lost before the answer to ${entry.frame.type}`, { request_id: entry.id }));
    }
  }

  rejectAll(err: RelayClientError): void {
    for (const entry of [...this.#entries.values()]) {
      this.#settle(entry);
      entry.reject(err);
    }
  }

  #settle(entry: Entry): void {
    clearTimeout(entry.timer);
    this.#entries.delete(entry.id);
  }
}
