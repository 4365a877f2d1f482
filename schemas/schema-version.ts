/**
 * The manifest's `schema_version`: the first 16 hex digits of SHA-256 over the canonical JSON of
 * its `models` (plus "\n" + salt when the origin sets one). The relay's twin of Django's
 * `djazzkit.manifest.schema_version`; both are tested against the same vectors, so every
 * manifest key (field `default`, `max_length`, `choices` included) moves both the same way.
 * Uses WebCrypto, present in workerd, browsers and Node 20.
 */
import { canonicalJson } from "../revtree/canonical-json.js";
import type { SchemaManifest } from "./manifest.js";

export async function schemaVersion(models: SchemaManifest["models"], salt = ""): Promise<string> {
  const payload = canonicalJson(models) + (salt === "" ? "" : "\n" + salt);
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(payload));
  return Array.from(new Uint8Array(digest).subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join("");
}
