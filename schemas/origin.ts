/**
 * The origin contract (PROTOCOL 6): requests the relay makes to Django and the answers it
 * accepts. Every answer is parsed with these schemas before it is trusted.
 */
import { z } from "zod";
import { Operation, RowData } from "./protocol.js";


export const SIGNATURE_HEADER = "X-Djazzkit-Signature";
export const TIMESTAMP_HEADER = "X-Djazzkit-Timestamp";
/** A fresh random string per signed call; Django accepts each once within the window. */
export const NONCE_HEADER = "X-Djazzkit-Nonce";
/** Where the origin mounts the contract unless DJAZZKIT_ORIGIN_PREFIX says otherwise. */
export const DEFAULT_ORIGIN_PREFIX = "/djazzkit/relay/";

/** DJAZZKIT_ORIGIN_PREFIX as the relay uses it: trimmed, one leading and one trailing slash. */
export function normalizeOriginPrefix(raw: string | undefined): string {
  const p = raw === undefined || raw.trim() === "" ? DEFAULT_ORIGIN_PREFIX : raw.trim();
  return (p.startsWith("/") ? p : "/" + p).replace(/\/?$/, "/");
}

/** Receivers refuse a signature whose timestamp is further than this from their clock. */
export const SIGNATURE_WINDOW_S = 300;

/** Bound of a revision ancestry on the wire (the origin keeps 20, the relay sends 20). */
export const MAX_ANCESTRY = 1000;
/** Revision ids, newest first (a revision's ancestry) or in no order (`known`). */
export const Ancestry = z.array(z.string()).max(MAX_ANCESTRY);
export type Ancestry = z.infer<typeof Ancestry>;

export const OriginChangeRow = z.object({
  model: z.string(),
  row_id: z.string(),
  data: RowData.nullable(),
  deleted: z.boolean(),
  /** The row's current revision at the origin (the relay's own for its writes: an echo). */
  rev: z.string().nullish(),
  /** `rev` and its nearest ancestors, newest first: where a Django-side edit attaches. */
  revisions: Ancestry.optional(),
});
export type OriginChangeRow = z.infer<typeof OriginChangeRow>;
export const OriginChangesAnswer = z.object({
  rows: z.array(OriginChangeRow),
  cursor: z.string(),
  more: z.boolean(),
});
export type OriginChangesAnswer = z.infer<typeof OriginChangesAnswer>;

export const RevisionState = z.object({ rev: z.string(), data: RowData.nullable(), deleted: z.boolean() });
export type RevisionState = z.infer<typeof RevisionState>;
export const ConflictBody = z.object({ rev: z.string(), data: RowData.nullable() });
export type ConflictBody = z.infer<typeof ConflictBody>;

export const ApplyMutation = z.object({
  mutation_id: z.string(),
  model: z.string(),
  row_id: z.string(),
  operation: Operation,
  rev: z.string(),
  parent_rev: z.string().nullable(),
  data: RowData.nullable(),
  deleted: z.boolean(),
  winner: RevisionState,
  conflicts: z.array(ConflictBody),
  /**
   * The winner's nearest ancestors, parent first: with the winner, the conflicts, `rev` and
   * `parent_rev`, the revisions the relay knows. Django's current revision outside that set
   * means Django changed the row concurrently (issue 14). Filled in when a batch is read.
   */
  ancestry: Ancestry.optional(),
  /** The tree's other leaves and their parents (a resolved conflict is a tombstone's parent). */
  known: Ancestry.optional(),
});
export type ApplyMutation = z.infer<typeof ApplyMutation>;
export const ApplyRequest = z.object({ user: z.string(), mutations: z.array(ApplyMutation) });
export type ApplyRequest = z.infer<typeof ApplyRequest>;
/** A revision the origin made itself and kept, with its ancestry (newest first). */
export const OriginBranch = z.object({
  rev: z.string(),
  revisions: Ancestry,
  data: RowData.nullable(),
  deleted: z.boolean(),
});
export type OriginBranch = z.infer<typeof OriginBranch>;
export const ApplyResult = z.object({
  mutation_id: z.string(),
  status: z.enum(["applied", "rejected"]),
  code: z.string().optional(),
  message: z.string().optional(),
  /** revision_tree: the origin's own revision this write was concurrent with; it kept both. */
  concurrent: OriginBranch.optional(),
});
export type ApplyResult = z.infer<typeof ApplyResult>;
export const ApplyAnswer = z.object({ results: z.array(ApplyResult) });
export type ApplyAnswer = z.infer<typeof ApplyAnswer>;

export const ResolveRequest = z.object({
  user: z.string(),
  model: z.string(),
  row_id: z.string(),
  winner: ConflictBody,
  conflicts: z.array(ConflictBody),
});
export type ResolveRequest = z.infer<typeof ResolveRequest>;
export const ResolveAnswer = z.object({ data: RowData.nullable() });
export type ResolveAnswer = z.infer<typeof ResolveAnswer>;

export const OriginQueryAnswer = z.object({ rows: z.array(RowData), total: z.number().int().optional() });
export type OriginQueryAnswer = z.infer<typeof OriginQueryAnswer>;
export const RpcAnswer = z.object({ result: z.unknown() });
export type RpcAnswer = z.infer<typeof RpcAnswer>;
export const AuthAnswer = z.object({ user_id: z.union([z.string(), z.number()]).transform(String) });
export type AuthAnswer = z.infer<typeof AuthAnswer>;
export const OriginErrorBody = z.object({ code: z.string().optional(), message: z.string().optional(), error: z.string().optional() }).passthrough();
export type OriginErrorBody = z.infer<typeof OriginErrorBody>;

/** Django to relay: `POST /djazzkit/origin/poke`. */
export const PokeRequest = z.strictObject({
  user_ids: z.array(z.union([z.string().min(1).max(128), z.number().int()]).transform(String)).min(1).max(1000),
});
export type PokeRequest = z.infer<typeof PokeRequest>;

