import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SchemaManifest } from "../../schemas/manifest.js";
import { schemaVersion } from "../../schemas/schema-version.js";

const committed = SchemaManifest.parse(JSON.parse(readFileSync(new URL("../../djazzkit.schema.json", import.meta.url), "utf8")));

/**
 * The same vector as Django's `test_schema.SchemaVersionVectorTests`: both implementations must
 * print the same 16 hex digits for it (defaults, max_length, choices, non-ASCII, nested json,
 * an integral float written as an int).
 */
const VECTOR: SchemaManifest["models"] = {
  "shop.Item": {
    table: "shop_item", scope: "user", owner_field: "owner", conflict_mode: "lww", strategy: "sync", has_resolver: false,
    fields: {
      name: { type: "string", nullable: false, max_length: 80, default: "Ünïcode ☃" },
      size: { type: "string", nullable: true, choices: [["s", "Small"], ["l", "Large"]] },
      ratio: { type: "float", nullable: false, default: 2 },
      price: { type: "decimal", nullable: false, default: "9.50" },
      meta: { type: "json", nullable: true, default: { b: [1, 0.5], a: null } },
      owner: { type: "integer", nullable: false },
    },
  },
};

describe("schemaVersion (the relay's twin of Django's schema_version)", () => {
  it("agrees with Django on the shared vector, with and without a salt", async () => {
    expect(await schemaVersion(VECTOR)).toBe("2ed399002cb8c644");
    expect(await schemaVersion(VECTOR, "v2")).toBe("c291fa23668554c3");
  });

  it("the committed djazzkit.schema.json carries the version of its own models", async () => {
    expect(await schemaVersion(committed.models)).toBe(committed.schema_version);
  });

  it("every field key moves the version: default, max_length, choices", async () => {
    const base = await schemaVersion(VECTOR);
    const edits: Array<(f: SchemaManifest["models"][string]["fields"]) => void> = [
      (f) => { f.name!.default = "other"; },
      (f) => { delete f.name!.default; },
      (f) => { f.name!.max_length = 81; },
      (f) => { f.size!.choices = [["s", "Small"]]; },
      (f) => { f.size!.choices = [["s", "Small"], ["l", "Big"]]; },
      (f) => { f.owner!.default = null; },
    ];
    const seen = new Set([base]);
    for (const edit of edits) {
      const models = structuredClone(VECTOR);
      edit(models["shop.Item"]!.fields);
      const v = await schemaVersion(models);
      expect(seen.has(v)).toBe(false);
      seen.add(v);
    }
  });

  it("key order does not matter", async () => {
    const reordered = JSON.parse(JSON.stringify(VECTOR, Object.keys(VECTOR["shop.Item"]!.fields).reverse().concat(
      ["shop.Item", "fields", "owner_field", "has_resolver", "strategy", "conflict_mode", "scope", "table", "type", "nullable",
        "default", "max_length", "choices", "b", "a"])));
    expect(await schemaVersion(reordered)).toBe(await schemaVersion(VECTOR));
  });
});
