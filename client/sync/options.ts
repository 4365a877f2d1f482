/** Options and events of `SyncClient` (the names djazzkit documents: `schemaVersion`, `onSchemaMismatch`). */
import type { Manifest } from "../../schemas/manifest.js";
import type { QueryBounds } from "../../schemas/query.js";
import type { RelayClientOptions } from "../options.js";
import type { SqlDatabase } from "../replica/sql-database.js";
import type { SocketFactory } from "../socket.js";
import type { PendingMutation } from "../store.js";
import type { TokenOption } from "../token-source.js";


export interface SchemaMismatchInfo {
  /**
   * `local`: the replica on disk was built for another schema than this app's `schemaVersion`
   * (the app was upgraded). `relay`: the relay runs another schema than the app.
   */
  source: "local" | "relay";
  /** The version the app was built for (`SyncClientOptions.schemaVersion`). */
  client_schema_version: string;
  /** The relay's version (`relay` source), or the app's version (`local` source). */
  server_schema_version: string;
  /** The version the local replica was built for (null for a new replica). */
  local_schema_version: string | null;
  message: string;
}

/** What a migration may touch: the replica's database, with the old tables still in place. */
export interface MigrationContext {
  db: SqlDatabase;
  fromVersion: string | null;
  toVersion: string;
  /** Table name of a model in the replica (`fromVersion`'s tables keep their names). */
  tableOf(model: string): string;
  /** The writes not yet sent, in order. */
  pending(): PendingMutation[];
  /** Rewrites each pending write for the new schema; `null` drops it. Mutation ids must stay. */
  rewritePending(fn: (entry: PendingMutation) => PendingMutation | null): void;
}

/**
 * The answer of `onSchemaMismatch`:
 * - `"reset"`: drop the local SQLite (rows, outbox, cursor) and resync from the relay;
 * - `{ migrate }`: run a custom migration that keeps local data (pending writes included),
 *   then resync: the replica's tables are rebuilt for the new schema and every row is caught up;
 * - an async `onSchemaMismatch` can ask the user first and answer with either.
 * A `relay` mismatch can only be resolved by running the relay's schema: answer with its
 * `manifest` too (e.g. fetched by the app), otherwise the client waits in `schema_mismatch`.
 */
export type SchemaMismatchPolicy =
  | "reset"
  | { migrate: (ctx: MigrationContext) => void | Promise<void> }
  | { policy: "reset" | "migrate"; migrate?: (ctx: MigrationContext) => void | Promise<void>; manifest?: Manifest };

export interface SyncClientOptions {
  /** Full WebSocket URL of the relay's sync endpoint, e.g. `wss://relay.example.com/djazzkit/sync`. */
  url: string;
  /** The schema hash the app's models were generated from (the generated `SCHEMA_VERSION`). */
  schemaVersion: string;
  /** The manifest of that schema (the generated `MANIFEST`): models, fields, scope, conflict mode. */
  manifest: Manifest;
  /**
   * The local SQLite replica: `openNodeStore(file)` from `@djazzkit/core/node`, or
   * `openBrowserStore(name)` from `@djazzkit/core/browser` (inside a Worker, over OPFS).
   */
  store: SqlDatabase;
  /** Called when the replica or the relay runs another schema; default `"reset"`. */
  onSchemaMismatch?: (info: SchemaMismatchInfo) => SchemaMismatchPolicy | Promise<SchemaMismatchPolicy>;
  /** Credential, or a callback asked before connecting and again when the relay closes 4401. */
  token?: TokenOption;
  /** Defaults to the global `WebSocket` where one exists (browsers, Node 22+); Node 20 passes `ws`. */
  socketFactory?: SocketFactory;
  /** Stable id of this installation; default a random id persisted in the replica. */
  clientId?: string;
  /** Query bounds; must match the relay's DJAZZKIT_QUERY_MAX_LIMIT / _OFFSET (default 1000 / 10000). */
  queryBounds?: QueryBounds;
  /** Passed to the underlying `RelayClient` (timeouts, backoff, batch sizes, test hooks). */
  relay?: Partial<Omit<RelayClientOptions, "url" | "token" | "clientId" | "schemaVersion" | "socketFactory" | "store">>;
}

/** A write the relay or the origin refused: the row was rolled back to the relay's winner. */
export interface RejectedWrite {
  mutation_id: string;
  model: string;
  row_id: string;
  operation: "create" | "update" | "delete" | "resolve";
  code: string;
  message: string;
  /** `relay`: refused in `push_result`; `origin`: Django refused it later (`mutation_rejected`). */
  by: "relay" | "origin";
}

export interface SyncClientEvents {
  /** A local write was refused and rolled back; show it to the user. */
  rejected: RejectedWrite;
  /** Rows of these models changed locally (own write, rollback) or remotely (relay broadcast). */
  change: { models: string[]; source: "local" | "remote" };
  schema_mismatch: SchemaMismatchInfo;
  /** Connection and replica warnings, e.g. OPFS unavailable so the replica is in memory. */
  warning: { code: string; message: string };
  error: unknown;
}
