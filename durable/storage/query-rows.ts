/**
 * Reading the relay's query results back: a `rows` row as SQLite yields it (validated at that
 * boundary) and the client record it becomes. Kept apart from the compiler (storage/query-sql.ts), which
 * the browser SDK shares and which must not pull zod in.
 */
import type { RowData } from "../../schemas/protocol.js";
import { clientRecord } from "./client-record.js";
import { decodeBody, QueryRowRecord } from "./rows-record.js";

/**
 * A `rows` row as clients see it: the body plus the `_djazzkit_*` bookkeeping fields. Takes the
 * row exactly as the SQL cursor yields it and validates it with QueryRowRecord (throws on a corrupt row).
 */
export function rowToRecord(raw: Readonly<Record<string, unknown>>): RowData {
  const row = QueryRowRecord.parse(raw);
  return clientRecord({ row_id: row.row_id, gen: row.gen, deleted: Boolean(row.deleted), updated_at: row.updated_at, data: decodeBody(row.data) });
}
