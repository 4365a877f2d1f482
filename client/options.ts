/** Options, defaults and the event map of `RelayClient`. */
import type { z } from "zod";
import type {
  ChangeRow, Cursor, MutationConfirmed, MutationRejected, MutationResult, RelayMessage, SchemaMismatch,
} from "../schemas/protocol.js";
import { type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.js";
import type { RelayClientError } from "./errors.js";
import type { SocketFactory } from "./socket.js";
import type { ClientStore } from "./store.js";

export interface RelayClientOptions {
  /** Full WebSocket URL of the sync endpoint, e.g. `wss://relay.example.com/djazzkit/sync`. */
  url: string;
  /** Bearer credential, offered as the subprotocol `djazzkit.bearer.<token>`. */
  token?: string;
  /** Stable id of this installation; mutation ids are `<clientId>:<n>`. */
  clientId: string;
  /** The client's schema hash; a different server version stops syncing (`schema_mismatch`). */
  schemaVersion: string;
  socketFactory: SocketFactory;
  /** Persistence; defaults to a fresh `MemoryStore`. */
  store?: ClientStore;
  backoff?: Partial<BackoffOptions>;
  /** Source of jitter in [0, 1); inject a seeded one for reproducible simulations. */
  random?: () => number;
  /** Clock for timestamps on outbox entries. */
  now?: () => number;
  /** Row id generator for `create`; defaults to `crypto.randomUUID()`. */
  uuid?: () => string;
  /** Mutations per push frame (default 100). */
  maxBatch?: number;
  /** Push/resolve frames awaiting a result at once (default 4). */
  maxInFlightPushes?: number;
  /** Timeout of query/rpc/conflict/auth requests (default 30 s). */
  requestTimeoutMs?: number;
  /** Ping period (default 25 s); 0 disables the heartbeat. */
  pingIntervalMs?: number;
  /** A socket whose pong has not come back within this is dead (default 10 s). */
  pongTimeoutMs?: number;
  /** A push/resolve frame unanswered this long is sent again (default 30 s). */
  pushTimeoutMs?: number;
  /** A socket not open within this is abandoned and retried (default 15 s). */
  connectTimeoutMs?: number;
}

export const DEFAULTS = {
  backoff: DEFAULT_BACKOFF,
  maxBatch: 100,
  maxInFlightPushes: 4,
  requestTimeoutMs: 30_000,
  pingIntervalMs: 25_000,
  pongTimeoutMs: 10_000,
  connectTimeoutMs: 15_000,
  pushTimeoutMs: 30_000,
  // The relay refuses inbound frames over 1 MiB (DJAZZKIT_MAX_MESSAGE_BYTES); keep headroom.
  maxFrameBytes: 900_000,
} as const;

/**
 * Lifecycle: `idle` -> `connecting` -> `syncing` (socket open, catch-up running) -> `ready`.
 * On a drop: `backoff` then `connecting` again. Not retried: `waiting_for_token` (4401; resumes
 * on `setToken`/`auth`), `stopped` (4403/1008; resumes on `connect()`), `closed` (`close()`).
 */
export type ClientState =
  | "idle" | "connecting" | "syncing" | "ready" | "backoff"
  | "schema_mismatch" // socket open, nothing syncs, pushes held (DESIGN 4)
  | "waiting_for_token" | "stopped" | "closed";

export interface CloseInfo {
  code: number;
  reason: string;
  /** Whether the client will reconnect on its own. */
  willReconnect: boolean;
  state: ClientState;
}

export interface RelayClientEvents {
  open: { url: string; attempt: number };
  ready: { cursor: Cursor; server_schema_version: string };
  changes: { rows: ChangeRow[]; cursor: Cursor; reset: boolean; more: boolean };
  /** A push frame went out (for histories: what was sent, and when). */
  push: { request_id: string | undefined; mutation_ids: string[] };
  push_result: { results: MutationResult[] };
  confirmed: z.infer<typeof MutationConfirmed>;
  rejected: z.infer<typeof MutationRejected>;
  schema_mismatch: z.infer<typeof SchemaMismatch>;
  /** Relay `error` frames not tied to a request, unparseable frames, socket errors. */
  error: RelayClientError;
  close: CloseInfo;
  reconnecting: { attempt: number; delayMs: number };
  /** Closed with 4401: waiting for `setToken`/`auth` before reconnecting. */
  auth_required: { code: number; reason: string };
  /** Every parsed relay frame, before it is handled. */
  message: RelayMessage;
}

