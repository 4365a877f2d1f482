import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { SchemaManifest } from "../../schemas/manifest.js";
import { RelayError } from "../../schemas/errors.js";
import { mergeBody, validateMutation, type ValidMutation } from "../../durable/writes/validate.js";

const sample = SchemaManifest.parse(JSON.parse(readFileSync(new URL("../../djazzkit.schema.json", import.meta.url), "utf8")));

/** The sample manifest plus a model covering every field type, owned through a string field. */
function manifest(): SchemaManifest {
  return {
    schema_version: sample.schema_version,
    models: {
      ...sample.models,
      "lab.Everything": {
        table: "lab_everything", scope: "user", owner_field: "owner", conflict_mode: "lww", strategy: "sync", has_resolver: false,
        fields: {
          s: { type: "string", nullable: true }, i: { type: "integer", nullable: true }, f: { type: "float", nullable: true },
          d: { type: "decimal", nullable: true }, b: { type: "boolean", nullable: true }, dt: { type: "datetime", nullable: true },
          day: { type: "date", nullable: true }, u: { type: "uuid", nullable: true }, j: { type: "json", nullable: true },
          owner: { type: "string", nullable: false },
        },
      },
      "lab.Remote": { ...sample.models["notes.Task"]!, strategy: "remote" },
    },
  };
}

const ROW = "3f0b6f0e-9d3c-4b8e-8a57-1d2c3b4a5f60";
const note = (over: Record<string, unknown> = {}) => ({
  mutation_id: "c1:1", model: "notes.Note", row_id: ROW, operation: "create",
  data: { title: "milk", body: "", archived: false }, ...over,
});

function ok(raw: unknown, user: string | null = "42"): ValidMutation {
  const r = validateMutation(raw, manifest(), user);
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.mutation;
}
function refused(raw: unknown, user: string | null = "42") {
  const r = validateMutation(raw, manifest(), user);
  if (r.ok) throw new Error("expected a refusal");
  expect(r.error).toBeInstanceOf(RelayError);
  return { code: r.error.code, details: r.error.details, mutation_id: r.mutation_id };
}
const everything = (data: Record<string, unknown>) =>
  ({ mutation_id: "m", model: "lab.Everything", row_id: ROW, operation: "update", data });

describe("validateMutation: checks in order", () => {
  it("a valid create is accepted with the owner forced to the user", () => {
    const m = ok(note());
    expect(m).toMatchObject({ mutation_id: "c1:1", model: "notes.Note", row_id: ROW, operation: "create", base_rev: null });
    expect(m.data).toEqual({ title: "milk", body: "", archived: false, author: 42 });
    expect(m.spec).toBe(manifest().models["notes.Note"] ?? m.spec);
  });

  it("structure failures are invalid_message, with the mutation id when one is readable", () => {
    expect(refused("nope")).toMatchObject({ code: "invalid_message", mutation_id: null });
    expect(refused(null)).toMatchObject({ code: "invalid_message", mutation_id: null });
    expect(refused([note()])).toMatchObject({ code: "invalid_message", mutation_id: null });
    expect(refused(note({ operation: "upsert" }))).toMatchObject({ code: "invalid_message", mutation_id: "c1:1" });
    expect(refused(note({ base_rev: "bogus" }))).toMatchObject({ code: "invalid_message", mutation_id: "c1:1" });
    expect(refused(note({ mutation_id: 7 }))).toMatchObject({ code: "invalid_message", mutation_id: null });
    expect(refused(note({ data: [1] }))).toMatchObject({ code: "invalid_message", mutation_id: "c1:1" });
  });

  it("create and update need a data object; delete ignores data", () => {
    expect(refused(note({ data: undefined })).code).toBe("invalid_message");
    expect(refused(note({ operation: "update", data: undefined })).code).toBe("invalid_message");
    const del = ok(note({ operation: "delete", data: { nonsense: 1, author: 7 } }));
    expect(del.data).toBeNull();
    expect(ok(note({ operation: "delete", data: undefined })).data).toBeNull();
  });

  it("anonymous pushes are auth_required, before any model check", () => {
    expect(refused(note({ model: "no.Such" }), null).code).toBe("auth_required");
  });

  it("unknown models, including Object.prototype names, are unknown_model", () => {
    for (const model of ["no.Such", "__proto__", "constructor", "toString", "hasOwnProperty", "notes.note"]) {
      expect(refused(note({ model })).code).toBe("unknown_model");
    }
  });

  it("shared-scope and remote-strategy models are forbidden", () => {
    expect(refused(note({ model: "notes.Announcement", data: { title: "x", body: "y" } })).code).toBe("forbidden");
    expect(refused(note({ model: "lab.Remote", data: { title: "x", done: false } })).code).toBe("forbidden");
  });

  it("row_id must be a UUID and is lowercased", () => {
    expect(refused(note({ row_id: "row-1" }))).toMatchObject({ code: "invalid_field_value", details: { field: "_djazzkit_id" } });
    expect(refused(note({ row_id: ROW + "0" })).code).toBe("invalid_field_value");
    expect(ok(note({ row_id: ROW.toUpperCase() })).row_id).toBe(ROW);
  });

  it("base_rev passes through", () => {
    const rev = "3-" + "a".repeat(32);
    expect(ok(note({ operation: "update", base_rev: rev })).base_rev).toBe(rev);
    expect(ok(note({ base_rev: null })).base_rev).toBeNull();
  });
});

describe("validateMutation: data", () => {
  it("bookkeeping keys are stripped, other unknown keys are unknown_field", () => {
    const m = ok(note({ data: { title: "t", body: "b", archived: true, _djazzkit_rev: 3, _djazzkit_id: ROW, _djazzkit_x: 1 } }));
    expect(Object.keys(m.data!).sort()).toEqual(["archived", "author", "body", "title"]);
    expect(refused(note({ data: { title: "t", colour: "red" } }))).toMatchObject({ code: "unknown_field", details: { field: "colour" } });
    expect(refused(note({ data: { _conflicts: [] } })).code).toBe("unknown_field");
  });

  it("__proto__ and other prototype names are unknown_field and never pollute", () => {
    for (const frame of [
      '{"title":"t","__proto__":{"polluted":true}}',
      '{"constructor":{"prototype":{"polluted":true}}}',
      '{"toString":"x"}',
    ]) {
      const raw = { ...note(), data: JSON.parse(frame) };
      expect(refused(raw).code).toBe("unknown_field");
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
    const wrapped = JSON.parse(`{"mutation_id":"p","model":"notes.Note","row_id":"${ROW}","operation":"update","data":{"__proto__":{"title":"x"}}}`);
    expect(refused(wrapped)).toMatchObject({ code: "unknown_field", details: { field: "__proto__" } });
  });

  it("a json field keeps a __proto__ key as plain data without touching any prototype", () => {
    const raw = everything(JSON.parse('{"j":{"__proto__":{"polluted":1}}}'));
    const m = ok(raw);
    expect(Object.getPrototypeOf(m.data)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  const cases: Array<[string, unknown[], unknown[]]> = [
    ["s", ["", "x", "ünïcode"], [1, true, {}, []]],
    ["i", [0, -5, Number.MAX_SAFE_INTEGER], [1.5, "1", 2 ** 60, true, Number.NaN]],
    ["f", [0, 1.5, -1e300], ["1.5", Number.POSITIVE_INFINITY, Number.NaN, false]],
    ["d", [1.25, "12.50", "-3", ".5", "1e3"], ["abc", "1.2.3", "", Number.NaN, true, "1_000"]],
    ["b", [true, false], [0, 1, "true"]],
    ["dt", ["2024-02-29T12:30:00Z", "2024-01-01T00:00", "2024-01-01 23:59:59.123456+05:30", "2024-01-01T10:00:00.5-0800"],
      ["2024-01-01", "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z", "2024-13-01T00:00Z", "yesterday", 1_700_000_000]],
    ["day", ["2024-02-29", "1999-12-31"], ["2023-02-29", "2024-1-1", "2024-01-01T00:00:00Z", 20240101]],
    ["u", [ROW], ["not-a-uuid", 1]],
    ["j", [1, "x", true, [1, [2]], { a: { b: null } }], [Number.NaN, new Date(0), () => 1]],
  ];
  for (const [field, good, bad] of cases) {
    it(`field type of ${field}: accepts ${good.length}, refuses ${bad.length}`, () => {
      for (const v of good) expect(ok(everything({ [field]: v })).data![field]).toEqual(v);
      for (const v of bad) {
        expect(refused(everything({ [field]: v }))).toMatchObject({ code: "invalid_field_value", details: { field } });
      }
    });
  }

  it("uuid field values are lowercased", () => {
    expect(ok(everything({ u: ROW.toUpperCase() })).data!.u).toBe(ROW);
  });

  it("null is allowed only on nullable fields", () => {
    expect(ok(everything({ s: null })).data!.s).toBeNull();
    expect(refused(note({ data: { title: null } }))).toMatchObject({ code: "invalid_field_value", details: { field: "title", expected: "string" } });
  });

  it("max_length counts characters (code points) as Django does, not UTF-16 units", () => {
    expect(ok(note({ data: { title: "x".repeat(200) } })).data!.title).toHaveLength(200);
    expect(ok(note({ data: { title: "😀".repeat(200) } })).data!.title).toBe("😀".repeat(200)); // 400 UTF-16 units
    expect(refused(note({ data: { title: "x".repeat(201) } }))).toMatchObject({
      code: "invalid_field_value", details: { field: "title", expected: "string" },
    });
    expect(refused(note({ data: { title: "😀".repeat(201) } })).code).toBe("invalid_field_value");
  });

  it("choices: only listed values pass, plus null when nullable and Django's empty values", () => {
    const m = structuredClone(manifest());
    const fields = m.models["lab.Everything"]!.fields;
    fields.s = { type: "string", nullable: true, choices: [["low", "Low"], ["high", "High"]] };
    fields.i = { type: "integer", nullable: false, choices: [[1, "one"], [2, "two"]] };
    fields.j = { type: "json", nullable: true, choices: [["a", "A"]] };
    const check = (data: Record<string, unknown>) => validateMutation(everything(data), m, "42");
    for (const data of [{ s: "low" }, { s: "high" }, { s: null }, { s: "" }, { i: 2 }, { j: "a" }, { j: [] }, { j: {} }]) {
      expect(check(data).ok).toBe(true);
    }
    for (const [data, field] of [[{ s: "LOW" }, "s"], [{ s: "medium" }, "s"], [{ i: 3 }, "i"], [{ i: "1" }, "i"], [{ j: ["a"] }, "j"]] as const) {
      const r = check(data);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.toJSON()).toMatchObject({ code: "invalid_field_value", details: { field } });
    }
  });

  it("json values deeper than the bound are refused", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 32; i++) deep = [deep];
    expect(ok(everything({ j: deep })).data!.j).toBe(deep);
    expect(refused(everything({ j: [deep] })).code).toBe("invalid_field_value");
    let huge: unknown = null;
    for (let i = 0; i < 100_000; i++) huge = { a: huge };
    expect(refused(everything({ j: huge })).code).toBe("invalid_field_value");
  });
});

describe("validateMutation: ownership", () => {
  it("an integer owner field gets the numeric user id; the same id as string or number is fine", () => {
    for (const author of [42, "42", null]) {
      expect(ok(note({ data: { title: "t", author } })).data!.author).toBe(42);
    }
  });

  it("another owner is forbidden", () => {
    for (const author of [7, "7", "42x", true, [42], { id: 42 }]) {
      expect(refused(note({ data: { title: "t", author } }))).toMatchObject({ code: "forbidden", details: { field: "author" } });
    }
  });

  it("an update sets the owner even when the patch does not name it", () => {
    expect(ok(note({ operation: "update", data: { title: "new" } })).data).toEqual({ title: "new", author: 42 });
  });

  it("a user id that is not a canonical integer cannot own rows of an integer owner field; a string owner field takes it as is", () => {
    for (const user of ["auth0|abc", "01", "+1", "1_0", "\u0661", " 1", "1.0", "1e3"]) {
      expect(refused(note(), user).code).toBe("forbidden");
      expect(refused(note({ operation: "delete" }), user).code).toBe("forbidden");
    }
    expect(ok(everything({ owner: "42" }), "42").data!.owner).toBe("42");
    expect(ok(everything({ owner: "auth0|abc" }), "auth0|abc").data!.owner).toBe("auth0|abc");
    expect(refused(everything({ owner: "43" }), "42").code).toBe("forbidden");
  });

  it("the owner is whoever pushes: a canonical integer for an integer owner field, any other spelling refused", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 1 }), fc.nat().map(String), fc.integer().map(String)), (user) => {
        const r = validateMutation(note({ data: { title: "t" } }), manifest(), user);
        if (/^(0|-?[1-9][0-9]*)$/.test(user) && Number.isSafeInteger(Number(user))) {
          expect(r.ok && r.mutation.data!.author).toBe(Number(user));
        } else {
          expect(!r.ok && r.error.code).toBe("forbidden");
        }
      }),
    );
  });
});

describe("mergeBody", () => {
  it("create fills every manifest field: missing nullable -> null", () => {
    const m = ok(note());
    expect(mergeBody(null, m)).toEqual({ title: "milk", body: "", archived: false, priority: null, tags: null, author: 42 });
  });

  it("create without a non-nullable field that has no default is invalid_field_value naming the field", () => {
    const m = ok(note({ data: { body: "b" } }));
    expect(() => mergeBody(null, m)).toThrow(RelayError);
    try {
      mergeBody(null, m);
    } catch (e) {
      expect((e as RelayError).code).toBe("invalid_field_value");
      expect((e as RelayError).details).toEqual({ field: "title", expected: "string" });
    }
  });

  it("create fills a missing field with the manifest's constant default before null", () => {
    const m = ok(note({ data: { title: "t" } }));
    expect(mergeBody(null, m)).toEqual({ title: "t", body: "", archived: false, priority: null, tags: null, author: 42 });
    const withNullableDefault = structuredClone(manifest());
    withNullableDefault.models["notes.Note"]!.fields.priority = { type: "integer", nullable: true, default: 3 };
    const r = validateMutation(note({ data: { title: "t" } }), withNullableDefault, "42");
    if (!r.ok) throw r.error;
    expect(mergeBody(null, r.mutation)).toMatchObject({ priority: 3, tags: null });
  });

  it("update is the patch over the base; no base is treated like a create", () => {
    const base = { title: "old", body: "b", archived: false, priority: 3, tags: ["x"], author: 42 };
    const m = ok(note({ operation: "update", data: { body: "new", priority: null } }));
    expect(mergeBody(base, m)).toEqual({ ...base, body: "new", priority: null });
    expect(base.body).toBe("b"); // the base is not mutated
    expect(() => mergeBody(null, m)).toThrow(RelayError);
    const full = ok(note({ operation: "update" }));
    expect(mergeBody(null, full)).toEqual(mergeBody(null, ok(note())));
  });

  it("delete is a null body", () => {
    expect(mergeBody({ title: "x" }, ok(note({ operation: "delete" })))).toBeNull();
  });

  it("a base carrying an own __proto__ key cannot pollute", () => {
    const base = JSON.parse('{"title":"a","__proto__":{"polluted":true}}') as Record<string, unknown>;
    const out = mergeBody(base, ok(note({ operation: "update", data: { title: "b" } })))!;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(out.title).toBe("b");
  });
});
