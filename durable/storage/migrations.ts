/**
 * The object's SQLite schema and its migrations.
 *
 * workerd has no `PRAGMA user_version`, so applied migrations are recorded in `_migrations`.
 * `migrate()` runs once per object start (the object calls it lazily from every entry point);
 * each migration runs in its own transaction, so a crash leaves either all of it or none.
 *
 * When a migration is needed: any change to a table or index below. Never edit a migration
 * that has shipped; append a new one (ALTER TABLE / CREATE INDEX / data backfill) instead.
 * The query indexes are the exception: they follow the manifest, not a migration
 * (`syncQueryIndexes`, storage/query-indexes.ts).
 */

import type { SchemaManifest } from "../../schemas/manifest.js";
import { indexedFields, QUERY_INDEX_PREFIX, queryIndexPlan, type QueryIndex } from "./query-indexes.js";

/** One schema step. `up` runs inside a transaction. */
interface Migration {
  id: number;
  name: string;
  up(sql: SqlStorage): void;
}

/** 64-bit random epoch in hex (PROTOCOL 2.4: fixed when the storage is first initialised). */
function randomEpoch(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: "revision trees, winners, changes log, mutation ids, outbox",
    up(sql) {
      // meta: epoch, seq (the changes log position), user_id; the origin link keeps its cursor
      // and schema cache here as plain keys (no migration needed for new keys).
      sql.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
      sql.exec(`INSERT INTO meta (key, value) VALUES ('epoch', ?), ('seq', '0')`, randomEpoch());
      // Every stored revision of every row. `data` is kept for leaves and for revisions a
      // pending child may need to fall back to (undo); other bodies are dropped (NULL).
      // `pending` = 1 until the write is confirmed (standalone: in the same transaction).
      sql.exec(`CREATE TABLE revisions (
        model TEXT NOT NULL, row_id TEXT NOT NULL, rev TEXT NOT NULL,
        gen INTEGER NOT NULL, parent TEXT, deleted INTEGER NOT NULL,
        is_leaf INTEGER NOT NULL, data TEXT, pending INTEGER NOT NULL DEFAULT 0,
        mutation_id TEXT,
        PRIMARY KEY (model, row_id, rev))`);
      sql.exec(`CREATE INDEX revisions_leaves ON revisions (model, row_id) WHERE is_leaf = 1`);
      sql.exec(`CREATE INDEX revisions_parent ON revisions (model, row_id, parent)`);
      // The winner of each row; `seq` is the changes log (each change takes the next seq, so
      // a row appears once, at its latest change). The query compiler targets this table.
      sql.exec(`CREATE TABLE rows (
        model TEXT NOT NULL, row_id TEXT NOT NULL,
        rev TEXT NOT NULL, gen INTEGER NOT NULL, deleted INTEGER NOT NULL,
        data TEXT,
        conflicts TEXT NOT NULL DEFAULT '[]',
        updated_at TEXT NOT NULL,
        seq INTEGER NOT NULL,
        PRIMARY KEY (model, row_id))`);
      sql.exec(`CREATE UNIQUE INDEX rows_seq ON rows (seq)`);
      sql.exec(`CREATE INDEX rows_conflicted ON rows (model, row_id) WHERE conflicts <> '[]'`);
      // Per-row revision count and the count at which the tree is next stemmed (amortised
      // DJAZZKIT_REVS_LIMIT pruning: the whole tree is loaded only every so many writes).
      sql.exec(`CREATE TABLE trees (
        model TEXT NOT NULL, row_id TEXT NOT NULL,
        revs INTEGER NOT NULL, stem_at INTEGER NOT NULL,
        PRIMARY KEY (model, row_id))`);
      // First result of every applied mutation id (idempotency, PROTOCOL 2.5).
      sql.exec(`CREATE TABLE mutations (
        mutation_id TEXT PRIMARY KEY, result TEXT NOT NULL, created_at TEXT NOT NULL)`);
      // Writes to relay to the origin (empty when standalone).
      sql.exec(`CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT, mutation_id TEXT NOT NULL,
        payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0)`);
    },
  },
  {
    id: 2,
    name: "mutation fingerprints",
    up(sql) {
      // What each mutation id first asked (durable/writes/mutation-ids.ts): a repeat that asks for
      // something else is mutation_id_reused. Rows from before stay NULL (answered as duplicates).
      sql.exec(`ALTER TABLE mutations ADD COLUMN fingerprint TEXT`);
    },
  },
  {
    id: 3,
    name: "what the origin holds per row; index of pending revisions",
    up(sql) {
      // The state the origin was last told to hold for a row (origin/held.ts): the
      // winner revision, its tombstone flag and the conflict revisions of the last item it
      // applied (or of a pulled origin row). `refused` is the state key of a winner correction
      // the origin refused, so that state is not sent again and again.
      sql.exec(`CREATE TABLE origin_rows (
        model TEXT NOT NULL, row_id TEXT NOT NULL,
        rev TEXT NOT NULL, deleted INTEGER NOT NULL, conflicts TEXT NOT NULL DEFAULT '[]',
        refused TEXT,
        PRIMARY KEY (model, row_id))`);
      // "Does this row have writes the origin has not settled?" is asked per outbox item.
      sql.exec(`CREATE INDEX revisions_pending ON revisions (model, row_id) WHERE pending = 1`);
    },
  },
  {
    id: 4,
    name: "leaner write layout: revisions keyed by (model, row_id, gen, rev), no parent index; trees and mutations without rowid",
    up(sql) {
      // A write inserted into eleven b-trees, six at random places (bench/BENCH-NOTES.md).
      // `gen` in the revisions key puts a revision's children at gen + 1 of the same row, which
      // replaces `revisions_parent` (every child lookup names the row, the gen and the parent).
      // `revisions` stays a rowid table (bodies appended in insertion order beside a narrow key
      // index): clustered WITHOUT ROWID, every body sat in the randomly written key b-tree and a
      // batch of creates dirtied more pages (101-124 against 91-104 µs a write at batch 100).
      // `trees` and `mutations` are WITHOUT ROWID: one b-tree each instead of a table plus a
      // unique index. Lossless: every column is copied; gen was always the revision id's generation.
      sql.exec(`CREATE TABLE revisions_v4 (
        model TEXT NOT NULL, row_id TEXT NOT NULL, rev TEXT NOT NULL,
        gen INTEGER NOT NULL, parent TEXT, deleted INTEGER NOT NULL,
        is_leaf INTEGER NOT NULL, data TEXT, pending INTEGER NOT NULL DEFAULT 0,
        mutation_id TEXT,
        PRIMARY KEY (model, row_id, gen, rev))`);
      sql.exec(`INSERT INTO revisions_v4 (model, row_id, rev, gen, parent, deleted, is_leaf, data, pending, mutation_id)
        SELECT model, row_id, rev, gen, parent, deleted, is_leaf, data, pending, mutation_id FROM revisions`);
      sql.exec(`DROP TABLE revisions`);
      sql.exec(`ALTER TABLE revisions_v4 RENAME TO revisions`);
      sql.exec(`CREATE INDEX revisions_leaves ON revisions (model, row_id) WHERE is_leaf = 1`);
      sql.exec(`CREATE INDEX revisions_pending ON revisions (model, row_id) WHERE pending = 1`);
      sql.exec(`CREATE TABLE trees_v4 (
        model TEXT NOT NULL, row_id TEXT NOT NULL,
        revs INTEGER NOT NULL, stem_at INTEGER NOT NULL,
        PRIMARY KEY (model, row_id)) WITHOUT ROWID`);
      sql.exec(`INSERT INTO trees_v4 (model, row_id, revs, stem_at) SELECT model, row_id, revs, stem_at FROM trees`);
      sql.exec(`DROP TABLE trees`);
      sql.exec(`ALTER TABLE trees_v4 RENAME TO trees`);
      sql.exec(`CREATE TABLE mutations_v4 (
        mutation_id TEXT NOT NULL PRIMARY KEY, result TEXT NOT NULL, created_at TEXT NOT NULL, fingerprint TEXT) WITHOUT ROWID`);
      sql.exec(`INSERT INTO mutations_v4 (mutation_id, result, created_at, fingerprint)
        SELECT mutation_id, result, created_at, fingerprint FROM mutations`);
      sql.exec(`DROP TABLE mutations`);
      sql.exec(`ALTER TABLE mutations_v4 RENAME TO mutations`);
    },
  },
];

/**
 * Apply every migration not yet recorded. Idempotent; cheap when nothing is pending. `upTo`
 * stops after that migration (tests build an older layout to check a later migration's copy).
 */
export function migrate(storage: DurableObjectStorage, upTo: number = Infinity): void {
  const sql = storage.sql;
  sql.exec(`CREATE TABLE IF NOT EXISTS _migrations (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const done = new Set(sql.exec<{ id: number }>(`SELECT id FROM _migrations`).toArray().map((r) => r.id));
  for (const m of MIGRATIONS) {
    if (done.has(m.id) || m.id > upTo) continue;
    storage.transactionSync(() => {
      m.up(sql);
      sql.exec(`INSERT INTO _migrations (id, name, applied_at) VALUES (?, ?, ?)`, m.id, m.name, new Date().toISOString());
    });
  }
}

/**
 * Make the query indexes (storage/query-indexes.ts) exactly `plan`: create the missing ones,
 * drop those of this family the plan no longer names (a field gone from the manifest stops
 * costing writes). One transaction; cheap when nothing changes (one read of sqlite_master).
 */
export function syncQueryIndexes(storage: DurableObjectStorage, plan: readonly QueryIndex[]): void {
  const sql = storage.sql;
  const existing = new Set(
    sql
      .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'rows' AND substr(name, 1, ?) = ?`, QUERY_INDEX_PREFIX.length, QUERY_INDEX_PREFIX)
      .toArray()
      .map((r) => r.name),
  );
  const wanted = new Set(plan.map((i) => i.name));
  const create = plan.filter((i) => !existing.has(i.name));
  const drop = [...existing].filter((name) => !wanted.has(name));
  if (create.length === 0 && drop.length === 0) return;
  storage.transactionSync(() => {
    for (const name of drop) sql.exec(`DROP INDEX IF EXISTS "${name.replaceAll('"', '""')}"`);
    for (const index of create) sql.exec(index.create);
  });
}

/** Per object: the manifest its query indexes were last synced with, and the fields they cover. */
const synced = new WeakMap<DurableObjectStorage, { manifest: SchemaManifest; fields: ReadonlyMap<string, ReadonlySet<string>> }>();

/**
 * The object's query indexes in step with `manifest` (synced when the manifest object changes:
 * at the object's start and after a schema refresh); returns the fields they cover, per model.
 */
export function queryIndexesFor(storage: DurableObjectStorage, manifest: SchemaManifest): ReadonlyMap<string, ReadonlySet<string>> {
  const known = synced.get(storage);
  if (known?.manifest === manifest) return known.fields;
  const plan = queryIndexPlan(manifest);
  syncQueryIndexes(storage, plan);
  const fields = indexedFields(plan);
  synced.set(storage, { manifest, fields });
  return fields;
}

/** The newest migration id (tests check the table against it). */
export const LATEST_MIGRATION = MIGRATIONS[MIGRATIONS.length - 1]!.id;
