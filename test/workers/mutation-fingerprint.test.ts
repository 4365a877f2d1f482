/**
 * A mutation id's fingerprint (durable/writes/mutation-ids.ts) is SHA-256 of the canonical JSON
 * of what it asked, as hex: fingerprints stored by earlier versions (WebCrypto) must match the
 * ones computed now (node:crypto), or a re-sent mutation would be answered mutation_id_reused.
 */
import { describe, expect, it } from "vitest";
import { mutationFingerprint, type FingerprintInput } from "../../durable/writes/mutation-ids.js";
import { canonicalJson } from "../../revtree/index.js";

async function webCryptoHex(m: FingerprintInput): Promise<string> {
  const text = canonicalJson([m.model, m.row_id, m.operation, m.base_rev, m.data]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

describe("mutationFingerprint", () => {
  it("is the WebCrypto SHA-256 hex of the canonical JSON, for ASCII, non-ASCII and astral text", async () => {
    const inputs: FingerprintInput[] = [
      { model: "notes.Note", row_id: "r1", operation: "create", base_rev: null, data: { title: "t", body: "b", archived: false } },
      { model: "notes.Note", row_id: "r1", operation: "update", base_rev: "1-0123456789abcdef0123456789abcdef", data: { z: 1, a: [1.5, null, "x"] } },
      { model: "notes.Task", row_id: "r2", operation: "delete", base_rev: null, data: null },
      { model: "notes.Task", row_id: "r3", operation: "resolve", base_rev: null, data: { title: "caf\u00e9 \u20ac \u{1f600} \n\"q\"" } },
    ];
    for (const m of inputs) {
      const fp = await mutationFingerprint(m);
      expect(fp).toMatch(/^[0-9a-f]{64}$/);
      expect(fp).toBe(await webCryptoHex(m));
    }
    // Key order does not matter (canonical JSON); content does.
    const a = await mutationFingerprint({ ...inputs[1]!, data: { a: [1.5, null, "x"], z: 1 } });
    expect(a).toBe(await mutationFingerprint(inputs[1]!));
    expect(await mutationFingerprint({ ...inputs[1]!, data: { z: 2, a: [1.5, null, "x"] } })).not.toBe(a);
  });
});
