/**
 * Messages between a page and the replica Worker (browsers keep OPFS's synchronous file handles
 * to Workers, so the SQLite replica and its SyncClient live there and the page talks to it).
 * Plain structured-clone data only: no functions, no class instances.
 */
import type { Query } from "../../schemas/query.js";
import type { Manifest } from "../../schemas/manifest.js";
import type { ReplicaRow } from "../model/backend.js";
import type { SyncClientEvents } from "../sync/options.js";

export type CallMethod = "query" | "count" | "create" | "update" | "delete" | "getConflicts" | "resolveConflict" | "whenSynced" | "status";

export type PageMessage =
  | { djazzkit: "call"; id: number; method: CallMethod; args: unknown[] }
  | { djazzkit: "subscribe"; id: number; query: Query }
  | { djazzkit: "unsubscribe"; id: number };

export interface WireError { code: string; message: string; details?: Record<string, unknown> }

/** What the page sees of the replica and its connection. */
export interface ReplicaStatus {
  /** The RelayClient's state (`ready`, `backoff`, `schema_mismatch`, ...). */
  state: string;
  /** Where the replica lives: `opfs-sahpool:/<name>`, or `:memory:` after the fallback. */
  location: string;
  ephemeral: boolean;
  pending: number;
  /** Who the relay says is signed in on the current socket (null: anonymous, or not known yet). */
  user_id: string | null;
}

export type WorkerMessage =
  | { djazzkit: "result"; id: number; value: unknown }
  | { djazzkit: "error"; id: number; error: WireError }
  | { djazzkit: "rows"; id: number; rows: ReplicaRow[] }
  | { djazzkit: "rows_error"; id: number; error: WireError }
  | { djazzkit: "manifest"; manifest: Manifest }
  | { djazzkit: "status"; status: ReplicaStatus }
  | { [K in keyof SyncClientEvents]: { djazzkit: "event"; event: K; payload: SyncClientEvents[K] } }[keyof SyncClientEvents];

/** The part of Worker / DedicatedWorkerGlobalScope both ends use. */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  addEventListener(type: "message", listener: (event: { data: unknown }) => void): void;
}

export function toWireError(err: unknown): WireError {
  const e = err as { code?: unknown; message?: unknown; details?: unknown };
  const out: WireError = { code: typeof e?.code === "string" ? e.code : "internal", message: typeof e?.message === "string" ? e.message : String(err) };
  if (e?.details && typeof e.details === "object") {
    try {
      out.details = structuredClone(e.details) as Record<string, unknown>;
    } catch {
      // details that cannot be cloned are left out; code and message still arrive
    }
  }
  return out;
}
