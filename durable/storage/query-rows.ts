/**
 * Reading the relay's query results back: a `rows` row as SQLite yields it (validated at that
 * boundary) and the client record it becomes. Kept apart from the compiler (storage/query-sql.ts), which
 * the browser SDK shares and which must not pull zod in.
 */
import type { RowData } from "../../schemas/protocol.js";
import { clientRecord } from "./client-record.js";
import { decodeBody, QueryRowRecord } from "./rows-record.js";

/**
 * The row as QueryRowRecord, checked by hand on the common path (a zod parse per row was a
 * measurable share of a query answer); anything the check does not accept goes through
 * QueryRowRecord.parse, which throws its error for a corrupt row. Accepts exactly what the schema
 * accepts (test/unit/query-rows-guard.test.ts).
 */
export function queryRowRecord(raw: Readonly<Record<string, unknown>>): QueryRowRecord {
  const { row_id, rev, gen, deleted, data, updated_at } = raw;
  if (
    typeof row_id === "string" && typeof rev === "string" && typeof gen === "number" && Number.isFinite(gen) &&
    ((typeof deleted === "number" && Number.isFinite(deleted)) || typeof deleted === "boolean") &&
    (data === null || typeof data === "string") && typeof updated_at === "string"
  ) {
    return { row_id, rev, gen, deleted, data, updated_at };
  }
  return QueryRowRecord.parse(raw);
}

/**
 * A `rows` row as clients see it: the body plus the `_djazzkit_*` bookkeeping fields. Takes the
 * row exactly as the SQL cursor yields it and validates it (throws on a corrupt row).
 */
export function rowToRecord(raw: Readonly<Record<string, unknown>>): RowData {
  const row = queryRowRecord(raw);
  return clientRecord({ row_id: row.row_id, gen: row.gen, deleted: Boolean(row.deleted), updated_at: row.updated_at, data: decodeBody(row.data) });
}
