/**
 * storage/query-rows.ts checks a query row by hand before falling back to zod: the check must
 * accept exactly what QueryRowRecord accepts, give the same record, and throw where it throws.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { queryRowRecord } from "../../durable/storage/query-rows.js";
import { QueryRowRecord } from "../../durable/storage/rows-record.js";

const anyValue = fc.oneof(
  fc.string({ maxLength: 4 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined),
  fc.constant(Number.NaN), fc.constant(Number.POSITIVE_INFINITY), fc.bigInt(), fc.constant({}), fc.constant([]),
);
const good = {
  row_id: fc.string({ maxLength: 4 }), rev: fc.string({ maxLength: 4 }), gen: fc.integer(),
  deleted: fc.oneof(fc.integer({ min: 0, max: 1 }), fc.boolean()), data: fc.option(fc.string({ maxLength: 6 }), { nil: null }), updated_at: fc.string({ maxLength: 4 }),
};
/** Rows that are mostly well-formed, with some columns replaced by anything, missing, or extra. */
const rowArb = fc.record(Object.fromEntries(Object.entries(good).map(([k, v]) => [k, fc.oneof({ weight: 4, arbitrary: v as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: anyValue })])), { requiredKeys: [] })
  .chain((r) => fc.record({ extra: anyValue }, { requiredKeys: [] }).map((x) => ({ ...r, ...x })));

describe("queryRowRecord", () => {
  it("agrees with QueryRowRecord on well-formed and corrupt rows", () => {
    fc.assert(
      fc.property(rowArb, (raw) => {
        const want = QueryRowRecord.safeParse(raw);
        let got: unknown;
        let threw = false;
        try {
          got = queryRowRecord(raw);
        } catch {
          threw = true;
        }
        expect(threw).toBe(!want.success);
        if (want.success) expect(got).toEqual(want.data);
      }),
      { numRuns: 2000 },
    );
  });
});
