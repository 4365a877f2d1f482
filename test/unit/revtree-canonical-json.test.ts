import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../revtree/index.js";

/** Rebuilds every object of a JSON value with its keys in a shuffled order. */
function reorderKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v) => reorderKeys(v, seed + 1));
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value);
  const rotated = entries.slice(seed % (entries.length || 1)).concat(entries.slice(0, seed % (entries.length || 1))).reverse();
  const out: Record<string, unknown> = {};
  for (const [k, v] of rotated) Object.defineProperty(out, k, { value: reorderKeys(v, seed + 1), enumerable: true });
  return out;
}

describe("canonicalJson", () => {
  it("sorts keys at every level and adds no spaces", () => {
    expect(canonicalJson([false, null, { b: 1, a: { d: [1, { f: 2, e: 3 }], c: "x y" } }])).toBe(
      '[false,null,{"a":{"c":"x y","d":[1,{"e":3,"f":2}]},"b":1}]',
    );
  });

  it("is JSON.stringify's text, parsed back to the same value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });

  it("equals JSON.stringify for values without objects", () => {
    const noObjects = fc.letrec((tie) => ({
      value: fc.oneof(fc.string(), fc.double(), fc.boolean(), fc.constant(null), fc.array(tie("value"), { maxLength: 4 })),
    })).value;
    fc.assert(
      fc.property(noObjects, (value) => {
        expect(canonicalJson(value)).toBe(JSON.stringify(value));
      }),
    );
  });

  it("does not depend on the order of keys", () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(), (value, seed) => {
        expect(canonicalJson(reorderKeys(value, seed))).toBe(canonicalJson(value));
      }),
    );
  });

  it("gives the same text on its fast path (plain JSON data) and its general path", () => {
    // A toJSON at the top sends the whole value down the general serializer; the plain value
    // takes the fast path. Doubles bring -0, NaN and Infinity, which only the general path takes.
    const withDoubles = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.jsonValue(),
        fc.double(),
        fc.array(tie("value"), { maxLength: 4 }),
        fc.dictionary(fc.string(), tie("value"), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(withDoubles, (value) => {
        expect(canonicalJson({ toJSON: () => value })).toBe(canonicalJson(value));
      }),
    );
  });

  it("orders integer-like keys as strings, not as JavaScript orders them in objects", () => {
    expect(canonicalJson({ b: 1, "10": 2, "2": 3, a: 4 })).toBe('{"10":2,"2":3,"a":4,"b":1}');
  });

  it("orders keys by UTF-16 code units", () => {
    expect(canonicalJson({ "\u{1F600}": 1, "\uFF21": 2, Z: 3, a: 4 })).toBe('{"Z":3,"a":4,"\u{1F600}":1,"\uFF21":2}');
  });

  it("keeps a __proto__ key as a plain member", () => {
    const parsed = JSON.parse('{"z":1,"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(canonicalJson(parsed)).toBe('{"__proto__":{"polluted":true},"z":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("skips undefined members and writes null for undefined array items, like JSON", () => {
    expect(canonicalJson({ a: undefined, b: [undefined, () => 1, Symbol("s")], c: () => 1 })).toBe('{"b":[null,null,null]}');
    expect(canonicalJson(undefined)).toBe("null");
  });

  it("normalises non-finite numbers to null and -0 to 0", () => {
    expect(canonicalJson([NaN, Infinity, -Infinity, -0, 1e21, 0.1])).toBe("[null,null,null,0,1e+21,0.1]");
  });

  it("honours toJSON once, like JSON.stringify", () => {
    let calls = 0;
    const value = { when: new Date(0), custom: { toJSON: () => (calls++, { y: 2, x: 1 }) } };
    expect(canonicalJson(value)).toBe('{"custom":{"x":1,"y":2},"when":"1970-01-01T00:00:00.000Z"}');
    expect(calls).toBe(1);
  });

  it("rejects cycles and BigInt with a TypeError", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
  });

  it("serialises a shared (non-cyclic) sub-object at each place it appears", () => {
    const shared = { k: 1 };
    expect(canonicalJson({ a: shared, b: [shared, shared] })).toBe('{"a":{"k":1},"b":[{"k":1},{"k":1}]}');
  });

  it("survives nesting deeper than the call stack", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 100_000; i++) deep = i % 2 ? [deep] : { k: deep };
    const text = canonicalJson(deep);
    expect(text.length).toBe(100_000 * 3 + 3 + 50_000 * 2);
  });
});
