/**
 * The row body limit (durable/writes/plan.ts checkBodySize) counts UTF-8 bytes, also when its
 * shortcut (at most 3 bytes per UTF-16 code unit) skips encoding small bodies.
 */
import { describe, expect, it } from "vitest";
import { checkBodySize, MAX_ROW_BODY_BYTES } from "../../durable/writes/plan.js";

describe("checkBodySize", () => {
  it("refuses a body over the limit in UTF-8 bytes, not in characters", () => {
    // 300,000 euro signs: 300,000 characters, 900,000 bytes.
    expect(() => checkBodySize({ t: "\u20ac".repeat(300_000) })).toThrow(/exceeds/);
    // 266,000 of them: under the limit either way (the shortcut's case).
    expect(() => checkBodySize({ t: "\u20ac".repeat(266_000) })).not.toThrow();
  });

  it("accepts an ASCII body just under the limit and refuses one just over it", () => {
    const overhead = JSON.stringify({ t: "" }).length;
    expect(() => checkBodySize({ t: "a".repeat(MAX_ROW_BODY_BYTES - overhead) })).not.toThrow();
    expect(() => checkBodySize({ t: "a".repeat(MAX_ROW_BODY_BYTES - overhead + 1) })).toThrow(/exceeds/);
  });
});
