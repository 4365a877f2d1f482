/** Public API of the djazzkit-relay client SDK (browsers and Node; no Node-only imports). */
export { RelayClient, type ReadyInfo } from "./relay-client.js";
export type { RelayClientOptions, RelayClientEvents, ClientState, CloseInfo, Refusal } from "./options.js";
export type { TokenOption, TokenProvider } from "./token-source.js";
export { DEFAULTS } from "./options.js";
export { RelayClientError, type ClientErrorCode, type ClientSideCode } from "./errors.js";
export { MemoryStore, type ClientStore, type StoredRow, type PendingMutation, type PendingPush, type PendingResolve } from "./store.js";
export type { MutationHandle } from "./outbox.js";
export type { WebSocketLike, SocketFactory, ClosePolicy } from "./socket.js";
export { closePolicy, subprotocolsFor } from "./socket.js";
export { fullJitterDelay, DEFAULT_BACKOFF, type BackoffOptions } from "./backoff.js";
export { Emitter, type Listener } from "./emitter.js";
export type { MutationResult, ChangeRow, Cursor, Mutation, RowData, SocketIdentity, CredentialRefusal } from "../schemas/protocol.js";
