import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson, isRev, parseRev, revisionId } from "../../revtree/index.js";

const arbBody = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 });
const arbRev = fc
  .tuple(fc.integer({ min: 1, max: 99_999 }), fc.string({ unit: fc.constantFrom(..."0123456789abcdef"), minLength: 32, maxLength: 32 }))
  .map(([gen, hash]) => `${gen}-${hash}`);

describe("revisionId", () => {
  it("is a known answer for a fixed edit", async () => {
    // sha256('[false,null,{"title":"milk"}]'), first 32 hex
    expect(await revisionId(false, null, { title: "milk" })).toBe(
      "1-" + createHash("sha256").update('[false,null,{"title":"milk"}]').digest("hex").slice(0, 32),
    );
  });

  it("is content-addressed: the hash is SHA-256 of canonical [deleted, parent, data]", async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.option(arbRev), fc.option(arbBody), async (deleted, parent, data) => {
        const expected = createHash("sha256").update(canonicalJson([deleted, parent, data]), "utf8").digest("hex").slice(0, 32);
        expect((await revisionId(deleted, parent, data)).split("-")[1]).toBe(expected);
      }),
    );
  });

  it("is deterministic: the same edit made twice gets the same id", async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.option(arbRev), arbBody, async (deleted, parent, data) => {
        const copy = JSON.parse(JSON.stringify(data)) as typeof data;
        expect(await revisionId(deleted, parent, copy)).toBe(await revisionId(deleted, parent, data));
      }),
    );
  });

  it("does not depend on the key order of the body", async () => {
    expect(await revisionId(false, null, { a: 1, b: { c: 2, d: 3 } })).toBe(await revisionId(false, null, { b: { d: 3, c: 2 }, a: 1 }));
  });

  it("gives a root generation 1 and a child its parent's generation + 1", async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(arbRev), arbBody, async (parent, data) => {
        const id = await revisionId(false, parent, data);
        expect(isRev(id)).toBe(true);
        expect(parseRev(id).gen).toBe(parent === null ? 1 : parseRev(parent).gen + 1);
      }),
    );
  });

  it("tells apart edits that differ in the tombstone flag, the parent or the body", async () => {
    const root = await revisionId(false, null, { a: 1 });
    const ids = new Set([
      root,
      await revisionId(true, null, { a: 1 }),
      await revisionId(false, null, { a: 2 }),
      await revisionId(false, null, null),
      await revisionId(true, null, null),
      await revisionId(false, root, { a: 1 }),
    ]);
    expect(ids.size).toBe(6);
  });

  it("rejects a malformed parent", async () => {
    await expect(revisionId(false, "2-XYZ", {})).rejects.toThrow(TypeError);
    await expect(revisionId(false, "9999999999-" + "0".repeat(32), {})).rejects.toThrow(RangeError);
  });
});

describe("parseRev", () => {
  it("splits a well-formed id into generation and hash", () => {
    fc.assert(
      fc.property(arbRev, (r) => {
        const { gen, hash } = parseRev(r);
        expect(`${gen}-${hash}`).toBe(r);
      }),
    );
    expect(parseRev("12-" + "a".repeat(32))).toEqual({ gen: 12, hash: "a".repeat(32) });
  });

  it.each([
    ["empty", ""],
    ["no dash", "1" + "a".repeat(32)],
    ["generation 0", "0-" + "a".repeat(32)],
    ["leading zero", "01-" + "a".repeat(32)],
    ["negative", "-1-" + "a".repeat(32)],
    ["11 digits", "12345678901-" + "a".repeat(32)],
    ["short hash", "1-" + "a".repeat(31)],
    ["long hash", "1-" + "a".repeat(33)],
    ["upper case", "1-" + "A".repeat(32)],
    ["not hex", "1-" + "g".repeat(32)],
    ["trailing newline", "1-" + "a".repeat(32) + "\n"],
  ])("throws on a malformed id (%s)", (_name, bad) => {
    expect(() => parseRev(bad)).toThrow(TypeError);
    expect(isRev(bad)).toBe(false);
  });

  it("throws on a non-string", () => {
    expect(() => parseRev(42 as unknown as string)).toThrow(TypeError);
  });
});
