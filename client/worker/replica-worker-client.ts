/**
 * In the page: a ModelBackend whose replica runs in a Worker (serveReplica). Generated models
 * use it like a SyncClient: `setModelBackend(connectReplica(worker, { manifest: MANIFEST }))`.
 */
import type { Manifest } from "../../schemas/manifest.js";
import type { Query } from "../../schemas/query.js";
import { Emitter } from "../emitter.js";
import { RelayClientError } from "../errors.js";
import type { ConflictVersion, ModelBackend, ReplicaRow } from "../model/backend.js";
import type { SyncClientEvents } from "../sync/options.js";
import type { CallMethod, MessagePortLike, ReplicaStatus, WireError, WorkerMessage } from "./protocol.js";

export interface ReplicaWorkerEvents extends SyncClientEvents {
  status: ReplicaStatus;
}

export class ReplicaWorkerClient extends Emitter<ReplicaWorkerEvents> implements ModelBackend {
  readonly #port: MessagePortLike;
  #manifest: Manifest | undefined;
  #status: ReplicaStatus | undefined;
  #next = 0;
  readonly #calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  readonly #subs = new Map<number, { onRows: (rows: ReplicaRow[]) => void; onError: ((err: unknown) => void) | undefined }>();

  constructor(port: MessagePortLike, options: { manifest?: Manifest } = {}) {
    super();
    this.#port = port;
    this.#manifest = options.manifest;
    port.addEventListener("message", (event) => this.#receive(event.data as WorkerMessage));
  }

  manifest(): Manifest | undefined { return this.#manifest; }
  /** The last status the Worker reported (connection state, replica location, pending writes). */
  get status(): ReplicaStatus | undefined { return this.#status; }

  query(q: Query): Promise<ReplicaRow[]> { return this.#call("query", [q]) as Promise<ReplicaRow[]>; }
  count(q: Query): Promise<number> { return this.#call("count", [q]) as Promise<number>; }
  create(model: string, data: Record<string, unknown>, rowId?: string): Promise<ReplicaRow> {
    return this.#call("create", rowId === undefined ? [model, data] : [model, data, rowId]) as Promise<ReplicaRow>;
  }
  update(model: string, rowId: string, data: Record<string, unknown>): Promise<ReplicaRow> {
    return this.#call("update", [model, rowId, data]) as Promise<ReplicaRow>;
  }
  async delete(model: string, rowId: string): Promise<void> { await this.#call("delete", [model, rowId]); }
  getConflicts(model: string, rowId: string): Promise<{ winner: ConflictVersion; conflicts: ConflictVersion[] }> {
    return this.#call("getConflicts", [model, rowId]) as Promise<{ winner: ConflictVersion; conflicts: ConflictVersion[] }>;
  }
  async resolveConflict(model: string, rowId: string, data: Record<string, unknown>): Promise<void> {
    await this.#call("resolveConflict", [model, rowId, data]);
  }
  /** Resolves when every local write has the relay's verdict (see SyncClient.whenSynced). */
  async whenSynced(timeoutMs?: number): Promise<void> { await this.#call("whenSynced", timeoutMs === undefined ? [] : [timeoutMs]); }
  /** Asks the Worker for its current status. */
  fetchStatus(): Promise<ReplicaStatus> { return this.#call("status", []) as Promise<ReplicaStatus>; }

  subscribe(q: Query, onRows: (rows: ReplicaRow[]) => void, onError?: (err: unknown) => void): () => void {
    const id = ++this.#next;
    this.#subs.set(id, { onRows, onError });
    this.#port.postMessage({ djazzkit: "subscribe", id, query: q });
    return () => {
      if (!this.#subs.delete(id)) return;
      this.#port.postMessage({ djazzkit: "unsubscribe", id });
    };
  }

  #call(method: CallMethod, args: unknown[]): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      this.#port.postMessage({ djazzkit: "call", id, method, args });
    });
  }

  #receive(msg: WorkerMessage): void {
    if (typeof msg !== "object" || msg === null || !("djazzkit" in msg)) return;
    switch (msg.djazzkit) {
      case "result": case "error": {
        const call = this.#calls.get(msg.id);
        this.#calls.delete(msg.id);
        if (msg.djazzkit === "result") call?.resolve(msg.value);
        else call?.reject(fromWire(msg.error));
        return;
      }
      case "rows": this.#subs.get(msg.id)?.onRows(msg.rows); return;
      case "rows_error": this.#subs.get(msg.id)?.onError?.(fromWire(msg.error)); return;
      case "manifest": this.#manifest = msg.manifest; return;
      case "status": this.#status = msg.status; this.emit("status", msg.status); return;
      case "event": this.emit(msg.event, msg.payload as never); return;
    }
  }
}

function fromWire(e: WireError): RelayClientError {
  return new RelayClientError(e.code as RelayClientError["code"], e.message, e.details);
}

/** The page's side of a replica Worker. */
export function connectReplica(worker: MessagePortLike, options: { manifest?: Manifest } = {}): ReplicaWorkerClient {
  return new ReplicaWorkerClient(worker, options);
}
