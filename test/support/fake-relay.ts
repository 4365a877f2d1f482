/**
 * A protocol-level fake of the relay for unit-testing the client SDK: a real `ws` server on
 * 127.0.0.1:0 whose behaviour each test scripts frame by frame. It checks nothing about rows;
 * the real relay is exercised by the end-to-end suites.
 */
import type { IncomingMessage } from "node:http";
import { afterEach, beforeEach } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { RelayClient } from "../../client/index.js";
import type { RelayClientOptions, WebSocketLike } from "../../client/index.js";

export type Frame = Record<string, unknown> & { type: string };

export class FakeConnection {
  readonly frames: Frame[] = [];
  closed: { code: number; reason: string } | null = null;
  #waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket, readonly request: IncomingMessage) {
    ws.on("message", (data) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.#wake();
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.#wake();
    });
  }

  /** Subprotocols the client offered. */
  get offered(): string[] {
    const header = this.request.headers["sec-websocket-protocol"];
    return header ? header.split(",").map((p) => p.trim()) : [];
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  close(code: number, reason = ""): void {
    this.ws.close(code, reason);
  }

  /** Cuts the TCP connection without a closing handshake (the client sees 1006). */
  drop(): void {
    this.ws.terminate();
  }

  ofType(type: string): Frame[] {
    return this.frames.filter((f) => f.type === type);
  }

  /** Waits until `count` frames of `type` were received; returns them. */
  async waitForType(type: string, count = 1, timeoutMs = 3_000): Promise<Frame[]> {
    await this.until(() => this.ofType(type).length >= count, timeoutMs, `${count} ${type} frame(s)`);
    return this.ofType(type);
  }

  /** Waits until `check` holds, re-checking on every frame and every 5 ms (for client state). */
  async until(check: () => boolean, timeoutMs = 3_000, what = "condition"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 5));
        this.#waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}

export class FakeRelay {
  readonly connections: FakeConnection[] = [];
  /** Runs for each new connection before any frame (e.g. to close it at once). */
  onConnection: ((conn: FakeConnection) => void) | undefined;
  /** Answer `ping` with `pong` (on by default). */
  answerPings = true;
  #waiters: Array<() => void> = [];

  private constructor(readonly server: WebSocketServer, readonly url: string) {
    server.on("connection", (ws, request) => {
      const conn = new FakeConnection(ws, request);
      ws.on("message", (data) => {
        if (this.answerPings && JSON.parse(data.toString()).type === "ping") ws.send(JSON.stringify({ type: "pong" }));
      });
      this.connections.push(conn);
      this.onConnection?.(conn);
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const wake of waiters) wake();
    });
  }

  static async start(): Promise<FakeRelay> {
    const server = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      // What the Worker does: answer `djazzkit` to a client that offered it.
      handleProtocols: (protocols) => (protocols.has("djazzkit") ? "djazzkit" : false),
    });
    await new Promise<void>((resolve) => server.once("listening", () => resolve()));
    const address = server.address();
    if (typeof address === "string" || address === null) throw new Error("no port");
    return new FakeRelay(server, `ws://127.0.0.1:${address.port}/djazzkit/sync`);
  }

  /** Waits for the `n`-th connection (1-based). */
  async connection(n = this.connections.length + 1, timeoutMs = 3_000): Promise<FakeConnection> {
    const deadline = Date.now() + timeoutMs;
    while (this.connections.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for connection #${n} (have ${this.connections.length})`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
    return this.connections[n - 1]!;
  }

  async stop(): Promise<void> {
    for (const client of this.server.clients) client.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export const nodeSocketFactory = (url: string, protocols: string[]): WebSocketLike =>
  new WebSocket(url, protocols) as unknown as WebSocketLike;

export function makeClient(relay: FakeRelay, options: Partial<RelayClientOptions> = {}): RelayClient {
  return new RelayClient({
    url: relay.url,
    clientId: "c1",
    schemaVersion: "0123456789abcdef",
    socketFactory: nodeSocketFactory,
    backoff: { baseMs: 10, maxMs: 50 },
    ...options,
  });
}

/**
 * The set-up every client test file shares: a fresh FakeRelay before each test (in `relay`,
 * which a test may replace), and after it every client made through `client()` closed and
 * the relay stopped. Call once at the top of a test file.
 */
export function useFakeRelay() {
  let clients: RelayClient[] = [];
  const fake = {
    relay: undefined as unknown as FakeRelay,
    client(opts: Partial<RelayClientOptions> = {}): RelayClient {
      const c = makeClient(fake.relay, opts);
      clients.push(c);
      return c;
    },
  };
  beforeEach(async () => {
    fake.relay = await FakeRelay.start();
  });
  afterEach(async () => {
    await Promise.all(clients.map((c) => c.close()));
    clients = [];
    await fake.relay.stop();
  });
  return fake;
}

export const EPOCH = "e0";
export const cursor = (seq: number) => `${EPOCH}:${seq}`;
export const rev = (gen: number, fill = "a") => `${gen}-${fill.repeat(32)}`;

/** Opens a client against the fake and completes the handshake with an empty catch-up. */
export async function connectReady(relay: FakeRelay, client: RelayClient, seq = 0): Promise<FakeConnection> {
  const done = client.connect();
  const conn = await relay.connection();
  await conn.waitForType("sync_start");
  conn.send({ type: "sync_ready", cursor: cursor(seq), server_schema_version: "0123456789abcdef" });
  await done;
  return conn;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Records the timers that code under `client/` creates and that are neither cleared nor
 * (for timeouts) fired. Counting Node's active resources instead would also see the test
 * runner's and `ws`'s own timers.
 */
export function trackClientTimers(marker = "/client/") {
  const live = new Map<unknown, string>();
  const real = { setTimeout, setInterval, clearTimeout, clearInterval };
  const fromClient = () => {
    const stack = new Error().stack ?? "";
    return stack.split("\n").slice(2).some((line) => line.includes(marker)) ? stack : undefined;
  };
  const g = globalThis as unknown as Record<string, unknown>;
  g.setTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const stack = fromClient();
    const handle: unknown = real.setTimeout(() => { live.delete(handle); fn(...args); }, ms);
    if (stack) live.set(handle, stack);
    return handle;
  };
  g.setInterval = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const stack = fromClient();
    const handle: unknown = real.setInterval(fn, ms, ...args);
    if (stack) live.set(handle, stack);
    return handle;
  };
  g.clearTimeout = (h: Parameters<typeof clearTimeout>[0]) => { live.delete(h); real.clearTimeout(h); };
  g.clearInterval = (h: Parameters<typeof clearInterval>[0]) => { live.delete(h); real.clearInterval(h); };
  return {
    /** Creation stacks of the client's timers still pending. */
    pending: () => [...live.values()],
    restore: () => Object.assign(globalThis, real),
  };
}
