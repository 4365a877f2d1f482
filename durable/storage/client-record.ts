/**
 * A row as clients see it (ARCHITECTURE: row data semantics): the body plus djazzkit's
 * bookkeeping fields, which win over body keys of the same name. One function for the changes
 * feed (built for every row of a catch-up, so it stays a single spread) and for query answers.
 * Pure, no Workers imports: the node-side unit tests import it through storage/query-sql.ts.
 */
import type { RowData } from "../../schemas/protocol.js";

/** The parts of a `rows` row a client record is built from; a WinnerRow is one. */
export interface RecordSource {
  row_id: string;
  gen: number;
  deleted: boolean;
  updated_at: string;
  /** The body (model fields only); null when deleted. */
  data: RowData | null;
}

/** Takes any row carrying these fields (generic so callers may pass a WinnerRow with fields replaced). */
export function clientRecord<R extends RecordSource>(row: R): RowData {
  return {
    ...row.data,
    _djazzkit_id: row.row_id,
    _djazzkit_rev: row.gen,
    _djazzkit_deleted: row.deleted,
    _djazzkit_updated_at: row.updated_at,
  };
}
