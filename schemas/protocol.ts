/**
 * The client protocol (PROTOCOL 4): every WebSocket frame is one JSON object with a `type`.
 * Client and relay messages form two discriminated unions; types are inferred from them.
 */
import { z } from "zod";
import { ErrorCode } from "./errors.js";
import { CredentialRefusal } from "./identity.js";
import { ModelLabel } from "./manifest.js";
import { CURSOR_RE, MAX_MODEL_CHARS, MAX_MUTATION_ID_CHARS, MAX_REQUEST_ID_CHARS, MAX_ROW_ID_CHARS, REV_RE, FRAME_BUDGET_BYTES } from "./wire-format.js";

const RequestId = z.string().min(1).max(MAX_REQUEST_ID_CHARS);
const MutationId = z.string().min(1).max(MAX_MUTATION_ID_CHARS);
const RowId = z.string().min(1).max(MAX_ROW_ID_CHARS);
const Rev = z.string().regex(REV_RE);
/** A cursor is "<epoch>:<seq>" (PROTOCOL 2.4). */
export const Cursor = z.string().regex(CURSOR_RE);
export type Cursor = z.infer<typeof Cursor>;
export const RowData = z.record(z.string(), z.unknown());
export type RowData = z.infer<typeof RowData>;

export const Operation = z.enum(["create", "update", "delete"]);
export type Operation = z.infer<typeof Operation>;

export { isRelayMutationId, RELAY_MUTATION_ID_PREFIX } from "./wire-format.js";

export const Mutation = z.object({
  mutation_id: MutationId,
  model: z.string().min(1).max(MAX_MODEL_CHARS),
  row_id: RowId,
  operation: Operation,
  base_rev: Rev.nullish(),
  data: RowData.optional(),
});
export type Mutation = z.infer<typeof Mutation>;

// ---- client to relay -------------------------------------------------------------------

export const SyncStart = z.object({
  type: z.literal("sync_start"),
  client_id: z.string().min(1).max(128),
  schema_version: z.string().min(1).max(64),
  since: Cursor.nullish(),
});
export const Push = z.object({
  type: z.literal("push"),
  request_id: RequestId.optional(),
  mutations: z.array(z.unknown()),
});
export const QueryMessage = z.object({
  type: z.literal("query"),
  request_id: RequestId,
  query: z.unknown(),
});
export const Rpc = z.object({
  type: z.literal("rpc"),
  request_id: RequestId,
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/),
  args: z.unknown().optional(),
});
export const GetConflicts = z.object({
  type: z.literal("get_conflicts"),
  request_id: RequestId,
  model: z.string().min(1).max(200),
  row_id: RowId,
});
export const ResolveConflict = z.object({
  type: z.literal("resolve_conflict"),
  request_id: RequestId,
  mutation_id: MutationId,
  model: z.string().min(1).max(200),
  row_id: RowId,
  data: RowData,
});
export const ListConflicts = z.object({
  type: z.literal("list_conflicts"),
  request_id: RequestId,
  model: z.string().min(1).max(200).optional(),
});
export const Auth = z.object({
  type: z.literal("auth"),
  request_id: RequestId.optional(),
  token: z.string().min(1).max(8192),
});
export const Ping = z.object({ type: z.literal("ping") });
export type Ping = z.infer<typeof Ping>;

export const ClientMessage = z.discriminatedUnion("type", [
  SyncStart, Push, QueryMessage, Rpc, GetConflicts, ResolveConflict, ListConflicts, Auth, Ping,
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
export type SyncStart = z.infer<typeof SyncStart>;
export type Push = z.infer<typeof Push>;
export type QueryMessage = z.infer<typeof QueryMessage>;
export type Rpc = z.infer<typeof Rpc>;
export type GetConflicts = z.infer<typeof GetConflicts>;
export type ResolveConflict = z.infer<typeof ResolveConflict>;
export type ListConflicts = z.infer<typeof ListConflicts>;
export type Auth = z.infer<typeof Auth>;

// ---- relay to client -------------------------------------------------------------------

/** Exactly these four keys (PROTOCOL 4): other software matches on this shape. */
export const SchemaMismatch = z.strictObject({
  type: z.literal("schema_mismatch"),
  client_schema_version: z.string(),
  server_schema_version: z.string(),
  message: z.string(),
});
export const ChangeRow = z.object({
  model: ModelLabel,
  row_id: RowId,
  rev: Rev,
  data: RowData.nullable(),
  deleted: z.boolean(),
  conflicts: z.array(Rev),
});
export type ChangeRow = z.infer<typeof ChangeRow>;
export const Changes = z.object({
  type: z.literal("changes"),
  rows: z.array(ChangeRow),
  cursor: Cursor,
  reset: z.boolean().optional(),
  more: z.boolean(),
});
/** Who a socket is (issue 8): sent in `sync_ready` and `auth_ok`. */
export const SocketIdentity = z.object({
  user_id: z.string().nullable(),
  anonymous: z.boolean(),
});
export type SocketIdentity = z.infer<typeof SocketIdentity>;
export { CredentialRefusal };

export const SyncReady = z.object({
  type: z.literal("sync_ready"),
  cursor: Cursor,
  server_schema_version: z.string(),
  /** Always sent by this relay; optional so frames of an older relay still parse. */
  identity: SocketIdentity.optional(),
  credential: CredentialRefusal.optional(),
});
export const MutationStatus = z.enum(["applied", "rejected"]);
export type MutationStatus = z.infer<typeof MutationStatus>;
export const MutationResult = z.object({
  mutation_id: z.string(),
  status: MutationStatus,
  rev: Rev.optional(),
  code: ErrorCode.optional(),
  message: z.string().optional(),
  duplicate: z.boolean().optional(),
});
export type MutationResult = z.infer<typeof MutationResult>;
export const PushResult = z.object({
  type: z.literal("push_result"),
  request_id: z.string().optional(),
  results: z.array(MutationResult),
});
export const MutationConfirmed = z.object({
  type: z.literal("mutation_confirmed"),
  mutation_id: z.string(),
  rev: Rev,
});
export type MutationConfirmed = z.infer<typeof MutationConfirmed>;
export const MutationRejected = z.object({
  type: z.literal("mutation_rejected"),
  mutation_id: z.string(),
  rev: Rev,
  code: ErrorCode,
  message: z.string(),
});
export type MutationRejected = z.infer<typeof MutationRejected>;
export const QueryResult = z.object({
  type: z.literal("query_result"),
  request_id: z.string(),
  rows: z.array(RowData),
  total: z.number().int().optional(),
});
export const RpcResult = z.object({
  type: z.literal("rpc_result"),
  request_id: z.string(),
  result: z.unknown(),
});
export type RpcResult = z.infer<typeof RpcResult>;
export const RevisionBody = z.object({ rev: Rev, data: RowData.nullable() });
export type RevisionBody = z.infer<typeof RevisionBody>;
export const Conflicts = z.object({
  type: z.literal("conflicts"),
  request_id: z.string(),
  model: z.string(),
  row_id: z.string(),
  winner: RevisionBody,
  conflicts: z.array(RevisionBody),
});
export const ConflictList = z.object({
  type: z.literal("conflict_list"),
  request_id: z.string(),
  rows: z.array(z.object({ model: z.string(), row_id: z.string(), rev: Rev, conflicts: z.array(Rev) })),
});
export const AuthOk = z.object({
  type: z.literal("auth_ok"),
  request_id: z.string().optional(),
  user_id: z.string(),
  expires_at: z.number().int().optional(),
  identity: SocketIdentity.optional(),
});
export const ErrorMessage = z.object({
  type: z.literal("error"),
  request_id: z.string().optional(),
  code: ErrorCode,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export const Pong = z.object({ type: z.literal("pong") });
export type Pong = z.infer<typeof Pong>;

export const RelayMessage = z.discriminatedUnion("type", [
  SchemaMismatch, Changes, SyncReady, PushResult, MutationConfirmed, MutationRejected,
  QueryResult, RpcResult, Conflicts, ConflictList, AuthOk, ErrorMessage, Pong,
]);
export type RelayMessage = z.infer<typeof RelayMessage>;
export type SchemaMismatch = z.infer<typeof SchemaMismatch>;
export type Changes = z.infer<typeof Changes>;
export type SyncReady = z.infer<typeof SyncReady>;
export type AuthOk = z.infer<typeof AuthOk>;
export type PushResult = z.infer<typeof PushResult>;
export type QueryResult = z.infer<typeof QueryResult>;
export type Conflicts = z.infer<typeof Conflicts>;
export type ConflictList = z.infer<typeof ConflictList>;
export type ErrorMessage = z.infer<typeof ErrorMessage>;

/** Outbound `changes` frames carry at most this many rows and bytes (PROTOCOL 4). */
export const MAX_CHANGES_ROWS = 100;
export const MAX_CHANGES_FRAME_BYTES = FRAME_BUDGET_BYTES;
