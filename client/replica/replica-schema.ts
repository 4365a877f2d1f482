/**
 * The replica's tables (one SQLite database per user installation):
 *
 *   _djazzkit_meta(key, value)                    schema version, manifest, cursor, counter, client id
 *   _djazzkit_outbox(seq, mutation_id, entry)      pending writes in the order they were made
 *   _djazzkit_server(model, row_id, rev, ...)      the relay's winner of every row, as it sent it
 *   _djazzkit_conflict_bodies(model, row_id, rev)  bodies of losing leaves (from get_conflicts)
 *   <one table per model>                         what the app reads: the server row with the
 *                                                 pending writes replayed on top, typed columns
 *
 * The model tables are derived data: they can be dropped and rebuilt from the other four at
 * any time (a schema change does exactly that). Table names come from the manifest's `table`,
 * prefixed so no model can shadow a bookkeeping table.
 */
import type { FieldType, Manifest, ModelSpec } from "../../schemas/manifest.js";
import { isHeldInObject } from "../../schemas/model-scope.js";
import type { SqlDatabase } from "./sql-database.js";

const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function quoteIdent(name: string): string {
  if (!IDENT_RE.test(name)) throw new Error(`not a plain identifier: ${JSON.stringify(name)}`);
  return `"${name}"`;
}

/** The replica table of a model (names are manifest identifiers, checked again here). */
export function tableOf(model: string, spec: ModelSpec): string {
  const base = IDENT_RE.test(spec.table) ? spec.table : model.replace(/[^A-Za-z0-9_]/g, "_");
  return `m_${base}`;
}

/** Column affinity per field type. Decimals keep whatever JSON form they arrived in (no affinity). */
const COLUMN_TYPE: Record<FieldType, string> = {
  string: "TEXT", date: "TEXT", datetime: "TEXT", uuid: "TEXT",
  integer: "INTEGER", float: "REAL", boolean: "INTEGER", decimal: "", json: "TEXT",
};

/** Models whose rows live in the replica: the user's own synced rows; the rest are asked of the relay. */
export function localModels(manifest: Manifest): [string, ModelSpec][] {
  return Object.entries(manifest.models).filter(([, spec]) => isHeldInObject(spec));
}

export function createBookkeepingTables(db: SqlDatabase): void {
  db.run("CREATE TABLE IF NOT EXISTS _djazzkit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  db.run(`CREATE TABLE IF NOT EXISTS _djazzkit_outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, mutation_id TEXT NOT NULL UNIQUE, entry TEXT NOT NULL)`);
  db.run(`CREATE TABLE IF NOT EXISTS _djazzkit_server (
    model TEXT NOT NULL, row_id TEXT NOT NULL, rev TEXT NOT NULL, deleted INTEGER NOT NULL,
    data TEXT, conflicts TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (model, row_id))`);
  db.run(`CREATE TABLE IF NOT EXISTS _djazzkit_conflict_bodies (
    model TEXT NOT NULL, row_id TEXT NOT NULL, rev TEXT NOT NULL, data TEXT,
    PRIMARY KEY (model, row_id, rev))`);
}

export function createModelTables(db: SqlDatabase, manifest: Manifest): void {
  for (const [model, spec] of localModels(manifest)) {
    const cols = Object.entries(spec.fields).map(([name, f]) => `${quoteIdent(name)} ${COLUMN_TYPE[f.type]}`.trim());
    db.run(`CREATE TABLE IF NOT EXISTS ${quoteIdent(tableOf(model, spec))} (
      _djazzkit_id TEXT PRIMARY KEY, _djazzkit_rev INTEGER NOT NULL, _djazzkit_revid TEXT,
      _djazzkit_deleted INTEGER NOT NULL, _djazzkit_updated_at TEXT, _djazzkit_conflicts TEXT NOT NULL,
      _djazzkit_pending INTEGER NOT NULL${cols.length ? ", " + cols.join(", ") : ""})`);
  }
}

/** Drops every model table a manifest describes (the bookkeeping tables stay). */
export function dropModelTables(db: SqlDatabase, manifest: Manifest): void {
  for (const [model, spec] of localModels(manifest)) db.run(`DROP TABLE IF EXISTS ${quoteIdent(tableOf(model, spec))}`);
}

/** Drops the replica's rows, cursor and outbox: what the `reset` policy means. Counter and client id stay. */
export function wipeReplica(db: SqlDatabase, manifest: Manifest | undefined): void {
  if (manifest) dropModelTables(db, manifest);
  db.run("DELETE FROM _djazzkit_outbox");
  db.run("DELETE FROM _djazzkit_server");
  db.run("DELETE FROM _djazzkit_conflict_bodies");
  db.run("DELETE FROM _djazzkit_meta WHERE key = 'cursor'");
}
