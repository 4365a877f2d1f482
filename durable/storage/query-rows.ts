/**
 * Reading the relay's query results back: a `rows` row as SQLite yields it (validated at that
 * boundary) and the client record it becomes. Kept apart from the compiler (storage/query-sql.ts), which
 * the browser SDK shares and which must not pull zod in.
 */
import { z } from "zod";
import type { RowData } from "../../schemas/protocol.js";
import { clientRecord } from "./client-record.js";

/** One result row of `sql`, as read back from SQLite (validated at that boundary). */
export const RowsRow = z.object({
  row_id: z.string(),
  rev: z.string(),
  gen: z.number(),
  deleted: z.union([z.number(), z.boolean()]),
  data: z.string().nullable(),
  updated_at: z.string(),
});
export type RowsRow = z.infer<typeof RowsRow>;

/**
 * A `rows` row as clients see it: the body plus the `_djazzkit_*` bookkeeping fields. Takes the
 * row exactly as the SQL cursor yields it and decodes it with RowsRow (throws on a corrupt row).
 */
export function rowToRecord(raw: Readonly<Record<string, unknown>>): RowData {
  const row = RowsRow.parse(raw);
  const body: unknown = row.data === null ? null : JSON.parse(row.data);
  const data = typeof body === "object" && body !== null && !Array.isArray(body) ? (body as RowData) : null;
  return clientRecord({ row_id: row.row_id, gen: row.gen, deleted: Boolean(row.deleted), updated_at: row.updated_at, data });
}
