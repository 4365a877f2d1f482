/** Laws of mutation validation over random and hostile input. */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ErrorCode, RelayError } from "../../schemas/errors.js";
import { SchemaManifest } from "../../schemas/manifest.js";
import { checkValue, mergeBody, ownerValue, validateMutation } from "../../durable/writes/validate.js";

const manifest = SchemaManifest.parse(JSON.parse(readFileSync(new URL("../../djazzkit.schema.json", import.meta.url), "utf8")));
const MODELS = Object.keys(manifest.models);
const HOSTILE_KEYS = ["__proto__", "constructor", "prototype", "toString", "_djazzkit_rev", "_djazzkit_id"];

const key = fc.oneof(
  fc.constantFrom(...HOSTILE_KEYS),
  fc.constantFrom(...new Set(MODELS.flatMap((m) => Object.keys(manifest.models[m]!.fields)))),
  fc.string({ maxLength: 6 }),
);
/** Data objects built the way JSON.parse builds them (own `__proto__` keys included). */
const dataArb = fc
  .array(fc.tuple(key, fc.jsonValue({ maxDepth: 3 })), { maxLength: 8 })
  .map((pairs) => JSON.parse(`{${pairs.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`) as unknown);
const byType: Record<string, fc.Arbitrary<unknown>> = {
  string: fc.string({ maxLength: 5 }), integer: fc.integer(), boolean: fc.boolean(), json: fc.jsonValue({ maxDepth: 2 }),
  date: fc.constantFrom("2024-02-29", "2024-02-30"), datetime: fc.constantFrom("2024-01-01T10:00:00Z", "2024-01-01"),
  float: fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.double()), decimal: fc.constantFrom("1.50", 2, "x"), uuid: fc.uuid(),
};
/** Mostly well-typed data for one of the models, sometimes with a wrong owner or a stray key. */
const plausibleArb = fc.constantFrom(...MODELS).chain((model) => {
  const fields = manifest.models[model]!.fields;
  const data = fc.record(
    Object.fromEntries(Object.entries(fields).map(([f, spec]) => [
      f,
      f === manifest.models[model]!.owner_field ? fc.constantFrom(42, "42", null, 7)
      : spec.nullable ? fc.option(byType[spec.type]!, { nil: null }) : byType[spec.type]!,
    ])),
    { requiredKeys: [] },
  );
  const extra = fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.tuple(key, fc.jsonValue({ maxDepth: 1 })), weight: 1 });
  return fc.record({
    mutation_id: fc.string({ minLength: 1, maxLength: 10 }),
    model: fc.constant(model),
    row_id: fc.uuid(),
    operation: fc.constantFrom("create", "update", "delete"),
    data: fc.tuple(data, extra).map(([d, e]) => (e === null ? d : JSON.parse(JSON.stringify({ ...d, [`${e[0]}`]: e[1] })) as unknown)),
  });
});
const wildArb = fc.record(
  {
    mutation_id: fc.oneof(fc.string({ minLength: 1, maxLength: 10 }), fc.constant(""), fc.integer()),
    model: fc.oneof(fc.constantFrom(...MODELS), fc.constantFrom("__proto__", "constructor", "x.Y")),
    row_id: fc.oneof(fc.uuid(), fc.uuid().map((u) => u.toUpperCase()), fc.string({ maxLength: 4 })),
    operation: fc.constantFrom("create", "update", "delete", "upsert"),
    base_rev: fc.option(fc.constantFrom(`2-${"c".repeat(32)}`, "bad"), { nil: null }),
    data: fc.oneof(dataArb, fc.anything({ maxDepth: 2 })),
  },
  { requiredKeys: [] },
);
const mutationArb = fc.oneof(plausibleArb, wildArb);
const userArb = fc.option(fc.oneof(fc.constantFrom("42", "7", "0"), fc.string({ minLength: 1, maxLength: 8 })), { nil: null });

describe("validateMutation laws", () => {
  it("never throws, on any input, and every refusal is a typed error with a wire code", () => {
    fc.assert(
      fc.property(fc.oneof(mutationArb, fc.anything()), userArb, (raw, user) => {
        const r = validateMutation(raw, manifest, user);
        if (!r.ok) {
          expect(r.error).toBeInstanceOf(RelayError);
          expect(ErrorCode.safeParse(r.error.code).success).toBe(true);
          const id = (raw as { mutation_id?: unknown } | null)?.mutation_id;
          if (r.mutation_id !== null) expect(r.mutation_id).toBe(id);
        }
      }),
      { numRuns: 3000 },
    );
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain("polluted");
    expect(({} as Record<string, unknown>).constructor).toBe(Object);
  });

  it("accepted data holds only manifest fields, well typed, with the pushing user as owner", () => {
    let accepted = 0;
    fc.assert(
      fc.property(mutationArb, fc.constantFrom("42", "7", "abc"), (raw, user) => {
        const r = validateMutation(raw, manifest, user);
        if (!r.ok) return;
        const m = r.mutation;
        expect(m.row_id).toBe(m.row_id.toLowerCase());
        if (m.operation === "delete") return void expect(m.data).toBeNull();
        accepted++;
        const fields = m.spec.fields;
        for (const [k, v] of Object.entries(m.data!)) {
          expect(Object.hasOwn(fields, k)).toBe(true);
          // the owner is the user id as given (a non-numeric id stays a string even in an integer field)
          if (k !== m.spec.owner_field) expect(checkValue(k, fields[k]!, v)).toEqual(v);
        }
        expect(m.data![m.spec.owner_field!]).toBe(ownerValue(m.spec, user));
        expect(Object.getPrototypeOf(m.data)).toBe(Object.prototype);
      }),
      { numRuns: 3000 },
    );
    expect(accepted).toBeGreaterThan(100); // the generator does reach acceptance
  });

  it("validation is idempotent: re-validating an accepted mutation changes nothing", () => {
    fc.assert(
      fc.property(mutationArb, (raw) => {
        const r = validateMutation(raw, manifest, "42");
        if (!r.ok) return;
        const { spec: _spec, ...wire } = r.mutation;
        const again = validateMutation({ ...wire, data: wire.data ?? undefined }, manifest, "42");
        expect(again).toEqual(r);
      }),
      { numRuns: 2000 },
    );
  });

  it("a create's body holds every manifest field; an update's body is the base with the patch on top", () => {
    const note = manifest.models["notes.Note"]!;
    const valid = fc.record(
      {
        title: fc.string(), body: fc.string(), archived: fc.boolean(),
        priority: fc.option(fc.integer(), { nil: null }), tags: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: null }),
      },
      { requiredKeys: ["title", "body", "archived"] },
    );
    fc.assert(
      fc.property(fc.uuid(), valid, valid, (row_id, first, patch) => {
        const create = validateMutation({ mutation_id: "a", model: "notes.Note", row_id, operation: "create", data: first }, manifest, "42");
        expect(create.ok).toBe(true);
        if (!create.ok) return;
        const base = mergeBody(null, create.mutation)!;
        expect(Object.keys(base).sort()).toEqual(Object.keys(note.fields).sort());
        const update = validateMutation({ mutation_id: "b", model: "notes.Note", row_id, operation: "update", data: patch }, manifest, "42");
        if (!update.ok) throw update.error;
        const next = mergeBody(base, update.mutation)!;
        expect(next).toEqual({ ...base, ...patch, author: 42 });
        expect(mergeBody(next, { ...update.mutation, operation: "delete", data: null })).toBeNull();
      }),
      { numRuns: 500 },
    );
  });
});
