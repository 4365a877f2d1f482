/**
 * `@djazzkit/core/node`: the replica in a SQLite file through better-sqlite3 (12.x on Node 20).
 * An app installs better-sqlite3 itself; the core entry never imports it.
 */
import Database from "better-sqlite3";
import type { SqlDatabase, SqlValue } from "./replica/sql-database.js";

export type { SqlDatabase } from "./replica/sql-database.js";

/** Opens (or creates) the replica at `path`; `":memory:"` for a throwaway one. */
export function openNodeStore(path: string): SqlDatabase {
  const db = new Database(path);
  db.pragma("journal_mode = WAL"); // a crash mid-write never leaves a torn replica
  db.pragma("synchronous = FULL"); // an acknowledged local write survives power loss
  const statements = new Map<string, Database.Statement>();
  const prepare = (sql: string) => {
    let s = statements.get(sql);
    if (!s) {
      s = db.prepare(sql);
      if (statements.size > 500) statements.clear();
      statements.set(sql, s);
    }
    return s;
  };
  const ephemeral = path === ":memory:" || path === "";
  return {
    location: path,
    ephemeral,
    run(sql, params = []) {
      prepare(sql).run(...params);
    },
    all(sql, params = []) {
      const s = prepare(sql);
      if (!s.reader) {
        s.run(...params);
        return [];
      }
      return s.all(...params) as Record<string, SqlValue>[];
    },
    transaction<T>(fn: () => T): T {
      if (db.inTransaction) return fn();
      return db.transaction(fn).immediate();
    },
    close() {
      statements.clear();
      db.close();
    },
  };
}
