/** Public API of `@djazzkit/core` (browsers, Node, workerd; no Node-only imports and no SQLite engine). */
export { SyncClient } from "./sync/sync-client.js";
export type {
  SyncClientOptions, SyncClientEvents, SchemaMismatchInfo, SchemaMismatchPolicy, MigrationContext, RejectedWrite,
} from "./sync/options.js";
export type { SqlDatabase, SqlValue } from "./replica/sql-database.js";
export { connectReplica, ReplicaWorkerClient, type ReplicaWorkerEvents } from "./worker/replica-worker-client.js";
export type { ReplicaStatus } from "./worker/protocol.js";
export type { ModelBackend, ReplicaRow, ConflictVersion } from "./model/backend.js";
export { RelayClient, type ReadyInfo } from "./relay-client.js";
export type { RelayClientOptions, RelayClientEvents, ClientState, CloseInfo, Refusal } from "./options.js";
export type { TokenOption, TokenProvider } from "./token-source.js";
export { DEFAULTS } from "./options.js";
export { RelayClientError, type ClientErrorCode, type ClientSideCode } from "./errors.js";
export { MemoryStore, newMutationIdPrefix, type ClientStore, type StoredRow, type PendingMutation, type PendingPush, type PendingResolve } from "./store.js";
export type { MutationHandle } from "./outbox.js";
export type { WebSocketLike, SocketFactory, ClosePolicy } from "./socket.js";
export { closePolicy, subprotocolsFor } from "./socket.js";
export { fullJitterDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";
export { Emitter, type Listener } from "./emitter.js";
export type { MutationResult, ChangeRow, Cursor, Mutation, RowData, SocketIdentity, CredentialRefusal } from "../schemas/protocol.js";
export type { Manifest } from "../schemas/manifest.js";
export type { Query } from "../schemas/query.js";
export * from "./model/index.js";
