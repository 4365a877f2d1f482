/**
 * Helpers for the Durable Object tests: open a socket through the Worker (bearer HS256 JWT
 * from ../jwt.ts, signed with the test secret vitest.config.ts binds), collect its frames, and wait for a
 * frame matching a predicate with a timeout.
 */
import { exports } from "cloudflare:workers";
import { expect } from "vitest";

/** schema_version of djazzkit.schema.json. */
export { default as MANIFEST } from "../../../djazzkit.schema.json";
import manifest from "../../../djazzkit.schema.json";
import { RelayMessage, type Mutation } from "../../../schemas/protocol.js";
import { mintJwt } from "../jwt.js";
export const SCHEMA_VERSION = manifest.schema_version;

/**
 * A frame the relay sent: a RelayMessage, parsed on receipt, so a frame outside the protocol
 * fails the test that receives it. A binary frame (the relay never sends one) and a text frame
 * that does not parse are kept as `not_protocol`, so a waiting test times out showing it.
 */
export type Frame = RelayMessage | { type: "not_protocol"; raw: string };
/** The frame of `type`, narrowed. */
export type FrameOf<T extends Frame["type"]> = Extract<Frame, { type: T }>;
/** What a test sends: loose on purpose, since the suites send malformed frames too. */
export type Outgoing = Record<string, unknown>;

/** A fresh numeric user id (the sample owner fields are integers), so every test gets its own object. */
export function newUser(): string {
  return String(100_000 + Math.floor(Math.random() * 1_000_000_000));
}

const encoder = new TextEncoder();

function receive(data: unknown): Frame {
  if (typeof data !== "string") return { type: "not_protocol", raw: "<binary>" };
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return { type: "not_protocol", raw: data };
  }
  // Keep the frame as sent (parse would strip keys the schema does not name), once it conforms.
  return RelayMessage.safeParse(json).success ? (json as RelayMessage) : { type: "not_protocol", raw: data };
}

export class Client {
  readonly frames: Frame[] = [];
  /** UTF-8 size of each received frame as it came over the wire. */
  readonly sizes = new WeakMap<Frame, number>();
  private buffer: Frame[] = [];
  private waiters: Array<() => void> = [];
  closeEvent: { code: number; reason: string } | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    let resolveClosed!: (e: { code: number; reason: string }) => void;
    this.closed = new Promise((r) => (resolveClosed = r));
    ws.addEventListener("message", (ev) => {
      const frame = receive(ev.data);
      if (typeof ev.data === "string") this.sizes.set(frame, encoder.encode(ev.data).byteLength);
      this.frames.push(frame);
      this.buffer.push(frame);
      this.wake();
    });
    ws.addEventListener("close", (ev) => {
      this.closeEvent = { code: ev.code, reason: ev.reason };
      resolveClosed(this.closeEvent);
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Open a socket through the Worker; `token` null opens an anonymous socket. */
  static async open(token: string | null): Promise<Client> {
    const headers: Record<string, string> = { Upgrade: "websocket", Connection: "Upgrade" };
    if (token !== null) headers.Authorization = `Bearer ${token}`;
    const res = await exports.default.fetch(new Request("https://relay.test/djazzkit/sync", { headers }));
    if (res.status !== 101 || !res.webSocket) throw new Error(`upgrade failed: ${res.status} ${await res.text()}`);
    res.webSocket.accept();
    return new Client(res.webSocket);
  }

  static async forUser(user: string): Promise<Client> {
    return Client.open(await mintJwt(user));
  }

  send(frame: Outgoing | string | ArrayBuffer): void {
    this.ws.send(typeof frame === "string" || frame instanceof ArrayBuffer ? frame : JSON.stringify(frame));
  }

  /** Remove and return the first buffered frame matching `pred`, waiting up to `timeoutMs`. */
  take<F extends Frame>(pred: (f: Frame) => f is F, timeoutMs?: number, what?: string): Promise<F>;
  take(pred: (f: Frame) => boolean, timeoutMs?: number, what?: string): Promise<Frame>;
  async take(pred: (f: Frame) => boolean, timeoutMs = 5000, what = "frame"): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.buffer.findIndex(pred);
      if (i >= 0) return this.buffer.splice(i, 1)[0]!;
      if (this.closeEvent) throw new Error(`socket closed (${this.closeEvent.code}) while waiting for ${what}; got ${JSON.stringify(this.buffer).slice(0, 500)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; buffered: ${JSON.stringify(this.buffer).slice(0, 1000)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The first buffered frame of `type` that also matches `pred`. */
  takeWhere<T extends Frame["type"]>(type: T, pred: (f: FrameOf<T>) => boolean, timeoutMs = 5000, what: string = type): Promise<FrameOf<T>> {
    return this.take((f): f is FrameOf<T> => f.type === type && pred(f as FrameOf<T>), timeoutMs, what);
  }

  takeType<T extends Frame["type"]>(type: T, timeoutMs = 5000): Promise<FrameOf<T>> {
    return this.take((f): f is FrameOf<T> => f.type === type, timeoutMs, type);
  }

  /** Wait `ms` and check that no buffered frame matches `pred`. */
  async expectNone(pred: (f: Frame) => boolean, ms = 200): Promise<void> {
    await new Promise((r) => setTimeout(r, ms));
    expect(this.buffer.filter(pred)).toEqual([]);
  }

  clear(): void {
    this.buffer = [];
  }

  /** sync_start; resolves with every `changes` frame of the catch-up and the sync_ready. */
  async syncStart(since?: string | null, schemaVersion = SCHEMA_VERSION): Promise<{ changes: FrameOf<"changes">[]; ready: FrameOf<"sync_ready"> }> {
    this.send({ type: "sync_start", client_id: "c-" + crypto.randomUUID(), schema_version: schemaVersion, since: since ?? null });
    const ready = await this.takeType("sync_ready", 30_000);
    const changes: FrameOf<"changes">[] = [];
    for (let i = this.buffer.findIndex((f) => f.type === "changes"); i >= 0; i = this.buffer.findIndex((f) => f.type === "changes")) {
      changes.push(this.buffer.splice(i, 1)[0] as FrameOf<"changes">);
    }
    return { changes, ready };
  }

  /** push and wait for its push_result. */
  async push(mutations: Outgoing[], timeoutMs = 10_000): Promise<FrameOf<"push_result">> {
    const request_id = "r-" + crypto.randomUUID();
    this.send({ type: "push", request_id, mutations });
    return this.take((f): f is FrameOf<"push_result"> => f.type === "push_result" && f.request_id === request_id, timeoutMs, "push_result");
  }

  /** Send a request frame and wait for the answer (or error) with the same request_id. */
  async request(frame: Outgoing, timeoutMs = 5000): Promise<Frame> {
    const request_id = "r-" + crypto.randomUUID();
    this.send({ ...frame, request_id });
    return this.take((f) => "request_id" in f && f.request_id === request_id, timeoutMs, `answer to ${String(frame.type)}`);
  }

  /** request, and check the answer is a frame of `type` (the test fails otherwise). */
  async ask<T extends Frame["type"]>(frame: Outgoing, type: T, timeoutMs = 5000): Promise<FrameOf<T>> {
    return expectFrame(await this.request(frame, timeoutMs), type);
  }

  close(): void {
    try {
      this.ws.close(1000, "done");
    } catch {
      // already closed
    }
  }
}

/** Two sockets of one user (a fresh one unless given), both past their catch-up: the usual start of a sync test. */
export async function twoSyncedSockets(user = newUser()): Promise<{ user: string; a: Client; b: Client }> {
  const a = await Client.forUser(user);
  const b = await Client.forUser(user);
  await a.syncStart();
  await b.syncStart();
  return { user, a, b };
}

let counter = 0;
/** A mutation id unique in the test run. */
export function mid(): string {
  counter += 1;
  return `m-${counter}-${crypto.randomUUID()}`;
}

export function note(row_id: string, data: Outgoing = {}, op: "create" | "update" | "delete" = "create", base_rev?: string): Mutation {
  const m: Mutation = { mutation_id: mid(), model: "notes.Note", row_id, operation: op };
  if (op !== "delete") m.data = op === "create" ? { title: "t", body: "b", archived: false, ...data } : data;
  if (base_rev !== undefined) m.base_rev = base_rev;
  return m;
}

export function task(row_id: string, data: Outgoing = {}, op: "create" | "update" | "delete" = "create", base_rev?: string): Mutation {
  const m: Mutation = { mutation_id: mid(), model: "notes.Task", row_id, operation: op };
  if (op !== "delete") m.data = op === "create" ? { title: "t", done: false, ...data } : data;
  if (base_rev !== undefined) m.base_rev = base_rev;
  return m;
}

export const uuid = (): string => crypto.randomUUID();

/** `f`, checked to be a frame of `type` (the test fails otherwise), narrowed to it. */
export function expectFrame<T extends Frame["type"]>(f: Frame, type: T): FrameOf<T> {
  if (f.type !== type) throw new Error(`expected a ${type} frame, got ${JSON.stringify(f).slice(0, 500)}`);
  return f as FrameOf<T>;
}
