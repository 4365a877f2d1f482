/**
 * Where an object's data came from (issue 8 item 8, DESIGN 8 "Epochs"). An object remembers
 * its data source in `meta`: `standalone`, or `origin:<DJAZZKIT_ORIGIN_URL><prefix>`. When the
 * relay starts with another source (standalone switched to a Django origin, or another origin),
 * the rows it holds were never the new source's: serving them would show Django data it never
 * had, and editing one would quietly create it there. So the object drops its copy of the old
 * source's data and starts a new epoch; every client's cursor then names an unknown epoch, and
 * its next catch-up starts with `reset: true`. The new source is read afresh (an origin
 * hydrates on first use).
 *
 * What is dropped: every table of the object's own schema except `meta` (rows, revisions,
 * mutation ids, the outbox...) and the `meta` keys of the old source (pull cursor, schema
 * cache, outbox backoff). An outbox still holding writes for the old origin cannot be delivered
 * to the new one: they are dropped with a logged warning; drain it before switching origins.
 */
import { getMeta, setMeta } from "./meta.js";

export const DATA_SOURCE_KEY = "data_source";
/** `meta` keys that belong to the object itself, not to its data source. */
const KEPT_META_KEYS = new Set(["owner", "seq", "epoch", DATA_SOURCE_KEY]);
const KEPT_META_PREFIXES = ["session:"];
/** Written by an origin-backed object's first pull (origin/pull.ts). */
const ORIGIN_CURSOR_KEY = "origin_cursor";

/** The data source these settings give an object. */
export function dataSourceOf(settings: { DJAZZKIT_ORIGIN_URL?: string | undefined; DJAZZKIT_ORIGIN_PREFIX: string }): string {
  if (settings.DJAZZKIT_ORIGIN_URL === undefined) return "standalone";
  return `origin:${settings.DJAZZKIT_ORIGIN_URL.replace(/\/+$/, "")}${settings.DJAZZKIT_ORIGIN_PREFIX}`;
}

function randomEpoch(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function ownTables(sql: SqlStorage): string[] {
  return sql
    .exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND substr(name, 1, 1) <> '_' AND name <> 'meta'`)
    .toArray()
    .map((r) => r.name);
}

function hasData(sql: SqlStorage): boolean {
  return ownTables(sql).some((t) => sql.exec(`SELECT 1 FROM "${t.replace(/"/g, '""')}" LIMIT 1`).toArray().length > 0);
}

/**
 * The source an object recorded, or for an object from before this rule, the best guess: one
 * that pulled from an origin ran with the current origin if there is one (an unknown one
 * otherwise); one with data but no pull ran standalone; an empty one has no past to keep.
 */
function recordedSource(sql: SqlStorage, current: string): string {
  const recorded = getMeta(sql, DATA_SOURCE_KEY);
  if (recorded !== null) return recorded;
  if (getMeta(sql, ORIGIN_CURSOR_KEY) !== null) return current.startsWith("origin:") ? current : "origin:unknown";
  return hasData(sql) ? "standalone" : current;
}

/** Record `source`; when it differs from the recorded one, drop the old data and start a new epoch. True when it did. */
export function adoptDataSource(storage: DurableObjectStorage, source: string): boolean {
  const sql = storage.sql;
  const previous = recordedSource(sql, source);
  if (previous === source) {
    if (getMeta(sql, DATA_SOURCE_KEY) === null) setMeta(sql, DATA_SOURCE_KEY, source);
    return false;
  }
  storage.transactionSync(() => {
    const outbox = ownTables(sql).includes("outbox") ? sql.exec<{ n: number }>(`SELECT count(*) AS n FROM outbox`).one().n : 0;
    if (outbox > 0) console.warn(`data source changed from ${previous} to ${source}: ${outbox} undelivered outbox entries dropped`);
    for (const t of ownTables(sql)) sql.exec(`DELETE FROM "${t.replace(/"/g, '""')}"`);
    for (const { key } of sql.exec<{ key: string }>(`SELECT key FROM meta`).toArray()) {
      if (KEPT_META_KEYS.has(key) || KEPT_META_PREFIXES.some((p) => key.startsWith(p))) continue;
      sql.exec(`DELETE FROM meta WHERE key = ?`, key);
    }
    setMeta(sql, "epoch", randomEpoch());
    setMeta(sql, DATA_SOURCE_KEY, source);
  });
  return true;
}
