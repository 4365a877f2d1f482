/**
 * The schema manifest from the origin's `GET schema` (PROTOCOL 5 `DJAZZKIT_SCHEMA_TTL_S`), cached
 * in `meta` (survives eviction) and in memory.
 *
 * - No cache yet: the first caller waits for the fetch; a failure is `origin_unavailable`.
 * - Cache older than the TTL: the cached manifest is served at once and a refresh runs in the
 *   background (stale-while-revalidate), so a slow or down origin never delays a push; the
 *   object's alarm also re-checks at least every TTL while sockets are open (`refresh`).
 * - A fetched version that differs from the cached one is announced: every connected socket
 *   whose version no longer matches gets `schema_mismatch` (`announceSchemaVersion`).
 * Concurrent refreshes share one fetch.
 */
import { RelayError } from "../../schemas/errors.js";
import { SchemaManifest } from "../../schemas/manifest.js";
import type { ManifestSource } from "./manifest-source.js";
import { announceSchemaVersion } from "./schema-watch.js";
import { getMeta, setMeta } from "../storage/meta.js";
import type { OriginClient } from "../../origin-client/client.js";

const MANIFEST_KEY = "schema_manifest";
const FETCHED_AT_KEY = "schema_fetched_at";

interface Cached {
  manifest: SchemaManifest;
  fetchedAtMs: number;
}

export class OriginManifestSource implements ManifestSource {
  #cache: Cached | undefined;
  #inflight: Promise<SchemaManifest> | undefined;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly client: OriginClient,
    private readonly ttlS: number,
  ) {}

  #load(): Cached | undefined {
    if (this.#cache === undefined) {
      const sql = this.ctx.storage.sql;
      const text = getMeta(sql, MANIFEST_KEY);
      if (text !== null) {
        const parsed = SchemaManifest.safeParse(JSON.parse(text));
        if (parsed.success) this.#cache = { manifest: parsed.data, fetchedAtMs: Number(getMeta(sql, FETCHED_AT_KEY) ?? "0") };
      }
    }
    return this.#cache;
  }

  /** When the cached manifest stops being fresh (ms since epoch); 0 when there is none. */
  freshUntilMs(): number {
    const c = this.#load();
    return c === undefined ? 0 : c.fetchedAtMs + this.ttlS * 1000;
  }

  cached(): SchemaManifest | undefined {
    return this.#load()?.manifest;
  }

  async current(): Promise<SchemaManifest> {
    const c = this.#load();
    if (c === undefined) return this.refresh();
    if (Date.now() >= this.freshUntilMs()) {
      this.refresh().catch((err: unknown) => console.error("schema: background refresh failed", err instanceof Error ? err.message : err));
    }
    return c.manifest;
  }

  /** Fetch now (one fetch shared by concurrent callers); announces a changed version. */
  refresh(): Promise<SchemaManifest> {
    this.#inflight ??= this.#fetch().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #fetch(): Promise<SchemaManifest> {
    let manifest: SchemaManifest;
    try {
      manifest = await this.client.schema();
    } catch (err) {
      const stale = this.#load();
      if (stale !== undefined) throw err;
      throw new RelayError("origin_unavailable", `cannot read the schema from the origin: ${err instanceof Error ? err.message : String(err)}`);
    }
    const before = this.#load()?.manifest.schema_version;
    const now = Date.now();
    const sql = this.ctx.storage.sql;
    setMeta(sql, MANIFEST_KEY, JSON.stringify(manifest));
    setMeta(sql, FETCHED_AT_KEY, String(now));
    this.#cache = { manifest, fetchedAtMs: now };
    if (before !== undefined && before !== manifest.schema_version) {
      const parked = announceSchemaVersion(this.ctx, manifest.schema_version);
      console.log(`schema: origin version ${before} -> ${manifest.schema_version}; ${parked} socket(s) told`);
    }
    return manifest;
  }
}
