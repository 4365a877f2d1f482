/**
 * A minimal WebSocket client for tests (Node 20 has no global WebSocket): opens a socket with a
 * bearer token (header or subprotocol), collects every JSON frame, and waits for frames that
 * match a predicate.
 */
import WebSocket from "ws";

export interface OpenOptions {
  /** Sent as `Authorization: Bearer <token>` unless `viaSubprotocol`. */
  token?: string;
  /** Offer `djazzkit, djazzkit.bearer.<token>` instead of the header (what browsers do). */
  viaSubprotocol?: boolean;
  headers?: Record<string, string>;
  /** Explicit subprotocol list (overrides the token subprotocols). */
  protocols?: string[];
  /** Sets the `Origin` header. */
  origin?: string;
  timeoutMs?: number;
}

export type Frame = Record<string, unknown> & { type?: string };

export class TestSocket {
  readonly frames: Frame[] = [];
  /** Frames that were not JSON (kept so a test can assert there were none). */
  readonly rawFrames: string[] = [];
  closeCode: number | null = null;
  closeReason = "";
  #waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on("message", (data, isBinary) => {
      const text = isBinary ? Buffer.from(data as Buffer).toString("utf8") : data.toString();
      try {
        this.frames.push(JSON.parse(text) as Frame);
      } catch {
        this.rawFrames.push(text);
      }
      this.#wake();
    });
    ws.on("close", (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      this.#wake();
    });
    ws.on("error", () => this.#wake());
  }

  /** The subprotocol the server selected ("" when none). */
  get protocol(): string {
    return this.ws.protocol;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /** Resolve with the first collected frame (from `from` on) matching `predicate`. */
  async waitFor(predicate: (f: Frame) => boolean, timeoutMs = 5_000, from = 0): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.frames.slice(from).find(predicate);
      if (hit) return hit;
      if (this.closeCode !== null) throw new Error(`socket closed (${this.closeCode} ${this.closeReason}) before the frame arrived; got ${this.#summary()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; got ${this.#summary()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Wait for a frame of `type` (optionally with `request_id`). */
  waitForType(type: string, opts: { requestId?: string; timeoutMs?: number } = {}): Promise<Frame> {
    return this.waitFor((f) => f.type === type && (opts.requestId === undefined || f.request_id === opts.requestId), opts.timeoutMs);
  }

  /** Send a request frame and wait for the answer carrying its `request_id`. */
  async request(frame: Frame & { request_id: string }, timeoutMs = 5_000): Promise<Frame> {
    const from = this.frames.length;
    this.send(frame);
    return this.waitFor((f) => f.request_id === frame.request_id, timeoutMs, from);
  }

  /** Wait until the socket is closed; resolves with the close code. */
  async closed(timeoutMs = 5_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (this.closeCode === null) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`socket still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closeCode;
  }

  close(code = 1000): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(code);
  }

  /** Drop the connection without a close handshake (a client vanishing). */
  terminate(): void {
    this.ws.terminate();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #summary(): string {
    return JSON.stringify(this.frames.slice(-5)).slice(0, 500);
  }
}

export class UpgradeRefused extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`WebSocket upgrade refused with HTTP ${status}: ${body.slice(0, 200)}`);
    this.name = "UpgradeRefused";
  }
}

/** Open a socket to `url` (e.g. `relay.wsUrl + "/djazzkit/sync"`); rejects with UpgradeRefused on a non-101. */
export function openSocket(url: string, opts: OpenOptions = {}): Promise<TestSocket> {
  const headers: Record<string, string> = { ...opts.headers };
  let protocols = opts.protocols;
  if (opts.token !== undefined) {
    if (opts.viaSubprotocol) protocols ??= ["djazzkit", `djazzkit.bearer.${opts.token}`];
    else headers.authorization = `Bearer ${opts.token}`;
  }
  const ws = new WebSocket(url, protocols ?? [], { headers, ...(opts.origin !== undefined ? { origin: opts.origin } : {}), handshakeTimeout: opts.timeoutMs ?? 10_000 });
  const socket = new TestSocket(ws);
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve(socket));
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString("utf8")));
      res.on("end", () => reject(new UpgradeRefused(res.statusCode ?? 0, body)));
      res.on("error", () => reject(new UpgradeRefused(res.statusCode ?? 0, body)));
    });
    ws.once("error", (err) => reject(err));
  });
}
