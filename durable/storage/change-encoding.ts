/**
 * One change of the feed as the JSON text a `changes` frame carries, and its UTF-8 size (frames
 * are cut by bytes): from a decoded winner (live broadcasts) or straight from a stored `rows`
 * record (catch-up). Pure, no Workers imports.
 */
import type { ChangeRow } from "../../schemas/protocol.js";
import { clientRecord } from "./client-record.js";
import { decodeRow, type RowRecord, type WinnerRow } from "./rows-record.js";

const encoder = new TextEncoder();

export function toChangeRow(row: WinnerRow): ChangeRow {
  return {
    model: row.model,
    row_id: row.row_id,
    rev: row.rev,
    data: row.deleted ? null : clientRecord(row),
    deleted: row.deleted,
    conflicts: row.conflicts,
  };
}

/** A change ready to pack: its seq, and the row serialised once. */
export interface Encoded {
  seq: number;
  json: string;
  bytes: number;
}

const NON_ASCII = /[^\x00-\x7f]/;

/** UTF-8 length of `text`: its length when it is all ASCII (the common case), else encoded. */
function utf8Bytes(text: string): number {
  return NON_ASCII.test(text) ? encoder.encode(text).byteLength : text.length;
}

export function encode(row: WinnerRow): Encoded {
  const json = JSON.stringify(toChangeRow(row));
  return { seq: row.seq, json, bytes: utf8Bytes(json) };
}

/**
 * A `rows` record encoded from the text SQLite holds, for catch-up: the body and the conflicts
 * go into the change as the row store wrote them (JSON) instead of being parsed and serialised
 * again for every row. The same JSON value as `encode(decodeRow(r))`
 * (test/unit/change-encoding.test.ts); a body that is not a plain object, or that carries a
 * key of djazzkit's bookkeeping (which must win over it), takes that general path.
 */
export function encodeRecord(r: RowRecord): Encoded {
  const deleted = r.deleted === 1;
  let data = "null";
  if (!deleted) {
    const raw = r.data ?? "{}";
    if (raw.charCodeAt(0) !== 123 /* { */ || raw.charCodeAt(raw.length - 1) !== 125 /* } */ || raw.includes('"_djazzkit_')) {
      return encode(decodeRow(r));
    }
    const inner = raw.slice(1, -1);
    const bookkeeping = `"_djazzkit_id":${JSON.stringify(r.row_id)},"_djazzkit_rev":${r.gen},"_djazzkit_deleted":false,"_djazzkit_updated_at":${JSON.stringify(r.updated_at)}`;
    data = `{${inner.trim() === "" ? "" : `${inner},`}${bookkeeping}}`;
  }
  const json = `{"model":${JSON.stringify(r.model)},"row_id":${JSON.stringify(r.row_id)},"rev":${JSON.stringify(r.rev)},"data":${data},"deleted":${deleted},"conflicts":${r.conflicts}}`;
  return { seq: r.seq, json, bytes: utf8Bytes(json) };
}
