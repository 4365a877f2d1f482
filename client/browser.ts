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
