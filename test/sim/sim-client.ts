/**
 * One simulated client: the real SDK (`RelayClient` over `ws`) with seeded jitter and row ids,
 * short timeouts so lost frames are re-sent within a seed's budget, and every event it sees
 * recorded in the run's history.
 */
import WebSocket from "ws";
import { RelayClient, type StoredRow, type TokenOption, type WebSocketLike } from "../../client/index.js";
import type { History } from "./history.js";
import type { Prng } from "./prng.js";

export interface SimClientOptions {
  /** The process's name in the history (a restarted process gets a new one). */
  name: string;
  /** The SDK's clientId; several users and processes may share one (default: the name). */
  clientId?: string;
  userId: string;
  url: string;
  /** A token, or a `getToken()` callback (short-lived tokens the relay closes at `exp`). */
  token: TokenOption;
  schemaVersion: string;
  rng: Prng;
  history: History;
}

export class SimClient {
  readonly client: RelayClient;
  readonly name: string;
  readonly userId: string;
  /** Every mutation id this client made, with what it was. */
  readonly made = new Map<string, { model: string; row_id: string; op: string }>();
  readonly clientId: string;

  constructor(o: SimClientOptions) {
    this.name = o.name;
    this.userId = o.userId;
    this.clientId = o.clientId ?? o.name;
    const h = o.history;
    const uuids = o.rng.fork(`uuid-${o.userId}`);
    this.client = new RelayClient({
      url: o.url,
      token: o.token,
      clientId: o.clientId ?? o.name,
      schemaVersion: o.schemaVersion,
      socketFactory: (url, protocols) => {
        const ws = new WebSocket(url, protocols);
        ws.on("error", () => {}); // surfaced through onclose; never an unhandled 'error'
        return ws as unknown as WebSocketLike;
      },
      random: o.rng.fn,
      // Row ids from the seed and the user: a seed run twice against one Django (a regression
      // run, a replay) must not reuse another user's row ids (the origin answers forbidden).
      uuid: () => uuids.uuid(),
      backoff: { baseMs: 20, maxMs: 250 },
      pushTimeoutMs: 300,
      connectTimeoutMs: 3_000,
      requestTimeoutMs: 5_000,
      // A heartbeat, as apps run it: a socket that stopped answering is replaced.
      pingIntervalMs: 1_000,
      pongTimeoutMs: 1_500,
    });
    const c = this.client;
    c.on("push", (e) => h.add(o.name, "push", { request_id: e.request_id, ids: e.mutation_ids }));
    c.on("push_result", (e) => {
      for (const r of e.results) h.add(o.name, "ack", { ...r });
    });
    c.on("confirmed", (e) => h.add(o.name, "confirmed", { mutation_id: e.mutation_id, rev: e.rev }));
    c.on("rejected", (e) => h.add(o.name, "rejected", { mutation_id: e.mutation_id, rev: e.rev, code: e.code }));
    c.on("changes", (e) => {
      if (e.reset) h.add(o.name, "reset", { cursor: e.cursor });
      for (const r of e.rows) {
        h.add(o.name, "change", { model: r.model, row_id: r.row_id, rev: r.rev, deleted: r.deleted, conflicts: r.conflicts });
      }
    });
    c.on("ready", (e) => h.add(o.name, "ready", { cursor: e.cursor }));
    c.on("close", (e) => h.add(o.name, "close", { code: e.code, state: e.state }));
  }

  connect(): void {
    this.client.connect().catch(() => {}); // the connection retries by itself
  }

  rows(): StoredRow[] {
    return this.client.store.listRows();
  }

  /** Idle: synced, nothing pending. */
  get settled(): boolean {
    return this.client.state === "ready" && this.client.pendingCount === 0;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
