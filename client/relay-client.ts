/**
 * `RelayClient`: one user's connection to djazzkit-relay (PROTOCOL 4). It keeps a local copy of
 * the user's rows from `changes` frames, sends writes from a persisted outbox, correlates
 * requests with answers, and reconnects with full-jitter backoff. Transport, persistence,
 * randomness and the clock are injected, so the same code runs in browsers, Node and tests.
 */
import type { ClientMessage, Mutation, RelayMessage, RowData, SocketIdentity } from "../schemas/protocol.js";
import { isRelayMutationId, RELAY_MUTATION_ID_PREFIX } from "../schemas/wire-format.js";
import { isValidMutation } from "./frame-guard.js";
import { CloseCode } from "../schemas/errors.js";
import { Connection } from "./connection.js";
import { deferred } from "./deferred.js";
import { Emitter } from "./emitter.js";
import { RelayClientError } from "./errors.js";
import { type ClientState, DEFAULTS, type Refusal, type RelayClientEvents, type RelayClientOptions } from "./options.js";
import { type MutationHandle, Outbox } from "./outbox.js";
import { parseFrame } from "./parse-frame.js";
import { PushLoop } from "./push-loop.js";
import { type Answer, type AnswerType, RequestTracker } from "./requests.js";
import type { ClosePolicy } from "./socket.js";
import { type ClientStore, MemoryStore, type PendingMutation, type StoredRow } from "./store.js";

export interface ReadyInfo {
  cursor: string;
  server_schema_version: string;
  /** Who the relay says this socket is (absent from a relay older than issue 8). */
  identity?: SocketIdentity;
}

export class RelayClient extends Emitter<RelayClientEvents> {
  readonly store: ClientStore;
  readonly #o: { clientId: string; schemaVersion: string; url: string; random: () => number; now: () => number; uuid: () => string; backoff: { baseMs: number; maxMs: number } };
  #state: ClientState = "idle";
  #ready = deferred<ReadyInfo>();
  #ids = 0;
  #identity: SocketIdentity | undefined;
  #refusal: Refusal | null = null;
  /** The last `error` frame without a request id on the current socket (a refusal's reason). */
  #socketError: { code: string; message: string } | undefined;
  readonly #conn: Connection;
  readonly #requests: RequestTracker;
  readonly #outbox: Outbox;
  readonly #pushes: PushLoop;

  constructor(options: RelayClientOptions) {
    super();
    if (isRelayMutationId(`${options.clientId}:`)) {
      throw new RelayClientError("invalid_message", `clientId ${JSON.stringify(options.clientId)} would make mutation ids in the relay's own namespace (${RELAY_MUTATION_ID_PREFIX}); choose another`);
    }
    this.store = options.store ?? new MemoryStore();
    const backoff = { ...DEFAULTS.backoff, ...options.backoff };
    const random = options.random ?? Math.random;
    this.#o = {
      clientId: options.clientId, schemaVersion: options.schemaVersion, url: options.url, random, backoff,
      now: options.now ?? Date.now,
      uuid: options.uuid ?? (() => crypto.randomUUID()),
    };
    const nextId = () => `${this.#o.clientId}.${++this.#ids}`.slice(-128);
    this.#conn = new Connection({
      url: options.url, socketFactory: options.socketFactory, backoff, random,
      pingIntervalMs: options.pingIntervalMs ?? DEFAULTS.pingIntervalMs,
      pongTimeoutMs: options.pongTimeoutMs ?? DEFAULTS.pongTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      unreachableAfter: options.unreachableAfter ?? DEFAULTS.unreachableAfter,
    }, {
      opening: () => { this.#state = "connecting"; },
      opened: (attempt) => this.#opened(attempt),
      frame: (data) => this.#receive(data),
      closed: (code, reason, policy) => this.#closed(code, reason, policy),
      reconnecting: (attempt, delayMs) => this.emit("reconnecting", { attempt, delayMs }),
      error: (err) => this.emit("error", err),
      unreachable: (attempts) => this.#unreachable(attempts),
    }, options.token);
    this.#requests = new RequestTracker(options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs, nextId);
    this.#outbox = new Outbox(this.store, {
      maxBatch: options.maxBatch ?? DEFAULTS.maxBatch,
      maxInFlight: options.maxInFlightPushes ?? DEFAULTS.maxInFlightPushes,
      maxFrameBytes: DEFAULTS.maxFrameBytes,
      now: this.#o.now,
    }, nextId);
    this.#pushes = new PushLoop({
      outbox: this.#outbox, backoff, random,
      synced: () => this.#state === "ready",
      send: (frame) => this.#send(frame),
      sent: (info) => this.emit("push", info),
      pushTimeoutMs: options.pushTimeoutMs ?? DEFAULTS.pushTimeoutMs,
    });
  }

  get state(): ClientState { return this.#state; }
  get cursor(): string | null { return this.store.getCursor(); }
  get pendingCount(): number { return this.#outbox.pendingCount; }
  /** Who the relay says the socket is, from the last `sync_ready` / `auth_ok`. */
  get identity(): SocketIdentity | undefined { return this.#identity; }
  /** Why the client is stopped, waiting for a token, or cannot connect; null once it syncs again. */
  get refusal(): Refusal | null { return this.#refusal; }
  /** Settles on the next `sync_ready`; rejects on `schema_mismatch`, a refused socket or `close()`. */
  get ready(): Promise<ReadyInfo> { return this.#ready.promise; }

  // ---- lifecycle ------------------------------------------------------------------------

  /** Opens the socket (no-op when already connecting or connected); resolves on `sync_ready`. */
  connect(): Promise<ReadyInfo> {
    if (this.#state === "closed") throw new RelayClientError("closed", "this client was closed; create a new one");
    if (this.#state === "idle" || this.#state === "stopped" || this.#state === "waiting_for_token" || this.#state === "backoff") {
      this.#conn.resetBackoff();
      this.#conn.open();
    }
    return this.ready;
  }

  /** Stops everything: socket, timers, pending requests. Pending writes stay in the store. */
  close(): Promise<void> {
    if (this.#state === "closed") return Promise.resolve();
    this.#state = "closed";
    this.#pushes.stop();
    const err = new RelayClientError("closed", "client closed");
    this.#requests.rejectAll(err);
    this.#outbox.rejectAll(err);
    if (!this.#ready.settled) this.#ready.reject(err);
    const done = this.#conn.shutdown();
    this.emit("close", { code: 1000, reason: "client closed", willReconnect: false, state: "closed" });
    return done;
  }

  /**
   * Replaces the credential used for the next connection (the next one only, when `token` is a
   * callback: later connects ask it again); resumes a client waiting for a token.
   */
  setToken(token: string): void {
    this.#conn.supplyToken(token);
    if (this.#state === "waiting_for_token") this.connect();
  }

  // ---- rows -----------------------------------------------------------------------------

  get(model: string, rowId: string): StoredRow | undefined {
    return this.store.getRow(model, rowId);
  }

  /** The model's rows; tombstones only with `includeDeleted`. */
  all(model: string, options?: { includeDeleted?: boolean }): StoredRow[] {
    return this.store.listRows(model).filter((row) => options?.includeDeleted || !row.deleted);
  }

  // ---- writes ---------------------------------------------------------------------------

  /** Creates a row with a new UUID (or `options.rowId`); the handle carries `row_id`. */
  create(model: string, data: RowData, options?: { rowId?: string }): MutationHandle {
    return this.#write(model, options?.rowId ?? this.#o.uuid(), "create", data);
  }

  /** Patches a row, based on the local revision (or the result of a still-pending write). */
  update(model: string, rowId: string, patch: RowData): MutationHandle {
    return this.#write(model, rowId, "update", patch);
  }

  delete(model: string, rowId: string): MutationHandle {
    return this.#write(model, rowId, "delete", undefined);
  }

  /** Writes `data` as the winner and closes every other live branch (answered by `push_result`). */
  resolveConflict(model: string, rowId: string, data: RowData): MutationHandle {
    return this.#enqueue({ kind: "resolve", mutation_id: this.#nextMutationId(), model, row_id: rowId, data, created_at: this.#o.now() });
  }

  // ---- requests -------------------------------------------------------------------------

  query(query: unknown): Promise<{ rows: RowData[]; total?: number }> {
    return this.#request((request_id) => ({ type: "query", request_id, query }), "query_result",
      (a) => (a.total === undefined ? { rows: a.rows } : { rows: a.rows, total: a.total }));
  }

  rpc(name: string, args?: unknown): Promise<unknown> {
    return this.#request((request_id) => ({ type: "rpc", request_id, name, args }), "rpc_result", (a) => a.result);
  }

  getConflicts(model: string, rowId: string): Promise<Answer<"conflicts">> {
    return this.#request((request_id) => ({ type: "get_conflicts", request_id, model, row_id: rowId }), "conflicts", (a) => a);
  }

  listConflicts(model?: string): Promise<Answer<"conflict_list">["rows"]> {
    const frame = (request_id: string): ClientMessage =>
      model === undefined ? { type: "list_conflicts", request_id } : { type: "list_conflicts", request_id, model };
    return this.#request(frame, "conflict_list", (a) => a.rows);
  }

  /** Replaces the credential on the open socket (or the next one) and resolves on `auth_ok`. */
  auth(token: string): Promise<{ user_id: string; expires_at?: number; identity?: SocketIdentity }> {
    this.setToken(token);
    return this.#request((request_id) => ({ type: "auth", request_id, token }), "auth_ok",
      (a) => ({
        user_id: a.user_id,
        ...(a.expires_at === undefined ? {} : { expires_at: a.expires_at }),
        ...(a.identity === undefined ? {} : { identity: a.identity }),
      }));
  }

  // ---- internals ------------------------------------------------------------------------

  #request<T extends AnswerType, R>(build: (id: string) => ClientMessage, expect: T, map: (a: Answer<T>) => R): Promise<R> {
    const answer = this.#state === "closed"
      ? Promise.reject(new RelayClientError("closed", "client closed"))
      : this.#requests.create(build, expect, (frame) => this.#send(frame));
    const result = answer.then(map);
    // Whoever awaits still sees the rejection; a request nobody awaits (fire and forget, then
    // close()) must not surface as an unhandled rejection that kills a Node process.
    result.catch(() => {});
    return result;
  }

  #write(model: string, row_id: string, operation: Mutation["operation"], data: RowData | undefined): MutationHandle {
    const mutation: Mutation = { mutation_id: this.#nextMutationId(), model, row_id, operation };
    if (data !== undefined) mutation.data = data;
    const base = operation === "create" ? undefined : this.#outbox.baseRevFor(model, row_id, this.store.getRow(model, row_id)?.rev);
    if (base !== undefined) mutation.base_rev = base;
    if (!isValidMutation(mutation)) throw new RelayClientError("invalid_message", `invalid ${operation} of ${model}`, { mutation });
    return this.#enqueue({ kind: "push", mutation, created_at: this.#o.now() });
  }

  #enqueue(entry: PendingMutation): MutationHandle {
    if (this.#state === "closed") throw new RelayClientError("closed", "client closed");
    const handle = this.#outbox.add(entry);
    this.#pushes.schedule();
    return handle;
  }

  /** `<clientId>:<store prefix>:<n>`: unique across stores, stable for a stored pending write. */
  #nextMutationId(): string {
    return `${this.#o.clientId}:${this.store.mutationIdPrefix()}:${this.store.nextMutationNumber()}`;
  }

  #opened(attempt: number): void {
    this.#state = "syncing";
    this.#socketError = undefined;
    this.emit("open", { url: this.#o.url, attempt });
    const since = this.store.getCursor();
    this.#send({ type: "sync_start", client_id: this.#o.clientId, schema_version: this.#o.schemaVersion, ...(since ? { since } : {}) });
    for (const frame of this.#requests.takeUnsent()) this.#send(frame);
  }

  #receive(data: unknown): void {
    const parsed = parseFrame(data);
    if (parsed instanceof RelayClientError) this.emit("error", parsed);
    else this.#handle(parsed);
  }

  #handle(msg: RelayMessage): void {
    this.emit("message", msg);
    switch (msg.type) {
      case "changes":
        this.store.applyChanges(msg.rows, msg.cursor, msg.reset === true);
        this.#outbox.caughtUp(msg.rows);
        this.emit("changes", { rows: msg.rows, cursor: msg.cursor, reset: msg.reset === true, more: msg.more });
        return;
      case "sync_ready": {
        this.#identity = msg.identity;
        // Given a credential (a token, or a cookie the relay reports as unusable) but admitted
        // anonymously: not a success. Handled like a 4401, so writes wait for a credential.
        const presented = this.#conn.token !== undefined || msg.credential !== undefined;
        if (msg.identity?.anonymous === true && presented) {
          this.#credentialRefused(msg.credential ?? "rejected");
          return;
        }
        this.#state = "ready";
        this.#refusal = null;
        this.#conn.resetBackoff();
        const info: ReadyInfo = { cursor: msg.cursor, server_schema_version: msg.server_schema_version, ...(msg.identity ? { identity: msg.identity } : {}) };
        this.#ready.resolve(info);
        this.emit("ready", info);
        this.#pushes.resume();
        return;
      }
      case "schema_mismatch":
        this.#state = "schema_mismatch";
        if (!this.#ready.settled) this.#ready.reject(new RelayClientError("schema_mismatch", msg.message, { ...msg }));
        this.emit("schema_mismatch", msg);
        return;
      case "push_result":
        this.#pushes.results(msg.results, msg.request_id);
        this.emit("push_result", { results: msg.results });
        return;
      case "mutation_confirmed":
        this.emit("confirmed", msg);
        return;
      case "mutation_rejected":
        this.#outbox.forgetRev(msg.rev);
        this.emit("rejected", msg);
        return;
      case "auth_ok":
        if (msg.identity !== undefined) this.#identity = msg.identity;
        this.#requests.answer(msg);
        this.#pushes.resume();
        return;
      case "query_result": case "rpc_result": case "conflicts": case "conflict_list":
        this.#requests.answer(msg); // an answer after its timeout finds nobody waiting: dropped
        return;
      case "error":
        this.#relayError(msg);
        return;
      case "pong":
        return;
    }
  }

  #relayError(msg: Extract<RelayMessage, { type: "error" }>): void {
    const err = new RelayClientError(msg.code, msg.message, msg.details);
    if (this.#pushes.error(err, msg.request_id)) {
      this.emit("error", err); // nobody awaits a push frame: report it
      return;
    }
    if (msg.request_id !== undefined && this.#requests.fail(msg.request_id, err)) return;
    if (msg.request_id === undefined) this.#socketError = { code: msg.code, message: msg.message };
    this.emit("error", err);
  }

  #credentialRefused(credential: "missing" | "rejected" | "expired"): void {
    const code = credential === "expired" ? "auth_expired" : "auth_required";
    const message = credential === "missing"
      ? "admitted anonymously: the session cookie could not be used (sign-in by cookie needs an allowed Origin)"
      : `admitted anonymously: the credential was ${credential}`;
    this.#socketError = { code, message };
    this.#refusal = { close_code: CloseCode.unauthenticated, code, message, credential };
    this.emit("error", new RelayClientError(code, message, { credential }));
    this.#conn.credentialRefused(message);
  }

  #unreachable(attempts: number): void {
    const message = `cannot reach the relay or refused: ${attempts} connection attempts in a row closed before any frame`;
    this.#refusal = { close_code: 1006, code: "unreachable", message };
    this.emit("error", new RelayClientError("unreachable", message, { attempts }));
    this.emit("unreachable", { attempts });
  }

  #send(frame: ClientMessage): boolean {
    return this.#conn.send(frame);
  }

  #closed(code: number, reason: string, policy: ClosePolicy): void {
    this.#pushes.stop();
    this.#requests.dropSent();
    if (this.#ready.settled) this.#ready = deferred<ReadyInfo>();
    this.#state = policy === "retry" ? "backoff" : policy === "refresh_token" ? "connecting"
      : policy === "wait_for_token" ? "waiting_for_token" : "stopped";
    if (policy === "wait_for_token" || policy === "stop") {
      const fallback = policy === "stop" ? "forbidden" : "auth_required";
      const seen = this.#socketError;
      const refusal: Refusal = {
        close_code: code,
        code: seen?.code ?? fallback,
        message: seen?.message ?? (reason || `socket closed ${code}`),
        ...(this.#refusal?.credential !== undefined && code === CloseCode.unauthenticated ? { credential: this.#refusal.credential } : {}),
      };
      this.#refusal = refusal;
      // The relay's error frame was reported as it came; a bare close is reported here.
      if (seen === undefined) this.emit("error", new RelayClientError(fallback, refusal.message, { close_code: code }));
      // Nobody should wait forever on a socket the relay refused.
      this.#ready.reject(new RelayClientError(fallback, `socket closed ${code}: ${refusal.message}`, { close_code: code, code: refusal.code }));
      this.#ready = deferred<ReadyInfo>();
    }
    this.#socketError = undefined;
    this.emit("close", { code, reason, willReconnect: policy === "retry" || policy === "refresh_token", state: this.#state });
    if (policy === "wait_for_token") this.emit("auth_required", { code, reason });
  }
}
