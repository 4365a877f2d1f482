/** Options, defaults and the event map of `RelayClient`. */
import type { z } from "zod";
import type {
  ChangeRow, CredentialRefusal, Cursor, MutationConfirmed, MutationRejected, MutationResult, RelayMessage, SchemaMismatch,
  SocketIdentity,
} from "../schemas/protocol.js";
import { FRAME_BUDGET_BYTES } from "../schemas/wire-format.js";
import { type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.js";
import type { RelayClientError } from "./errors.js";
import type { SocketFactory } from "./socket.js";
import type { ClientStore } from "./store.js";
import type { TokenOption } from "./token-source.js";

export interface RelayClientOptions {
  /** Full WebSocket URL of the sync endpoint, e.g. `wss://relay.example.com/djazzkit/sync`. */
  url: string;
  /**
   * Bearer credential, offered as the subprotocol `djazzkit.bearer.<token>`: a string, or a
   * callback `getToken()` (sync or async) called before every connect and once more after a
   * 4401, before one immediate retry. Leave it out for cookie sign-in or anonymous use.
   */
  token?: TokenOption;
  /**
   * A name for this installation, tab or process: the relay sends `mutation_confirmed` and
   * `mutation_rejected` to the sockets that started with it, and it leads every mutation id
   * (`<clientId>:<store prefix>:<n>`) so logs show where a write came from. It is not an
   * identity (the credential is), not a secret, and not what keeps mutation ids unique (the
   * store's random prefix is): clients that share one lose nothing. It may not be `relay`.
   */
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
  /** Report `unreachable` after this many sockets in a row closed 1006 before any frame (default 3). */
  unreachableAfter?: number;
}

export const DEFAULTS = {
  backoff: DEFAULT_BACKOFF,
  maxBatch: 100,
  maxInFlightPushes: 4,
  requestTimeoutMs: 30_000,
  pingIntervalMs: 25_000,
  pongTimeoutMs: 10_000,
  connectTimeoutMs: 15_000,
  unreachableAfter: 3,
  pushTimeoutMs: 30_000,
  // The relay refuses inbound frames over 1 MiB (DJAZZKIT_MAX_MESSAGE_BYTES); keep headroom.
  maxFrameBytes: FRAME_BUDGET_BYTES,
} as const;

/**
 * Lifecycle: `idle` -> `connecting` -> `syncing` (socket open, catch-up running) -> `ready`.
 * On a drop: `backoff` then `connecting` again. Not retried: `waiting_for_token` (a 4401 that a
 * fresh `getToken()` did not cure, or a credential the relay refused and admitted anonymously;
 * pending writes wait in the outbox; resumes on `setToken`/`auth`/`connect()`), `stopped`
 * (4403/1008; resumes on `connect()`), `closed` (`close()`). `client.refusal` says why.
 */
export type ClientState =
  | "idle" | "connecting" | "syncing" | "ready" | "backoff"
  | "schema_mismatch" // socket open, nothing syncs, pushes held (PROTOCOL 4)
  | "waiting_for_token" | "stopped" | "closed";

export interface CloseInfo {
  code: number;
  reason: string;
  /** Whether the client will reconnect on its own. */
  willReconnect: boolean;
  state: ClientState;
}

/** Why the client is not syncing: the relay's refusal (or the silence of one it cannot read). */
export interface Refusal {
  /** The close code (4401, 4403, 1008; 1006 for `unreachable`). */
  close_code: number;
  /** The stable code: from the relay's `error` frame, else derived from the close code. */
  code: string;
  message: string;
  /** When the socket was admitted anonymously although a credential was presented. */
  credential?: CredentialRefusal;
}

export interface RelayClientEvents {
  open: { url: string; attempt: number };
  ready: { cursor: Cursor; server_schema_version: string; identity?: SocketIdentity };
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
  /** Closed with 4401 (or admitted anonymously despite a credential): waiting for a token. */
  auth_required: { code: number; reason: string };
  /** `attempts` sockets in a row closed 1006 before any frame: cannot reach the relay, or refused. */
  unreachable: { attempts: number };
  /** Every parsed relay frame, before it is handled. */
  message: RelayMessage;
}

