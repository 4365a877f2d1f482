/**
 * The changes feed (PROTOCOL 2.4, 4): rows as clients see them, packed into `changes` frames of
 * at most MAX_CHANGES_ROWS rows and MAX_CHANGES_FRAME_BYTES bytes, for catch-up from a cursor
 * and for live broadcasts. The log is `rows.seq`: each row appears once, at its latest change,
 * so catch-up sends the latest state of each row changed after the cursor.
 */
import { MAX_CHANGES_FRAME_BYTES, MAX_CHANGES_ROWS } from "../../schemas/protocol.js";
import { encode, encodeRecord, type Encoded } from "./change-encoding.js";
import { ROW_COLUMNS, type RowRecord, type WinnerRow } from "./rows-record.js";
import { currentSeq, formatCursor, getEpoch, parseCursor } from "./meta.js";

/** Bytes reserved in each frame for everything but the rows (type, cursor, flags, commas). */
const FRAME_OVERHEAD_BYTES = 256;
/** Rows read from SQLite per page of catch-up. */
const PAGE_ROWS = MAX_CHANGES_ROWS;

function frameText(rowsJson: string[], cursor: string, more: boolean, reset: boolean): string {
  const flags = reset ? `,"reset":true` : "";
  return `{"type":"changes","rows":[${rowsJson.join(",")}],"cursor":${JSON.stringify(cursor)}${flags},"more":${more}}`;
}

/**
 * Packs changes (in seq order) into frame texts. Every frame but the last has `more: true` and
 * the cursor of its last row, so a client cut off mid-stream resumes exactly there; the last
 * frame carries `finalSeq`. Only the first frame carries `reset`. A single row larger than a
 * frame still goes out alone (writes are bounded by MAX_ROW_BODY_BYTES so this cannot happen).
 */
export function packChanges(
  changes: readonly WinnerRow[],
  epoch: string,
  finalSeq: number,
  opts: { reset?: boolean; more?: boolean } = {},
): string[] {
  return packEncoded(changes.map(encode), epoch, finalSeq, opts);
}

/** packChanges for changes already encoded (catch-up encodes stored records directly). */
function packEncoded(
  changes: readonly Encoded[],
  epoch: string,
  finalSeq: number,
  opts: { reset?: boolean; more?: boolean },
): string[] {
  const frames: string[] = [];
  const budget = MAX_CHANGES_FRAME_BYTES - FRAME_OVERHEAD_BYTES;
  let batch: Encoded[] = [];
  let bytes = 0;
  let reset = opts.reset === true;
  const flush = (last: boolean) => {
    const cursorSeq = last ? finalSeq : batch[batch.length - 1]!.seq;
    const more = last ? opts.more === true : true;
    frames.push(frameText(batch.map((e) => e.json), formatCursor(epoch, cursorSeq), more, reset));
    reset = false;
    batch = [];
    bytes = 0;
  };
  for (const e of changes) {
    if (batch.length > 0 && (batch.length >= MAX_CHANGES_ROWS || bytes + e.bytes + 1 > budget)) flush(false);
    batch.push(e);
    bytes += e.bytes + 1;
  }
  if (batch.length > 0 || reset) flush(true);
  return frames;
}

/**
 * Catch-up from `since` (PROTOCOL 2.4). A cursor of another epoch, or ahead of the current seq,
 * gets a full resync with `reset: true`. Runs synchronously (no await), so no write can slip in
 * between the last frame and the moment the caller marks the socket live.
 * The frames are produced lazily, page by page, to keep memory flat on a large catch-up.
 */
export function* catchUp(sql: SqlStorage, since: string | null | undefined): Generator<string, { cursor: string; reset: boolean }> {
  const epoch = getEpoch(sql);
  const head = currentSeq(sql);
  let from = 0;
  let reset = false;
  if (since != null) {
    const c = parseCursor(since);
    if (c.epoch !== epoch || c.seq > head) reset = true;
    else from = c.seq;
  }
  let first = true;
  for (;;) {
    const page = sql
      .exec<RowRecord>(`SELECT ${ROW_COLUMNS} FROM rows WHERE seq > ? ORDER BY seq LIMIT ?`, from, PAGE_ROWS)
      .toArray();
    const last = page.length < PAGE_ROWS || page[page.length - 1]!.seq >= head;
    if (page.length === 0 && !(first && reset)) break;
    const frames = packEncoded(page.map(encodeRecord), epoch, last ? head : page[page.length - 1]!.seq, { reset: first && reset, more: !last });
    for (const f of frames) yield f;
    first = false;
    if (last) break;
    from = page[page.length - 1]!.seq;
  }
  return { cursor: formatCursor(epoch, head), reset };
}
