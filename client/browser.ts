/**
 * `@djazzkit/core/browser`: the replica in the browser with @sqlite.org/sqlite-wasm. Persistent
 * storage is OPFS through the `opfs-sahpool` VFS, which needs a dedicated Worker (sync access
 * handles exist only there) but no COOP/COEP headers. Where that is not available (main
 * thread, old browser, private mode) the replica falls back to memory and says so: a console
 * warning, `store.ephemeral === true`, and the SyncClient's `warning` event.
 */
import sqlite3InitModule from "@sqlite.org/sqlite-wasm";
import { beginCommit, type SqlDatabase, type SqlValue } from "./replica/sql-database.js";

export type { SqlDatabase } from "./replica/sql-database.js";
import { serveOn, type ServeReplicaOptions } from "./worker/serve-replica.js";
import type { MessagePortLike } from "./worker/protocol.js";
import type { SyncClient } from "./sync/sync-client.js";

export interface BrowserStoreOptions {
  /** OPFS directory of the pool; one per app on an origin (default `.djazzkit`). */
  directory?: string;
  /** Called instead of console.warn when the replica falls back to memory. */
  onWarning?: (message: string) => void;
}

interface Oo1Db {
  exec(opts: { sql: string; bind?: SqlValue[]; rowMode?: "object"; returnValue?: "resultRows" }): unknown;
  close(): void;
}

/** Opens (or creates) the replica `name` in OPFS; in memory, with a warning, where OPFS is unusable. */
export async function openBrowserStore(name = "djazzkit.db", options: BrowserStoreOptions = {}): Promise<SqlDatabase> {
  const sqlite3 = await sqlite3InitModule();
  let why: string;
  try {
    const pool = await sqlite3.installOpfsSAHPoolVfs({ directory: options.directory ?? ".djazzkit", preserveOnInitFailure: true });
    const db = new pool.OpfsSAHPoolDb(`/${name}`) as unknown as Oo1Db;
    return adapt(db, `opfs-sahpool:/${name}`, false);
  } catch (err) {
    why = err instanceof Error ? err.message : String(err);
  }
  const warning = `djazzkit: OPFS is not available (${why}); the local replica is in memory and is lost on reload`;
  (options.onWarning ?? console.warn)(warning);
  return adapt(new sqlite3.oo1.DB(":memory:", "c") as unknown as Oo1Db, ":memory:", true);
}

function adapt(db: Oo1Db, location: string, ephemeral: boolean): SqlDatabase {
  const depth = { n: 0 };
  const out: SqlDatabase = {
    location,
    ephemeral,
    run(sql, params = []) {
      db.exec({ sql, bind: [...params] });
    },
    all(sql, params = []) {
      return db.exec({ sql, bind: [...params], rowMode: "object", returnValue: "resultRows" }) as Record<string, SqlValue>[];
    },
    transaction: <T>(fn: () => T): T => beginCommit(out, depth, fn),
    close() {
      db.close();
    },
  };
  return out;
}

export interface ServeOptions extends Omit<ServeReplicaOptions, "store"> {
  /** Replica file name in OPFS (default `djazzkit.db`); one per app and user. */
  storeName?: string;
  store?: BrowserStoreOptions;
}

/**
 * Call inside a module Worker: opens the replica over OPFS and serves it to the page, which
 * uses `connectReplica(worker)` from `@djazzkit/core`. Resolves with the Worker's SyncClient.
 */
export async function serveReplica(options: ServeOptions): Promise<SyncClient> {
  const { storeName, store: storeOptions, scope = globalThis as unknown as MessagePortLike, ...rest } = options;
  // The page may post before the engine has loaded: hold those messages, do not drop them.
  const early: { data: unknown }[] = [];
  let deliver: ((event: { data: unknown }) => void) | undefined;
  scope.addEventListener("message", (event) => (deliver ? deliver(event) : early.push(event)));
  const store = await openBrowserStore(storeName, storeOptions);
  return serveOn({
    ...rest, store,
    scope: {
      postMessage: (m) => scope.postMessage(m),
      addEventListener: (_type, listener) => {
        deliver = listener;
        for (const event of early.splice(0)) listener(event);
      },
    },
  });
}
