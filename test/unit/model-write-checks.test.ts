/**
 * The model layer's write checks over every field type, with defaults and choices (the sample
 * has no choices): the same outcomes as the relay's validateMutation, since both run
 * schemas/field-value.ts. The class is written as codegen writes it.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Manager, Model, ModelError, setModelBackend, type ModelSpec } from "@djazzkit/core";
import { Manifest } from "../../schemas/manifest.js";
import { validateMutation } from "../../durable/writes/validate.js";
import { FakeModelBackend } from "../support/fake-model-backend.js";

const manifest = Manifest.parse(JSON.parse(readFileSync(new URL("../fixtures/codegen/every-type.json", import.meta.url), "utf8")));
type Fields = Record<string, unknown>;
class Everything extends Model<Fields> {
  static readonly label = "lab.Everything";
  static readonly spec: ModelSpec = manifest.models["lab.Everything"]!;
  static readonly objects: Manager<Everything, Fields> = new Manager<Everything, Fields>(Everything);
}
const REQUIRED = { i: 1, dt: "2024-01-01T00:00:00Z", u: "3F0B6F0E-9D3C-4B8E-8A57-1D2C3B4A5F60" };

let backend: FakeModelBackend;
beforeEach(() => {
  backend = new FakeModelBackend(manifest);
  setModelBackend(backend);
});
afterEach(() => setModelBackend(undefined));

describe("model write checks over every field type", () => {
  it("create fills every default (fresh copies of json ones), nulls, and lowercases uuids like the relay", async () => {
    const a = await Everything.objects.create(REQUIRED);
    const sent = backend.calls.at(-1)!.data!;
    expect(sent).toEqual({
      s: "x", s_null: null, choice: "low", choice_blank: "", int_choice: 1, i: 1, i_null: null, fl: 0.5, fl_null: null,
      d: "9.50", d_null: null, b: false, b_null: null, dt: "2024-01-01T00:00:00Z", dt_null: null, day: "2024-01-01",
      day_null: null, u: "3f0b6f0e-9d3c-4b8e-8a57-1d2c3b4a5f60", u_null: null, j: { a: [1] }, j_null: null,
    });
    (a.get("j") as { a: number[] }).a.push(2);
    await Everything.objects.create(REQUIRED);
    expect(backend.calls.at(-1)!.data!.j).toEqual({ a: [1] }); // the manifest's default was not shared
  });

  it("accepts and refuses exactly what the relay does, with the same code and details", async () => {
    const cases: Array<Record<string, unknown>> = [
      { choice: "high" }, { choice: "medium" }, { choice: "" }, { choice_blank: "" }, { choice_blank: "b" }, { choice_blank: "c" },
      { choice_blank: null }, { int_choice: 2 }, { int_choice: 3 }, { int_choice: "1" }, { s: "x".repeat(20) }, { s: "x".repeat(21) },
      { s: "😀".repeat(20) }, { i: 1.5 }, { fl: Number.NaN }, { d: "1.2.3" }, { d: 4 }, { b: 0 }, { dt: "2024-13-01T00:00Z" },
      { day: "2023-02-29" }, { u: "nope" }, { j: [1, { b: null }] }, { i_null: null }, { i: null }, { choice_blank: "abcde" },
    ];
    for (const patch of cases) {
      const data = { ...REQUIRED, ...patch };
      const relay = validateMutation(
        { mutation_id: "m", model: "lab.Everything", row_id: "3f0b6f0e-9d3c-4b8e-8a57-1d2c3b4a5f60", operation: "create", data },
        manifest, "1",
      );
      let client: ModelError | undefined;
      try {
        await Everything.objects.create(data);
      } catch (err) {
        if (!(err instanceof ModelError)) throw err;
        client = err;
      }
      const relayOutcome = relay.ok ? "ok" : { code: relay.error.code, details: relay.error.details };
      const clientOutcome = client === undefined ? "ok" : { code: client.code, details: client.details };
      expect({ patch, outcome: clientOutcome }).toEqual({ patch, outcome: relayOutcome });
    }
  });
});
