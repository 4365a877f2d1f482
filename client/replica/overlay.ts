/**
 * What the app sees of one row: the relay's winner with the local writes that are not in it yet
 * replayed on top, in the order they were made. Pure. The writes are the outbox's pending
 * entries plus writes the relay already applied whose broadcast has not arrived.
 */
import type { PendingMutation } from "../store.js";
import type { StoredRow } from "../store.js";

export interface VisibleRow {
  body: Record<string, unknown>;
  deleted: boolean;
  /** Revs of the losing leaves (none after a local resolution). */
  conflicts: string[];
}

const BOOKKEEPING_PREFIX = "_djazzkit_";

/** The row's body without the bookkeeping fields the relay spreads into it. */
export function modelBody(data: Record<string, unknown> | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data ?? {})) if (!k.startsWith(BOOKKEEPING_PREFIX)) out[k] = v;
  return out;
}

/** undefined: the row does not exist locally (no winner, no local write). */
export function replay(server: StoredRow | undefined, writes: readonly PendingMutation[]): VisibleRow | undefined {
  if (!server && writes.length === 0) return undefined;
  let row: VisibleRow | undefined = server
    ? { body: server.deleted ? {} : modelBody(server.data), deleted: server.deleted, conflicts: [...server.conflicts] }
    : undefined;
  for (const w of writes) {
    if (w.kind === "resolve") {
      // Laid over the winner like an update (durable/handlers/conflicts.ts); every loser closes.
      row = { body: { ...(row && !row.deleted ? row.body : {}), ...modelBody(w.data) }, deleted: false, conflicts: [] };
      continue;
    }
    const m = w.mutation;
    if (m.operation === "create") row = { body: modelBody(m.data ?? {}), deleted: false, conflicts: row?.conflicts ?? [] };
    else if (m.operation === "update") row = { body: { ...(row?.body ?? {}), ...modelBody(m.data ?? {}) }, deleted: false, conflicts: row?.conflicts ?? [] };
    else row = { body: row?.body ?? {}, deleted: true, conflicts: row?.conflicts ?? [] };
  }
  return row;
}
