/**
 * SyncClients for end-to-end tests: a better-sqlite3 replica file per client (in a temp dir the
 * caller removes), `ws` sockets, a JWT for the user. Imports the package by its name, as an app does.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { SyncClient, type Manifest, type SyncClientOptions, type WebSocketLike } from "@djazzkit/core";
import { openNodeStore } from "@djazzkit/core/node";
import { REPO_ROOT } from "./bundle.js";
import { mintJwt } from "./jwt.js";

/** The standalone relay's schema (the one `startRelay()` runs without an origin). */
export function standaloneManifest(): Manifest {
  return JSON.parse(readFileSync(join(REPO_ROOT, "djazzkit.schema.json"), "utf8")) as Manifest;
}

export const wsFactory: SyncClientOptions["socketFactory"] = (url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike;

export interface TestClientOptions extends Partial<Omit<SyncClientOptions, "store">> {
  /** Relay base ws URL (`ws://127.0.0.1:port`). */
  wsUrl: string;
  user: string | number;
  file: string;
}

export async function openTestClient(o: TestClientOptions): Promise<SyncClient> {
  const manifest = o.manifest ?? standaloneManifest();
  const token = await mintJwt(o.user);
  const client = new SyncClient({
    schemaVersion: manifest.schema_version,
    socketFactory: wsFactory,
    token,
    ...o,
    manifest,
    url: `${o.wsUrl}/djazzkit/sync`,
    store: openNodeStore(o.file),
    relay: { backoff: { baseMs: 50, maxMs: 500 }, pingIntervalMs: 0, ...o.relay },
  });
  await client.opened;
  return client;
}
