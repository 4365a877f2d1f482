/**
 * `SyncClient`: the app's model backend (client/model/backend.ts). The user's own synced models
 * live in a local SQLite replica (ReplicaStore) that answers queries and takes writes at once;
 * a `RelayClient` on top of that same store carries the writes to the relay and the relay's
 * winners back. Shared and remote models are asked of the relay. Composition, not a fork: the
 * outbox, batching, reconnects and request correlation are the RelayClient's.
 */
import type { Manifest } from "../../schemas/manifest.js";
import type { Query, QueryBounds } from "../../schemas/query.js";
import { Emitter } from "../emitter.js";
import { RelayClientError } from "../errors.js";
import type { ConflictVersion, ModelBackend, ReplicaRow } from "../model/backend.js";
import { RelayClient } from "../relay-client.js";
import { boundQuery, countLocal, DEFAULT_QUERY_BOUNDS, readRow, runLocalQuery } from "../replica/local-query.js";
import { getMeta, setMeta } from "../replica/meta.js";
import { modelBody } from "../replica/overlay.js";
import { createBookkeepingTables } from "../replica/replica-schema.js";
import { ReplicaStore } from "../replica/replica-store.js";
import type { SocketFactory, WebSocketLike } from "../socket.js";
import { LiveQueries } from "./live-queries.js";
import type { SchemaMismatchInfo, SyncClientEvents, SyncClientOptions } from "./options.js";
import { adoptManifest, applyPolicy, normalizePolicy } from "./schema-policy.js";
import { RelayLink } from "./relay-link.js";

export class SyncClient extends Emitter<SyncClientEvents> implements ModelBackend {
  readonly #o: SyncClientOptions;
  readonly #db: SyncClientOptions["store"];
  readonly #live = new LiveQueries();
  readonly #bounds: QueryBounds;
  #manifest: Manifest;
  #store!: ReplicaStore;
  #link!: RelayLink;
  readonly #relayWatchers = new Set<(relay: RelayClient) => void>();
  readonly #init: Promise<void>;
  #closed = false;

  constructor(options: SyncClientOptions) {
    super();
    if (options.manifest.schema_version !== options.schemaVersion) {
      throw new RelayClientError("schema_mismatch", `schemaVersion ${options.schemaVersion} is not the manifest's ${options.manifest.schema_version}`);
    }
    this.#o = options;
    this.#db = options.store;
    this.#manifest = options.manifest;
    this.#bounds = options.queryBounds ?? DEFAULT_QUERY_BOUNDS;
    if (this.#db.ephemeral) queueMicrotask(() => this.emit("warning", { code: "replica_in_memory", message: `the local replica is in memory (${this.#db.location}): nothing survives a reload` }));
    this.#init = this.#start();
    this.#init.catch((err: unknown) => this.emit("error", err));
  }

  /** Resolves once the replica is open (schema checked, tables ready) and the relay link started. */
  get opened(): Promise<void> { return this.#init; }
  /** The relay connection (state, events such as `ready` and `confirmed`). */
  get relay(): RelayClient { return this.#link.relay; }

  /**
   * Calls `fn` with the current RelayClient and again with each new one: the client replaces it
   * when it adopts the relay's schema after a mismatch, so listeners on `relay` must be re-added.
   */
  onRelay(fn: (relay: RelayClient) => void): () => void {
    this.#relayWatchers.add(fn);
    if (this.#link !== undefined) fn(this.#link.relay);
    return () => { this.#relayWatchers.delete(fn); };
  }
  /** The client's live-query counters, for tests and diagnostics. */
  get liveQueryRuns(): number { return this.#live.runs; }

  manifest(): Manifest | undefined { return this.#manifest; }

  /** Resolves on the next completed sync with the relay (catch-up done). */
  async ready(): Promise<void> {
    await this.#init;
    await this.#link.relay.ready;
  }

  /** Resolves when every local write has the relay's verdict and its winner is in the replica. */
  async whenSynced(timeoutMs = 30_000): Promise<void> {
    await this.#init;
    const deadline = Date.now() + timeoutMs;
    while (!(this.#link.relay.state === "ready" && this.#link.relay.pendingCount === 0 && this.#store.unsettledCount() === 0)) {
      if (Date.now() > deadline) throw new RelayClientError("timeout", `still ${this.#link.relay.pendingCount} pending writes after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#live.clear();
    await this.#init.catch(() => {});
    await this.#link?.close();
  }

  // ---- reads -----------------------------------------------------------------------------------

  async query(q: Query): Promise<ReplicaRow[]> {
    await this.#init;
    const bq = boundQuery(q, this.#bounds);
    const local = this.#store.specOf(bq.model);
    if (local) return runLocalQuery(this.#db, bq, local.spec, local.table);
    const answer = await this.#link.relay.query(q);
    return answer.rows.map(remoteRow);
  }

  async count(q: Query): Promise<number> {
    await this.#init;
    const bq = boundQuery(q, this.#bounds);
    const local = this.#store.specOf(bq.model);
    if (local) return countLocal(this.#db, bq, local.spec, local.table);
    const answer = await this.#link.relay.query({ ...q, limit: this.#bounds.maxLimit, offset: 0 });
    return answer.total ?? answer.rows.length;
  }

  subscribe(q: Query, onRows: (rows: ReplicaRow[]) => void, onError?: (err: unknown) => void): () => void {
    return this.#live.add(q.model, () => this.query(q), onRows, onError);
  }

  // ---- writes ----------------------------------------------------------------------------------

  async create(model: string, data: Record<string, unknown>, rowId?: string): Promise<ReplicaRow> {
    await this.#init;
    this.#knownModel(model);
    const handle = this.#link.relay.create(model, data, rowId === undefined ? undefined : { rowId });
    return this.#afterWrite(model, handle.row_id, data);
  }

  async update(model: string, rowId: string, data: Record<string, unknown>): Promise<ReplicaRow> {
    await this.#init;
    this.#knownModel(model);
    this.#link.relay.update(model, rowId, data);
    return this.#afterWrite(model, rowId, data);
  }

  async delete(model: string, rowId: string): Promise<void> {
    await this.#init;
    this.#knownModel(model);
    this.#link.relay.delete(model, rowId);
    this.#afterWrite(model, rowId, {});
  }

  // ---- conflicts -------------------------------------------------------------------------------

  async getConflicts(model: string, rowId: string): Promise<{ winner: ConflictVersion; conflicts: ConflictVersion[] }> {
    await this.#init;
    this.#knownModel(model);
    if (!this.#store.isLocal(model) || this.#store.missingConflictBodies(model, rowId).length > 0) {
      const answer = await this.#link.relay.getConflicts(model, rowId);
      if (this.#store.isLocal(model)) {
        this.#store.storeConflictBodies(model, rowId, answer.conflicts);
        this.#changed("remote");
      } else {
        return { winner: version(answer.winner), conflicts: answer.conflicts.map(version) };
      }
    }
    const server = this.#store.getRow(model, rowId);
    if (!server) throw new RelayClientError("unknown_model", `${model} ${rowId} is not in the replica`);
    const conflicts = this.#store.conflictBodies(model, rowId).filter((b) => server.conflicts.includes(b.rev)).map(version);
    return { winner: version({ rev: server.rev, data: server.deleted ? null : server.data }), conflicts };
  }

  async resolveConflict(model: string, rowId: string, data: Record<string, unknown>): Promise<void> {
    await this.#init;
    this.#knownModel(model);
    this.#link.relay.resolveConflict(model, rowId, data);
    this.#changed("local");
  }

  // ---- internals -------------------------------------------------------------------------------

  async #start(): Promise<void> {
    createBookkeepingTables(this.#db);
    const stored = getMeta(this.#db, "schema_version");
    if (stored === null) adoptManifest(this.#db, this.#manifest);
    else if (stored !== this.#o.schemaVersion) {
      await this.#carryOver({
        source: "local", client_schema_version: this.#o.schemaVersion, server_schema_version: this.#o.schemaVersion,
        local_schema_version: stored, message: `the local replica was built for schema ${stored}; this app runs ${this.#o.schemaVersion}`,
      }, this.#manifest);
    }
    let clientId = this.#o.clientId ?? getMeta(this.#db, "client_id");
    if (clientId === null) {
      clientId = randomId();
      setMeta(this.#db, "client_id", clientId);
    }
    this.#open(clientId);
  }

  #open(clientId: string): void {
    this.#store = new ReplicaStore(this.#db, this.#manifest);
    this.#store.materializeAll();
    this.#store.takeTouched();
    this.#link = new RelayLink({
      url: this.#o.url, clientId, schemaVersion: this.#manifest.schema_version, token: this.#o.token,
      socketFactory: this.#o.socketFactory ?? defaultSocketFactory(), relayOptions: this.#o.relay ?? {},
      store: this.#store, emit: (e, p) => this.emit(e, p as never), changed: (source) => this.#changed(source),
      mismatch: (info) => void this.#relayMismatch(info),
    });
    // Queries answered by the relay (shared and remote models) hear of no changes: re-run them
    // whenever a sync completes, so a reconnect refreshes them.
    this.#link.relay.on("ready", () => this.#live.changed(this.#live.models().filter((m) => !this.#store.isLocal(m))));
    for (const fn of this.#relayWatchers) fn(this.#link.relay);
    this.#link.start();
  }

  /** The relay runs another schema: ask the app; with a manifest for it, carry the replica over. */
  async #relayMismatch(info: SchemaMismatchInfo): Promise<void> {
    this.emit("schema_mismatch", info);
    try {
      const answer = normalizePolicy(await (this.#o.onSchemaMismatch ?? (() => "reset" as const))(info));
      if (!answer.manifest || this.#closed) return; // nothing syncs until the app runs the relay's schema
      await this.#link.close();
      this.#manifest = answer.manifest;
      await applyPolicy(this.#db, answer, answer.manifest);
      this.#open(getMeta(this.#db, "client_id") ?? this.#o.clientId ?? randomId());
      this.#changed("local");
      this.#live.all();
    } catch (err) {
      this.emit("error", err);
    }
  }

  async #carryOver(info: SchemaMismatchInfo, to: Manifest): Promise<void> {
    this.emit("schema_mismatch", info);
    const answer = normalizePolicy(await (this.#o.onSchemaMismatch ?? (() => "reset" as const))(info));
    await applyPolicy(this.#db, answer, to);
  }

  #knownModel(model: string): void {
    if (!Object.hasOwn(this.#manifest.models, model)) throw new RelayClientError("unknown_model", `unknown model ${JSON.stringify(model)}`);
  }

  #afterWrite(model: string, rowId: string, data: Record<string, unknown>): ReplicaRow {
    this.#changed("local");
    const local = this.#store.specOf(model);
    const row = local && readRow(this.#db, local.spec, local.table, rowId);
    return row ?? { ...modelBody(data), _djazzkit_id: rowId, _djazzkit_rev: 0, _djazzkit_deleted: false, _djazzkit_updated_at: null, _djazzkit_pending: true, _conflicts: [] };
  }

  #changed(source: "local" | "remote"): void {
    const models = this.#store.takeTouched();
    if (models.length === 0) return;
    this.#live.changed(models);
    this.emit("change", { models, source });
  }
}

function remoteRow(data: Record<string, unknown>): ReplicaRow {
  return {
    ...data,
    _djazzkit_id: String(data["_djazzkit_id"]),
    _djazzkit_rev: Number(data["_djazzkit_rev"] ?? 0),
    _djazzkit_deleted: data["_djazzkit_deleted"] === true,
    _djazzkit_updated_at: typeof data["_djazzkit_updated_at"] === "string" ? data["_djazzkit_updated_at"] : null,
    _djazzkit_pending: false,
    _conflicts: [],
  };
}

function version(v: { rev: string; data: Record<string, unknown> | null }): ConflictVersion {
  return v.data === null ? { rev: v.rev, data: {}, deleted: true } : { rev: v.rev, data: modelBody(v.data) };
}

function defaultSocketFactory(): SocketFactory {
  const WS = (globalThis as unknown as { WebSocket?: new (url: string, protocols?: string[]) => WebSocketLike }).WebSocket;
  if (!WS) throw new RelayClientError("invalid_message", "no global WebSocket here (Node 20): pass socketFactory, e.g. (url, p) => new WebSocket(url, p) from the ws package");
  return (url, protocols) => new WS(url, protocols);
}

function randomId(): string {
  return crypto.randomUUID();
}
