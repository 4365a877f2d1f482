/**
 * The `rows` table (one winner per row; columns in storage/migrations.ts): the record SQLite
 * yields, the winner it decodes to, and the one decoder every reader uses (row store, changes
 * feed, conflict list, query answers). Each row's JSON columns are parsed once, here.
 *
 * Records are not validated with zod on the catch-up and write paths: the table is written only
 * by storage/row-store.ts, in these column types, and a catch-up decodes every row of it. Query
 * answers, whose columns the shared query compiler chooses, are validated (QueryRowRecord).
 * Pure, no Workers imports (the node-side unit tests reach it through storage/query-rows.ts).
 */
import { z } from "zod";
import { RowData } from "../../schemas/protocol.js";

/** One record of the `rows` table as SQLite yields it (booleans as 0/1, JSON as text). */
export const RowRecord = z.object({
  model: z.string(),
  row_id: z.string(),
  rev: z.string(),
  gen: z.number(),
  deleted: z.number(),
  /** The winner's body as JSON text; null when deleted. */
  data: z.string().nullable(),
  /** The conflicting leaves' revs as a JSON array. */
  conflicts: z.string(),
  updated_at: z.string(),
  seq: z.number(),
});
export type RowRecord = z.infer<typeof RowRecord>;

/** Every column of RowRecord, for `SELECT ${ROW_COLUMNS} FROM rows`. */
export const ROW_COLUMNS = Object.keys(RowRecord.shape).join(", ");

/** The winner of a row: a RowRecord decoded. */
export const WinnerRow = RowRecord.extend({
  deleted: z.boolean(),
  /** The winner's body (model fields only); null when deleted. */
  data: RowData.nullable(),
  conflicts: z.array(z.string()),
});
export type WinnerRow = z.infer<typeof WinnerRow>;

/** The columns a query answer selects (storage/query-sql.ts); `deleted` as SQLite or a boolean. */
export const QueryRowRecord = RowRecord.pick({ row_id: true, rev: true, gen: true, data: true, updated_at: true }).extend({
  deleted: z.union([z.number(), z.boolean()]),
});
export type QueryRowRecord = z.infer<typeof QueryRowRecord>;

/** The `data` column: a JSON object, or null (deleted, or not an object). */
export function decodeBody(text: string | null): RowData | null {
  if (text === null) return null;
  const body: unknown = JSON.parse(text);
  return typeof body === "object" && body !== null && !Array.isArray(body) ? (body as RowData) : null;
}

/** Decode one `rows` record: the only place its JSON columns are parsed. */
export function decodeRow(r: RowRecord): WinnerRow {
  return {
    model: r.model,
    row_id: r.row_id,
    rev: r.rev,
    gen: r.gen,
    deleted: r.deleted === 1,
    data: decodeBody(r.data),
    conflicts: JSON.parse(r.conflicts) as string[],
    updated_at: r.updated_at,
    seq: r.seq,
  };
}
