/**
 * The `meta` key/value table: the epoch and the changes-log position `seq` (PROTOCOL 2.4),
 * and the user the object belongs to. Reads go to SQLite every time (cheap, and always in
 * step with a rolled-back transaction); nothing is cached in memory.
 */

export function getMeta(sql: SqlStorage, key: string): string | null {
  const rows = sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = ?`, key).toArray();
  return rows[0]?.value ?? null;
}

export function setMeta(sql: SqlStorage, key: string, value: string): void {
  sql.exec(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value);
}

export function getEpoch(sql: SqlStorage): string {
  const epoch = getMeta(sql, "epoch");
  if (epoch === null) throw new Error("storage not initialised: no epoch");
  return epoch;
}

export function currentSeq(sql: SqlStorage): number {
  return Number(getMeta(sql, "seq") ?? "0");
}

/** Take the next seq (call inside the write transaction). */
export function nextSeq(sql: SqlStorage): number {
  const row = sql
    .exec<{ value: string }>(`UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING value`)
    .one();
  return Number(row.value);
}

/**
 * Seqs for the rows of one write transaction, taken in memory and stored once by `done()`
 * (one statement instead of one per changed row). Call `done()` before anything else in the
 * same transaction takes a seq with `nextSeq`; a mistake there fails loudly on the unique
 * `rows_seq` index and rolls the transaction back, never reusing a position of the log.
 */
export function seqBlock(sql: SqlStorage): { take(): number; done(): void } {
  const start = currentSeq(sql);
  let seq = start;
  return {
    take: () => ++seq,
    done: () => {
      if (seq !== start) setMeta(sql, "seq", String(seq));
    },
  };
}

export function formatCursor(epoch: string, seq: number): string {
  return `${epoch}:${seq}`;
}

/** Split a cursor already validated by the protocol's `Cursor` schema. */
export function parseCursor(cursor: string): { epoch: string; seq: number } {
  const i = cursor.lastIndexOf(":");
  return { epoch: cursor.slice(0, i), seq: Number(cursor.slice(i + 1)) };
}
