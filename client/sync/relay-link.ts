/**
 * The SyncClient's relay side: builds the RelayClient over the replica store and turns its events
 * into replica updates. Verdicts: an applied write stays replayed until its broadcast arrives; a
 * refused one is dropped, which rolls the row back, and the app hears `rejected`. Rows that
 * arrive in conflict get their losing bodies fetched (`get_conflicts`) so `_conflicts` has data.
 */
import type { MutationResult } from "../../schemas/protocol.js";
import { RelayClient } from "../relay-client.js";
import type { RelayClientOptions } from "../options.js";
import type { ReplicaStore } from "../replica/replica-store.js";
import type { SocketFactory } from "../socket.js";
import { pendingRow, type PendingMutation } from "../store.js";
import type { RejectedWrite, SchemaMismatchInfo, SyncClientEvents } from "./options.js";
import type { TokenOption } from "../token-source.js";

export interface RelayLinkDeps {
  url: string;
  clientId: string;
  schemaVersion: string;
  token: TokenOption | undefined;
  socketFactory: SocketFactory;
  relayOptions: Partial<RelayClientOptions>;
  store: ReplicaStore;
  emit: <K extends keyof SyncClientEvents>(event: K, payload: SyncClientEvents[K]) => void;
  changed: (source: "local" | "remote") => void;
  mismatch: (info: SchemaMismatchInfo) => void;
}

/** Applied writes remembered for attributing a later origin rejection (`mutation_rejected`). */
const REMEMBER_APPLIED = 1000;

export class RelayLink {
  readonly relay: RelayClient;
  readonly #d: RelayLinkDeps;
  readonly #applied = new Map<string, PendingMutation>();
  readonly #fetching = new Set<string>();
  #started = false;

  constructor(deps: RelayLinkDeps) {
    this.#d = deps;
    this.relay = new RelayClient({
      ...deps.relayOptions, url: deps.url, clientId: deps.clientId, schemaVersion: deps.schemaVersion,
      socketFactory: deps.socketFactory, store: deps.store, ...(deps.token === undefined ? {} : { token: deps.token }),
    });
    deps.store.onRemoved = () => queueMicrotask(() => this.#settleRest());
    this.relay.on("changes", ({ rows }) => {
      deps.changed("remote");
      for (const row of rows) if (row.conflicts.length > 0) this.#fetchConflicts(row.model, row.row_id);
    });
    this.relay.on("push_result", ({ results }) => this.#verdicts(results));
    this.relay.on("rejected", (msg) => {
      deps.store.forgetAcked(msg.rev);
      const entry = this.#applied.get(msg.mutation_id);
      if (entry) this.#reject(entry, msg.code, msg.message, "origin");
      deps.changed("remote");
    });
    this.relay.on("schema_mismatch", (msg) => deps.mismatch({ source: "relay", ...msg, local_schema_version: deps.schemaVersion }));
    this.relay.on("ready", () => {
      for (const row of deps.store.listRows()) if (row.conflicts.length > 0) this.#fetchConflicts(row.model, row.row_id);
    });
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    // The RelayClient asks a token callback before every connect and after a 4401 itself.
    this.relay.connect().catch(() => {}); // state and events report failures; reads and writes go on offline
  }

  close(): Promise<void> {
    return this.relay.close();
  }

  #verdicts(results: readonly MutationResult[]): void {
    for (const r of results) {
      const entry = r.status === "applied"
        ? this.#d.store.settle(r.mutation_id, { applied: true, rev: r.rev ?? "0-" })
        : this.#d.store.settle(r.mutation_id, { applied: false });
      if (!entry) continue;
      if (r.status === "applied") {
        this.#applied.set(r.mutation_id, entry);
        if (this.#applied.size > REMEMBER_APPLIED) this.#applied.delete(this.#applied.keys().next().value!);
      } else {
        this.#reject(entry, r.code ?? "internal", r.message ?? "rejected", "relay");
      }
    }
    this.#d.changed("local");
  }

  #settleRest(): void {
    const rest = this.#d.store.settleRest();
    for (const entry of rest) this.#reject(entry, "internal", "the relay refused this write", "relay");
    if (rest.length) this.#d.changed("local");
  }

  #reject(entry: PendingMutation, code: string, message: string, by: RejectedWrite["by"]): void {
    const { model, row_id } = pendingRow(entry);
    const mutation_id = entry.kind === "push" ? entry.mutation.mutation_id : entry.mutation_id;
    const operation = entry.kind === "push" ? entry.mutation.operation : "resolve";
    this.#d.emit("rejected", { mutation_id, model, row_id, operation, code, message, by });
  }

  #fetchConflicts(model: string, rowId: string): void {
    const key = `${model}\u0000${rowId}`;
    if (this.#fetching.has(key) || this.#d.store.missingConflictBodies(model, rowId).length === 0) return;
    this.#fetching.add(key);
    this.relay.getConflicts(model, rowId)
      .then((answer) => {
        this.#d.store.storeConflictBodies(model, rowId, answer.conflicts);
        this.#d.changed("remote");
      })
      .catch(() => {}) // offline or refused: the next changes frame or sync tries again
      .finally(() => this.#fetching.delete(key));
  }
}
