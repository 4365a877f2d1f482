/**
 * A push's storage work in a few statements, whatever its size (bench/BENCH-NOTES.md): the
 * revisions of every mutation in one INSERT, their parents' leaf flags in one UPDATE, the
 * stored leaves and winners of the touched rows in one read each, the new winners in one
 * upsert. Each statement takes its rows as one JSON array parameter (`json_each`), so its text
 * and its parameter count stay the same for any batch. Same effects as the one-row functions
 * of storage/row-store.ts, which the rarer paths (origin pulls, undo, resolution of origin
 * conflicts) keep using. Inside the caller's transaction.
 */
import { parseRev, type RevNode } from "../../revtree/index.js";
import type { RowData } from "../../schemas/protocol.js";
import { decideWinner, rowKey, writeTombstone } from "./row-store.js";
import { decodeRow, ROW_COLUMNS, type RowRecord, type WinnerRow } from "./rows-record.js";

/**
 * Most body characters one statement's JSON parameter carries. Durable Object SQLite refuses a
 * string over 2 MB (SQLITE_TOOBIG) and a push's revisions may carry far more (small patches to
 * large rows): the rows go in chunks. At most 3 UTF-8 bytes per character (a JSON escape is 2
 * bytes for a 1-byte character) keeps a chunk under 2 MB; one item alone always fits, a body
 * being at most MAX_ROW_BODY_BYTES (800 KB, writes/plan.ts).
 */
const MAX_CHUNK_CHARS = 500_000;

/** `items` in order, cut so that each piece's `size` sum stays within MAX_CHUNK_CHARS (one item at least). */
function chunked<T>(items: readonly T[], size: (item: T) => number): T[][] {
  const out: T[][] = [];
  let piece: T[] = [];
  let chars = 0;
  for (const item of items) {
    const n = size(item) + 200; // the other fields of the item
    if (piece.length > 0 && chars + n > MAX_CHUNK_CHARS) {
      out.push(piece);
      piece = [];
      chars = 0;
    }
    piece.push(item);
    chars += n;
  }
  if (piece.length > 0) out.push(piece);
  return out;
}

/** A row of the user's data, by model and id. */
export interface RowRef {
  model: string;
  row_id: string;
}

/** One revision to store, and the mutation that wrote it. */
export interface RevisionInsert extends RowRef {
  node: RevNode;
  mutationId: string | null;
}

/**
 * Store revisions (one statement, plus one for their parents' leaf flags). Returns, in input
 * order, whether each was inserted: false when it was stored already (content ids: the same
 * edit), including a second copy of one revision in the same batch. A revision that arrives
 * after its children (a stemmed ancestor coming back) is stored as no leaf.
 */
export function insertRevisions(sql: SqlStorage, items: readonly RevisionInsert[], pending: boolean): boolean[] {
  if (items.length === 0) return [];
  const params = items.map((i) => [
    i.model, i.row_id, i.node.rev, parseRev(i.node.rev).gen, i.node.parent, i.node.deleted ? 1 : 0,
    i.node.data === null ? null : JSON.stringify(i.node.data), i.mutationId,
  ] as const);
  const stored = new Set<string>();
  // In input order, chunk after chunk: a second copy of a revision is refused by the first.
  for (const chunk of chunked(params, (p) => p[6]?.length ?? 0)) {
    for (const key of insertChunk(sql, chunk, pending)) stored.add(key);
  }
  const inserted = items.map((i) => stored.delete(`${rowKey(i.model, i.row_id)}\u0000${i.node.rev}`));
  const parents = items.filter((i, n) => inserted[n] && i.node.parent !== null).map((i) => [i.model, i.row_id, parseRev(i.node.parent!).gen, i.node.parent]);
  if (parents.length > 0) {
    sql.exec(
      `UPDATE revisions SET is_leaf = 0 FROM (${KEYS}) k
       WHERE revisions.model = k.model AND revisions.row_id = k.row_id AND revisions.gen = k.gen AND revisions.rev = k.rev AND revisions.is_leaf = 1`,
      JSON.stringify(parents),
    );
  }
  return inserted;
}

/** One INSERT of `insertRevisions`; the keys (row key + NUL + rev) it stored. */
function insertChunk(sql: SqlStorage, params: readonly (readonly unknown[])[], pending: boolean): string[] {
  return sql
      .exec<{ model: string; row_id: string; rev: string }>(
        `INSERT INTO revisions (model, row_id, rev, gen, parent, deleted, is_leaf, data, pending, mutation_id)
         SELECT j.model, j.row_id, j.rev, j.gen, j.parent, j.deleted,
           NOT EXISTS (SELECT 1 FROM revisions c WHERE c.model = j.model AND c.row_id = j.row_id AND c.gen = j.gen + 1 AND c.parent = j.rev),
           j.data, ?, j.mutation_id
         FROM (SELECT json_extract(value, '$[0]') AS model, json_extract(value, '$[1]') AS row_id, json_extract(value, '$[2]') AS rev,
                 json_extract(value, '$[3]') AS gen, json_extract(value, '$[4]') AS parent, json_extract(value, '$[5]') AS deleted,
                 json_extract(value, '$[6]') AS data, json_extract(value, '$[7]') AS mutation_id
               FROM json_each(?)) j
         WHERE true
         ON CONFLICT DO NOTHING
         RETURNING model, row_id, rev`,
        pending ? 1 : 0,
        JSON.stringify(params),
      )
      .toArray()
      .map((r) => `${rowKey(r.model, r.row_id)}\u0000${r.rev}`);
}

/**
 * Revision keys from one JSON parameter `[[model, row_id, gen, rev], ...]`, for `UPDATE ... FROM`
 * (a join, so each is one seek in the revisions key; a row-value IN used only its first columns).
 */
const KEYS = `SELECT json_extract(value, '$[0]') AS model, json_extract(value, '$[1]') AS row_id,
  json_extract(value, '$[2]') AS gen, json_extract(value, '$[3]') AS rev FROM json_each(?)`;

interface LeafRecord extends Record<string, SqlStorageValue> {
  model: string;
  row_id: string;
  rev: string;
  parent: string | null;
  deleted: number;
  data: string | null;
}

/** The stored leaves of many rows in one read: an entry, possibly empty, per asked row. */
export function leavesOfRows(sql: SqlStorage, rows: readonly RowRef[]): Map<string, RevNode[]> {
  const out = new Map<string, RevNode[]>();
  for (const r of rows) out.set(rowKey(r.model, r.row_id), []);
  if (out.size === 0) return out;
  const found = sql.exec<LeafRecord>(
    `SELECT r.model AS model, r.row_id AS row_id, r.rev AS rev, r.parent AS parent, r.deleted AS deleted, r.data AS data
     FROM (SELECT DISTINCT json_extract(value, '$[0]') AS model, json_extract(value, '$[1]') AS row_id FROM json_each(?)) j
     JOIN revisions r INDEXED BY revisions_leaves ON r.model = j.model AND r.row_id = j.row_id AND r.is_leaf = 1`,
    JSON.stringify(rows.map((r) => [r.model, r.row_id])),
  );
  for (const r of found) {
    out.get(rowKey(r.model, r.row_id))!.push({
      rev: r.rev,
      parent: r.parent,
      deleted: r.deleted === 1,
      data: r.data === null ? null : (JSON.parse(r.data) as RowData),
    });
  }
  return out;
}

/** The stored winners of many rows in one read (absent: never stored). */
function winnersOfRows(sql: SqlStorage, rows: readonly RowRef[]): Map<string, WinnerRow> {
  const out = new Map<string, WinnerRow>();
  if (rows.length === 0) return out;
  const found = sql.exec<RowRecord>(
    `SELECT ${ROW_COLUMNS.split(", ").map((c) => `w.${c} AS ${c}`).join(", ")}
     FROM (SELECT DISTINCT json_extract(value, '$[0]') AS model, json_extract(value, '$[1]') AS row_id FROM json_each(?)) j
     JOIN rows w ON w.model = j.model AND w.row_id = j.row_id`,
    JSON.stringify(rows.map((r) => [r.model, r.row_id])),
  );
  for (const r of found) out.set(rowKey(r.model, r.row_id), decodeRow(r));
  return out;
}

/** A touched row; `newLeaves`: it had no revision before this transaction and these are its leaves now. */
export interface WinnerInput extends RowRef {
  newLeaves?: readonly RevNode[] | null;
}

/**
 * `recomputeWinner` for every touched row of a write, in input order (each changed row takes
 * the next seq from `takeSeq`): rows with `newLeaves` are not read back; the others' leaves
 * and winners are read in one statement each. Returns the changed rows (in input order) and
 * every row's winner after the write (stored ones read here included).
 */
export function recomputeWinners(
  sql: SqlStorage,
  rows: readonly WinnerInput[],
  nowIso: string,
  takeSeq: () => number,
): { changed: WinnerRow[]; after: Map<string, WinnerRow> } {
  const unknown = rows.filter((r) => r.newLeaves == null || r.newLeaves.length === 0);
  const leaves = leavesOfRows(sql, unknown);
  const after = winnersOfRows(sql, unknown);
  const changed: WinnerRow[] = [];
  const upserts: Array<[string, string, string, number, number, string | null, string, number]> = [];
  for (const r of rows) {
    const key = rowKey(r.model, r.row_id);
    const known = r.newLeaves != null && r.newLeaves.length > 0;
    const decided = decideWinner(r.model, r.row_id, known ? r.newLeaves! : leaves.get(key)!, known ? null : (after.get(key) ?? null), nowIso, takeSeq);
    if (decided === null) continue;
    const { row } = decided;
    changed.push(row);
    after.set(key, row);
    if (decided.write === "tombstone") writeTombstone(sql, row);
    else upserts.push([row.model, row.row_id, row.rev, row.gen, row.deleted ? 1 : 0, row.data === null ? null : JSON.stringify(row.data), JSON.stringify(row.conflicts), row.seq]);
  }
  for (const chunk of chunked(upserts, (u) => u[5]?.length ?? 0)) {
    sql.exec(
      `INSERT INTO rows (model, row_id, rev, gen, deleted, data, conflicts, updated_at, seq)
       SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), json_extract(value, '$[3]'),
         json_extract(value, '$[4]'), json_extract(value, '$[5]'), json_extract(value, '$[6]'), ?, json_extract(value, '$[7]')
       FROM json_each(?) WHERE true
       ON CONFLICT (model, row_id) DO UPDATE SET rev = excluded.rev, gen = excluded.gen, deleted = excluded.deleted,
         data = excluded.data, conflicts = excluded.conflicts, updated_at = excluded.updated_at, seq = excluded.seq`,
      nowIso,
      JSON.stringify(chunk),
    );
  }
  return { changed, after };
}

/**
 * `dropSettledBody` for many revisions in one statement: each body goes once the revision is
 * interior and no pending child may fall back to it.
 */
export function dropSettledBodies(sql: SqlStorage, revs: ReadonlyArray<RowRef & { rev: string }>): void {
  if (revs.length === 0) return;
  sql.exec(
    `UPDATE revisions SET data = NULL FROM (${KEYS}) k
     WHERE revisions.model = k.model AND revisions.row_id = k.row_id AND revisions.gen = k.gen AND revisions.rev = k.rev
       AND revisions.is_leaf = 0 AND revisions.data IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM revisions c
         WHERE c.model = revisions.model AND c.row_id = revisions.row_id AND c.gen = revisions.gen + 1 AND c.parent = revisions.rev AND c.pending = 1)`,
    JSON.stringify(revs.map((r) => [r.model, r.row_id, parseRev(r.rev).gen, r.rev])),
  );
}
