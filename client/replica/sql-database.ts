/**
 * The seam between the replica and a SQLite engine. Synchronous on purpose: better-sqlite3 (Node)
 * and sqlite-wasm's oo1 API (inside a browser Worker, over OPFS) are both synchronous, so a
 * `changes` frame and its cursor are stored in one transaction without awaiting in between.
 */
export type SqlValue = string | number | null;

export interface SqlDatabase {
  /** Runs one statement that returns no rows (DDL, INSERT, UPDATE, DELETE). */
  run(sql: string, params?: readonly SqlValue[]): void;
  /** Runs one statement and returns its rows as plain objects keyed by column name. */
  all(sql: string, params?: readonly SqlValue[]): Record<string, SqlValue>[];
  /** Runs `fn` inside one transaction (nested calls join the outer one); rolls back on throw. */
  transaction<T>(fn: () => T): T;
  close(): void;
  /** Where the data lives, for diagnostics: a file path, `opfs-sahpool:<name>` or `:memory:`. */
  readonly location: string;
  /** True when nothing survives the process (the in-memory fallback). */
  readonly ephemeral: boolean;
}

/** Helper for engines whose transaction primitive is BEGIN/COMMIT on a single connection. */
export function beginCommit<T>(db: Pick<SqlDatabase, "run">, depth: { n: number }, fn: () => T): T {
  if (depth.n > 0) {
    depth.n++;
    try {
      return fn();
    } finally {
      depth.n--;
    }
  }
  db.run("BEGIN IMMEDIATE");
  depth.n = 1;
  try {
    const out = fn();
    db.run("COMMIT");
    return out;
  } catch (err) {
    db.run("ROLLBACK");
    throw err;
  } finally {
    depth.n = 0;
  }
}
