/**
 * An in-memory better-sqlite3 database holding the relay's `rows` table (the columns of
 * durable/storage/migrations.ts), for the query compiler's tests that run its SQL on real
 * SQLite. Closed after the file's tests.
 */
import Database from "better-sqlite3";
import { afterAll } from "vitest";

export function openRowsTable(): Database.Database {
  const db = new Database(":memory:");
  db.exec(`CREATE TABLE rows (
    model TEXT NOT NULL, row_id TEXT NOT NULL,
    rev TEXT NOT NULL, gen INTEGER NOT NULL, deleted INTEGER NOT NULL,
    data TEXT, conflicts TEXT NOT NULL DEFAULT '[]', updated_at TEXT NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (model, row_id))`);
  afterAll(() => db.close());
  return db;
}
