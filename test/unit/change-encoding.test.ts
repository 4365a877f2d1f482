/**
 * Catch-up encodes each stored `rows` record from its text (storage/change-encoding.ts
 * `encodeRecord`) instead of decoding it and serialising the decoded row again. Whatever the
 * record holds, the change a client receives must be the same JSON value as the general path's
 * (`toChangeRow(decodeRow(r))`), with the same UTF-8 size, so frames are cut at the same bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeRecord, toChangeRow } from "../../durable/storage/change-encoding.js";
import { decodeRow, type RowRecord } from "../../durable/storage/rows-record.js";

const text = fc.oneof(fc.string(), fc.string({ unit: "grapheme" }), fc.constantFrom("", "é", "日本", "😀", '"q"', "\\"));
const key = fc.oneof(text, fc.constantFrom("_djazzkit_id", "_djazzkit_rev", "_djazzkit_deleted", "_djazzkit_updated_at", "_djazzkit_other", "1", "10", "2", "__proto__"));
const body = fc.dictionary(key, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 });

/** The `data` column: what the row store writes (JSON text of an object), and odd cases. */
const dataColumn = fc.oneof(
  { weight: 6, arbitrary: body.map((b) => JSON.stringify(b)) },
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom("{}", "[]", "[1,2]", "5", '"s"', "null", "true") },
);

const record: fc.Arbitrary<RowRecord> = fc.record({
  model: fc.oneof(fc.constantFrom("notes.note", "todo.task"), text),
  row_id: fc.oneof(fc.uuid(), text),
  rev: fc.string({ minLength: 1 }),
  gen: fc.integer({ min: 1, max: 1_000_000 }),
  deleted: fc.constantFrom(0, 1),
  data: dataColumn,
  conflicts: fc.array(fc.string(), { maxLength: 3 }).map((c) => JSON.stringify(c)),
  updated_at: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
  seq: fc.integer({ min: 1, max: 2 ** 40 }),
});

const utf8 = (s: string) => new TextEncoder().encode(s).byteLength;

describe("catch-up encodes stored records directly", () => {
  it("gives the same change (JSON value and UTF-8 bytes) as decoding and re-serialising", () => {
    fc.assert(
      fc.property(record, (r) => {
        const fast = encodeRecord(r);
        const general = JSON.stringify(toChangeRow(decodeRow(r)));
        expect(JSON.parse(fast.json)).toEqual(JSON.parse(general));
        expect(fast.bytes).toBe(utf8(fast.json));
        expect(fast.seq).toBe(r.seq);
      }),
      { numRuns: 3000 },
    );
  });

  it("splices the stored body for the common row, bookkeeping last", () => {
    const r: RowRecord = {
      model: "notes.note", row_id: "r1", rev: "2-abc", gen: 2, deleted: 0,
      data: '{"body":"b","title":"t"}', conflicts: '["2-abd"]', updated_at: "2026-11-30T00:00:00.000Z", seq: 7,
    };
    expect(encodeRecord(r).json).toBe(
      '{"model":"notes.note","row_id":"r1","rev":"2-abc","data":{"body":"b","title":"t","_djazzkit_id":"r1","_djazzkit_rev":2,"_djazzkit_deleted":false,"_djazzkit_updated_at":"2026-11-30T00:00:00.000Z"},"deleted":false,"conflicts":["2-abd"]}',
    );
    expect(JSON.parse(encodeRecord({ ...r, deleted: 1, data: null }).json).data).toBeNull();
    // A body naming a bookkeeping key: the bookkeeping value wins, and the key is not doubled.
    const clash = encodeRecord({ ...r, data: '{"_djazzkit_id":"forged","title":"t"}' }).json;
    expect(clash.match(/_djazzkit_id/g)).toHaveLength(1);
    expect(JSON.parse(clash).data._djazzkit_id).toBe("r1");
  });
});
