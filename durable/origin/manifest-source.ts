/**
 * Where the object gets the schema manifest (PROTOCOL 6 `GET schema` format). Standalone it is
 * the bundled `djazzkit.schema.json`; with an origin, `OriginManifestSource` fetches the
 * origin's `GET schema` and caches it for DJAZZKIT_SCHEMA_TTL_S.
 */
import manifestJson from "../../djazzkit.schema.json";
import { SchemaManifest } from "../../schemas/manifest.js";

export interface ManifestSource {
  /** The manifest to validate against now. May fetch; callers await it outside transactions. */
  current(): Promise<SchemaManifest>;
  /** The manifest held now without fetching (the origin's last cached one), if any. */
  cached(): SchemaManifest | undefined;
}

let bundled: SchemaManifest | undefined;

/** The bundled manifest, parsed once per isolate (a bad file fails loudly, naming the issue). */
export function bundledManifest(): SchemaManifest {
  if (bundled === undefined) {
    const parsed = SchemaManifest.safeParse(manifestJson);
    if (!parsed.success) throw new Error(`djazzkit.schema.json is not a valid manifest: ${parsed.error.message}`);
    bundled = parsed.data;
  }
  return bundled;
}

/** The manifest from the local file, used whenever DJAZZKIT_ORIGIN_URL is unset. */
export class LocalManifestSource implements ManifestSource {
  async current(): Promise<SchemaManifest> {
    return bundledManifest();
  }
  cached(): SchemaManifest {
    return bundledManifest();
  }
}
