/**
 * `GET /djazzkit/schema`: the manifest this relay runs against, for `npx djazzkit codegen
 * --schema <relay URL>` (client/codegen). Standalone it is the bundled `djazzkit.schema.json`;
 * with an origin it is the origin's signed `GET schema`, kept per isolate for
 * DJAZZKIT_SCHEMA_TTL_S with one fetch shared by concurrent requests, so this public route
 * cannot make the relay call Django more than once per TTL per isolate. Touches no object.
 * Public like the manifest's content, which every generated client bundle carries anyway.
 */
import type { Handler } from "hono";
import manifestJson from "../../djazzkit.schema.json";
import { RelayError } from "../../schemas/errors.js";
import { SchemaManifest } from "../../schemas/manifest.js";
import type { Settings } from "../../schemas/config.js";
import { OriginClient } from "../../origin-client/client.js";
import type { Gate } from "../env.js";

interface Cached {
  key: string;
  atMs: number;
  manifest: Promise<SchemaManifest>;
}
let cached: Cached | undefined;

function originManifest(settings: Settings): Promise<SchemaManifest> {
  const key = `${settings.DJAZZKIT_ORIGIN_URL}|${settings.DJAZZKIT_ORIGIN_PREFIX}`;
  const now = Date.now();
  if (cached !== undefined && cached.key === key && now - cached.atMs < settings.DJAZZKIT_SCHEMA_TTL_S * 1000) return cached.manifest;
  const client = new OriginClient({
    baseUrl: settings.DJAZZKIT_ORIGIN_URL!,
    prefix: settings.DJAZZKIT_ORIGIN_PREFIX,
    secret: settings.DJAZZKIT_RELAY_SECRET ?? "",
    timeoutMs: settings.DJAZZKIT_ORIGIN_TIMEOUT_MS,
  });
  const entry: Cached = { key, atMs: now, manifest: client.schema() };
  entry.manifest.catch(() => {
    if (cached === entry) cached = undefined; // a failure is not cached
  });
  cached = entry;
  return entry.manifest;
}

export function schema(): Handler<Gate> {
  return async function schema(c) {
    const settings = c.var.settings;
    if (!settings.DJAZZKIT_ORIGIN_URL) return c.json(SchemaManifest.parse(manifestJson));
    if (!settings.DJAZZKIT_RELAY_SECRET) {
      throw new RelayError("origin_unavailable", "the relay has an origin but no DJAZZKIT_RELAY_SECRET to sign its calls");
    }
    try {
      return c.json(await originManifest(settings));
    } catch (err) {
      throw new RelayError("origin_unavailable", `cannot read the schema from the origin: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
}
