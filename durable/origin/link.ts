/**
 * The seam between the object and the Django origin (PROTOCOL 3 steps 3-4). The object
 * calls these hooks at fixed points; the standalone link (no DJAZZKIT_ORIGIN_URL) makes the
 * object its own system of record. With an origin, `OriginBackedLink`
 * (origin/) writes the outbox, arms the alarm, pulls changes and forwards queries and RPCs.
 */
import type { QueryOutcome, RpcOutcome } from "../../schemas/contract.js";
import type { Identity } from "../../schemas/identity.js";
import type { BoundedQuery } from "../../schemas/query.js";
import type { RowData } from "../../schemas/protocol.js";
import { dropSettledBodies } from "../storage/batch-store.js";
import type { WinnerRow } from "../storage/rows-record.js";

/** A revision one accepted mutation produced, as the outbox needs it (PROTOCOL 6 `POST apply`). */
export interface AppliedWrite {
  mutation_id: string;
  model: string;
  row_id: string;
  operation: "create" | "update" | "delete";
  rev: string;
  parent_rev: string | null;
  data: RowData | null;
  deleted: boolean;
  /** The row's winner after the whole push. */
  winner: WinnerRow;
  /** The author's client_id (socket attachment), so confirmations reach its sockets; null for the relay's own writes. */
  client_id?: string | null;
}

export interface OriginLink {
  /** True when a Django origin is configured (queries from anonymous sockets go there). */
  readonly remote: boolean;
  /**
   * True when every write is confirmed in the transaction that applies it (standalone): the
   * push then stores its revisions as confirmed at once instead of pending-then-confirmed.
   */
  readonly confirmsAtOnce?: boolean;
  /**
   * Inside the write transaction, after the push's revisions are stored (as pending) and the
   * winners recomputed. Standalone: confirm them at once (parent bodies are dropped). With an
   * origin: enqueue them in the outbox; they stay pending until the origin answers.
   */
  recordWrites(sql: SqlStorage, writes: readonly AppliedWrite[]): void;
  /** After the write transaction committed (e.g. arm the outbox alarm). Must not throw. */
  afterCommit(): Promise<void>;
  /** Before a sync_start's catch-up (e.g. pull from the origin when idle). */
  beforeCatchUp(): Promise<void>;
  /** A query on a model the object does not hold (shared scope, remote strategy). */
  remoteQuery(identity: Identity, query: BoundedQuery): Promise<QueryOutcome>;
  rpc(identity: Identity, name: string, args: unknown): Promise<RpcOutcome>;
  /** The origin changed this user's rows. */
  poke(): Promise<void>;
  /** The object's alarm fired (outbox drain, schema re-check). Must not throw. */
  alarm(): Promise<void>;
}

/** No origin: the object is the system of record. */
export class StandaloneLink implements OriginLink {
  readonly remote = false;
  readonly confirmsAtOnce = true;
  /** The revisions were stored confirmed (`confirmsAtOnce`): only their parents' bodies go. */
  recordWrites(sql: SqlStorage, writes: readonly AppliedWrite[]): void {
    dropSettledBodies(sql, writes.flatMap((w) => (w.parent_rev === null ? [] : [{ model: w.model, row_id: w.row_id, rev: w.parent_rev }])));
  }
  async afterCommit(): Promise<void> {}
  async beforeCatchUp(): Promise<void> {}
  /**
   * Shared and remote rows live only at an origin, and there is none: a permanent refusal
   * (`forbidden`, PROTOCOL 2.3), never the transient `origin_unavailable` (a 5xx a client would
   * retry for ever although nothing will change until the relay is configured otherwise).
   */
  async remoteQuery(_identity: Identity, query: BoundedQuery): Promise<QueryOutcome> {
    return {
      ok: false,
      error: {
        code: "forbidden",
        message: `${query.model} is not held by the relay (shared or remote model) and no origin is configured (DJAZZKIT_ORIGIN_URL)`,
      },
    };
  }
  async rpc(): Promise<RpcOutcome> {
    return { ok: false, error: { code: "rpc_failed", message: "no origin configured (DJAZZKIT_ORIGIN_URL is unset)" } };
  }
  async poke(): Promise<void> {}
  async alarm(): Promise<void> {}
}
