import type { Query } from "../../schemas/query.js";   // the relay's query AST schema type
import type { Manifest } from "../../schemas/manifest.js";

/** A row as the model layer sees it: the model's fields plus bookkeeping. */
export type ReplicaRow = Record<string, unknown> & {
  _djazzkit_id: string;
  _djazzkit_rev: number;            // the winner's generation (0 while a local create is pending)
  _djazzkit_deleted: boolean;
  _djazzkit_updated_at: string | null;
  _djazzkit_pending: boolean;       // true while a local write awaits the relay
  _conflicts: ConflictVersion[];    // losing leaves of a revision_tree row ([] otherwise)
};
export interface ConflictVersion { rev: string; data: Record<string, unknown>; deleted?: boolean }

export interface ModelBackend {
  /** The manifest the client runs against (for defaults, choices, scope, conflict mode). */
  manifest(): Manifest | undefined;
  /** Rows matching q, in q's order: the local replica for the user's own `user`-scope models, the relay otherwise. */
  query(q: Query): Promise<ReplicaRow[]>;
  count(q: Query): Promise<number>;
  /** Calls onRows now and again whenever a change to q.model may change the result. Returns unsubscribe. */
  subscribe(q: Query, onRows: (rows: ReplicaRow[]) => void, onError?: (err: unknown) => void): () => void;
  /** Applied to the replica at once (pending); resolves with the local row. The write syncs later. */
  create(model: string, data: Record<string, unknown>, rowId?: string): Promise<ReplicaRow>;
  update(model: string, rowId: string, data: Record<string, unknown>): Promise<ReplicaRow>;
  delete(model: string, rowId: string): Promise<void>;
  /** Winner and losing versions, read from the replica (fetched from the relay when the replica lacks bodies). */
  getConflicts(model: string, rowId: string): Promise<{ winner: ConflictVersion; conflicts: ConflictVersion[] }>;
  resolveConflict(model: string, rowId: string, data: Record<string, unknown>): Promise<void>;
}
