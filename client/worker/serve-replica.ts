/**
 * Inside the replica Worker: opens the SQLite replica over OPFS (in-memory fallback with a
 * warning), runs a SyncClient on it, and answers the page's calls and live queries.
 *
 *   // replica-worker.ts (the app's worker entry, loaded with `new Worker(url, { type: "module" })`)
 *   import { serveReplica } from "@djazzkit/core/browser";
 *   import { MANIFEST, SCHEMA_VERSION } from "./models";
 *   serveReplica({ url: "wss://relay.example.com/djazzkit/sync", schemaVersion: SCHEMA_VERSION, manifest: MANIFEST,
 *                  token: () => fetch("/token").then((r) => r.text()) });
 */
import type { ModelBackend } from "../model/backend.js";
import type { SyncClientOptions } from "../sync/options.js";
import { SyncClient } from "../sync/sync-client.js";
import type { SqlDatabase } from "../replica/sql-database.js";
import { type MessagePortLike, type PageMessage, type ReplicaStatus, toWireError, type WorkerMessage } from "./protocol.js";

export interface ServeReplicaOptions extends Omit<SyncClientOptions, "store"> {
  /** The replica: normally `openBrowserStore(name)`, given by the browser entry. */
  store: SqlDatabase;
  /** The Worker's global scope (default `globalThis`). */
  scope?: MessagePortLike;
}

const SYNC_EVENTS = ["rejected", "change", "schema_mismatch", "warning", "error"] as const;

export function serveOn(options: ServeReplicaOptions): SyncClient {
  const scope = options.scope ?? (globalThis as unknown as MessagePortLike);
  const post = (m: WorkerMessage) => scope.postMessage(m);
  const client = new SyncClient(options);
  const subs = new Map<number, () => void>();
  let opened = false;
  const status = (): ReplicaStatus => ({
    state: opened ? client.relay.state : "opening", location: options.store.location, ephemeral: options.store.ephemeral,
    pending: opened ? client.relay.pendingCount : 0,
    user_id: opened ? client.relay.identity?.user_id ?? null : null,
  });
  for (const event of SYNC_EVENTS) {
    client.on(event, (payload: unknown) => post({ djazzkit: "event", event, payload: event === "error" ? toWireError(payload) : payload } as WorkerMessage));
  }
  void client.opened.then(() => {
    opened = true;
    post({ djazzkit: "manifest", manifest: client.manifest()! });
    // onRelay: after adopting the relay's schema the SyncClient runs a new RelayClient.
    client.onRelay((relay) => {
      for (const e of ["ready", "close", "open", "schema_mismatch"] as const) relay.on(e, () => post({ djazzkit: "status", status: status() }));
      post({ djazzkit: "status", status: status() });
    });
  }, () => {});

  const backend: ModelBackend = client;
  scope.addEventListener("message", (event) => {
    const msg = event.data as PageMessage;
    if (typeof msg !== "object" || msg === null || !("djazzkit" in msg)) return;
    if (msg.djazzkit === "subscribe") {
      subs.set(msg.id, backend.subscribe(msg.query,
        (rows) => post({ djazzkit: "rows", id: msg.id, rows }),
        (err) => post({ djazzkit: "rows_error", id: msg.id, error: toWireError(err) })));
    } else if (msg.djazzkit === "unsubscribe") {
      subs.get(msg.id)?.();
      subs.delete(msg.id);
    } else if (msg.djazzkit === "call") {
      const run = async (): Promise<unknown> => {
        if (msg.method === "whenSynced") return client.whenSynced(...(msg.args as [number?]));
        if (msg.method === "status") { await client.opened; return status(); }
        const fn = backend[msg.method] as (...a: unknown[]) => Promise<unknown>;
        return fn.apply(backend, msg.args);
      };
      run().then(
        (value) => post({ djazzkit: "result", id: msg.id, value: value === undefined ? null : value }),
        (err: unknown) => post({ djazzkit: "error", id: msg.id, error: toWireError(err) }),
      );
    }
  });
  return client;
}
