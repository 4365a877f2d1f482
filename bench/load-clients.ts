/**
 * One simulated device: a `RelayClient` over `ws`, seeded, that writes rows of notes.Task (lww,
 * shared by the user's devices) and notes.Note (revision_tree, edited only by the device that
 * created it) and reports everything it sees to the `History`.
 */
import WebSocket from "ws";
import { RelayClient, type RowData, type WebSocketLike } from "../client/index.js";
import { genOf, type History, rowKey } from "./load-history.js";
import { pick, rng, subSeed, uuidFrom } from "./load-rng.js";

/** Bounds per device, so rows per user stay bounded however long the steady phase runs. */
const MAX_TASKS_PER_DEVICE = 6;
const MAX_NOTES_PER_DEVICE = 3;

export interface SimOptions {
  wsUrl: string;
  token: string;
  user: number;
  device: number;
  seed: number;
  schemaVersion: string;
  history: History;
}

export class SimClient {
  readonly user: number;
  readonly clientId: string;
  readonly client: RelayClient;
  /** What this device's `changes` frames said, per row (cheap to poll; the store is checked at the end). */
  readonly view = new Map<string, { rev: string; gen: number }>();
  readonly ownNotes: string[] = [];
  tasksCreated = 0;
  writes = 0;
  /** Since the deploy: closes seen, reconnections scheduled, and when `sync_ready` came back. */
  closesAfterDrop = 0;
  reconnectsAfterDrop = 0;
  readyAfterDropAt: number | null = null;
  readonly #random: () => number;
  readonly #sentAt = new Map<string, number>();
  readonly #h: History;

  constructor(o: SimOptions) {
    this.user = o.user;
    this.#h = o.history;
    this.clientId = `u${o.user}d${o.device}`;
    this.#random = rng(subSeed(o.seed, o.user * 1000 + o.device));
    const jitter = rng(subSeed(o.seed ^ 0x5bd1e995, o.user * 1000 + o.device));
    const ids = rng(subSeed(o.seed ^ 0x27d4eb2f, o.user * 1000 + o.device));
    const h = o.history;
    this.client = new RelayClient({
      url: `${o.wsUrl}/djazzkit/sync`,
      token: o.token,
      clientId: this.clientId,
      schemaVersion: o.schemaVersion,
      random: jitter,
      uuid: () => uuidFrom(ids),
      socketFactory: (url, protocols) => {
        const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
        const send = ws.send.bind(ws) as (data: string) => void;
        (ws as unknown as { send: (data: string) => void }).send = (data: string) => {
          h.frameOut();
          send(data);
        };
        return ws as unknown as WebSocketLike;
      },
    });
    const c = this.client;
    c.on("message", (msg) => {
      h.frameIn();
      if (msg.type === "error") h.relayError(msg.code);
      if (msg.type === "changes") {
        h.checkDelivery(this.user, msg.rows);
        if (msg.reset) this.view.clear();
        for (const row of msg.rows) this.view.set(rowKey(row.model, row.row_id), { rev: row.rev, gen: genOf(row.rev) });
      }
    });
    c.on("push", ({ mutation_ids }) => {
      const now = performance.now();
      for (const id of mutation_ids) if (!this.#sentAt.has(id)) this.#sentAt.set(id, now);
    });
    c.on("push_result", ({ results }) => {
      const now = performance.now();
      for (const r of results) {
        const sent = this.#sentAt.get(r.mutation_id);
        this.#sentAt.delete(r.mutation_id);
        if (sent !== undefined && h.phase === "steady" && r.status === "applied") {
          h.ackLatencyMs.push(now - sent);
          h.ackAt.push(now);
        }
      }
    });
    c.on("error", (err) => {
      if (err.code === "disconnected" || err.code === "timeout" || err.code === "invalid_message") h.clientError(err.code);
    });
    c.on("close", ({ code, reason }) => {
      if (h.phase === "recovery") this.closesAfterDrop++;
      else if (h.phase !== "verify") {
        h.closesBeforeDrop++;
        const key = `${code} ${reason}`.trim();
        h.closeCodesBeforeDrop.set(key, (h.closeCodesBeforeDrop.get(key) ?? 0) + 1);
      }
    });
    c.on("reconnecting", () => {
      if (h.phase === "recovery") this.reconnectsAfterDrop++;
    });
    c.on("ready", () => {
      if (h.phase === "recovery" && this.closesAfterDrop > 0 && this.readyAfterDropAt === null) this.readyAfterDropAt = performance.now();
    });
  }

  /** One random write: create or update a shared task, create or update one of our notes. */
  writeOnce(): void {
    const r = this.#random();
    const tasks = this.client.all("notes.Task");
    if (r < 0.2 && this.tasksCreated < MAX_TASKS_PER_DEVICE) {
      this.tasksCreated++;
      this.#create("notes.Task", { title: this.#text("task"), done: false, due: null, owner: this.user });
    } else if (r < 0.55 && tasks.length > 0) {
      const row = tasks[pick(this.#random, tasks.length)]!;
      this.#update("notes.Task", row.row_id, { title: this.#text("task"), done: this.#random() < 0.5 });
    } else if (r < 0.7 && this.ownNotes.length < MAX_NOTES_PER_DEVICE) {
      this.#create("notes.Note", { title: this.#text("note"), body: this.#text("body"), archived: false, priority: pick(this.#random, 5), tags: ["load"], author: this.user });
    } else if (this.ownNotes.length > 0) {
      const rowId = this.ownNotes[pick(this.#random, this.ownNotes.length)]!;
      this.#update("notes.Note", rowId, { body: this.#text("body"), priority: pick(this.#random, 5) });
    } else {
      this.tasksCreated++;
      this.#create("notes.Task", { title: this.#text("task"), done: false, due: null, owner: this.user });
    }
  }

  #text(prefix: string): string {
    return `${prefix} ${this.clientId} #${this.writes} ${Math.floor(this.#random() * 1e9).toString(36)}`;
  }

  #create(model: string, data: RowData): void {
    const rowId = uuidFrom(this.#random);
    this.#h.rowOwner.set(rowId, this.user); // before it can reach any socket
    if (model === "notes.Note") this.ownNotes.push(rowId);
    this.#track(model, rowId, data, this.client.create(model, data, { rowId }));
  }

  #update(model: string, rowId: string, patch: RowData): void {
    this.#track(model, rowId, patch, this.client.update(model, rowId, patch));
  }

  #track(model: string, row_id: string, patch: RowData, handle: ReturnType<RelayClient["create"]>): void {
    this.writes++;
    this.#h.writesMade++;
    const write = { model, row_id, mutation_id: handle.mutation_id, patch };
    const t0 = performance.now();
    handle.then(
      (result) => {
        if (this.#h.phase === "steady") this.#h.writeLatencyMs.push(performance.now() - t0);
        this.#h.recordResult(this.user, write, result);
      },
      (err: { code?: string }) => {
        // `closed` only when the run ends with writes still pending (then verification fails anyway).
        if (err.code !== "closed") this.#h.violation("write_failed", `${this.clientId} ${handle.mutation_id}: ${String(err)}`);
      },
    );
  }

  /** Whether this device holds at least the latest acked generation of every acked row of its user. */
  caughtUp(): boolean {
    if (this.client.state !== "ready" || this.client.pendingCount > 0) return false;
    for (const acked of this.#h.latest.get(this.user)?.values() ?? []) {
      const seen = this.view.get(rowKey(acked.model, acked.row_id));
      if (seen === undefined || seen.gen < acked.gen) return false;
    }
    return true;
  }
}
