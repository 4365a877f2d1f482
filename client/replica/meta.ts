/** The replica's key/value bookkeeping (`_djazzkit_meta`): schema version, manifest, cursor, mutation counter and id prefix, client id. */
import type { SqlDatabase } from "./sql-database.js";

export type MetaKey = "schema_version" | "manifest" | "cursor" | "counter" | "client_id" | "id_prefix";

export function getMeta(db: SqlDatabase, key: MetaKey): string | null {
  const row = db.all("SELECT value FROM _djazzkit_meta WHERE key = ?", [key])[0];
  return row ? String(row["value"]) : null;
}

export function setMeta(db: SqlDatabase, key: MetaKey, value: string | null): void {
  if (value === null) db.run("DELETE FROM _djazzkit_meta WHERE key = ?", [key]);
  else db.run("INSERT INTO _djazzkit_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", [key, value]);
}
