/**
 * A lean WebSocket client for the bench (issue 12): the relay's sync protocol and the ceiling
 * object's push frames, with request/answer matching by `request_id`. Lighter than the SDK on
 * purpose: the client shares the machine's two cores with the servers it measures.
 */
import WebSocket from "ws";

export type Frame = Record<string, unknown> & { type?: string };

export class BenchSocket {
  readonly ws: WebSocket;
  /** Called for every frame not claimed by a pending request (e.g. broadcast `changes`). */
  onFrame: (frame: Frame, receivedAt: number) => void = () => undefined;
  #pending = new Map<string, { resolve: (f: Frame) => void; reject: (e: Error) => void }>();
  #next = 0;
  #closed: Error | null = null;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data) => {
      const at = performance.now();
      const frame = JSON.parse(data.toString()) as Frame;
      const id = frame.request_id;
      if (typeof id === "string" && (frame.type === "push_result" || frame.type === "error" || frame.type === "query_result")) {
        const p = this.#pending.get(id);
        if (p) {
          this.#pending.delete(id);
          if (frame.type === "error") p.reject(new Error(`relay error ${String(frame.code)}: ${String(frame.message)}`));
          else p.resolve(frame);
          return;
        }
      }
      this.onFrame(frame, at);
    });
    ws.on("close", (code, reason) => this.#fail(new Error(`socket closed ${code} ${reason.toString()}`)));
    ws.on("error", (err) => this.#fail(err));
  }

  static open(url: string, token?: string): Promise<BenchSocket> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, ...(token ? { headers: { Authorization: `Bearer ${token}` } } : {}) });
      ws.once("open", () => resolve(new BenchSocket(ws)));
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    });
  }

  #fail(err: Error): void {
    if (this.#closed) return;
    this.#closed = err;
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }

  /** Send a frame with a fresh request_id and resolve with the answer carrying it. */
  request(frame: Frame): Promise<Frame> {
    if (this.#closed) return Promise.reject(this.#closed);
    const id = `r${++this.#next}`;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.ws.send(JSON.stringify({ ...frame, request_id: id }));
    });
  }

  /** `push` and wait for its `push_result`; throws when any mutation was rejected. */
  async push(mutations: unknown[]): Promise<Frame> {
    const res = await this.request({ type: "push", mutations });
    const bad = (res.results as Array<{ status: string; code?: string; message?: string }>).find((r) => r.status !== "applied");
    if (bad) throw new Error(`push rejected: ${bad.code} ${bad.message}`);
    return res;
  }

  /**
   * `sync_start` and wait for `sync_ready`, counting catch-up rows and frames on the way.
   * Afterwards the socket is live: broadcasts go to `onFrame`.
   */
  syncStart(schemaVersion: string, clientId: string): Promise<{ rows: number; frames: number; cursor: string }> {
    return new Promise((resolve, reject) => {
      let rows = 0;
      let frames = 0;
      const prev = this.onFrame;
      this.onFrame = (f) => {
        if (f.type === "changes") {
          rows += (f.rows as unknown[]).length;
          frames++;
        } else if (f.type === "sync_ready") {
          this.onFrame = prev;
          resolve({ rows, frames, cursor: String(f.cursor) });
        } else if (f.type === "error" || f.type === "schema_mismatch") {
          this.onFrame = prev;
          reject(new Error(`sync_start refused: ${JSON.stringify(f)}`));
        }
      };
      this.ws.send(JSON.stringify({ type: "sync_start", client_id: clientId, schema_version: schemaVersion }));
    });
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.ws.terminate();
        resolve();
      }, 2_000);
      this.ws.once("close", () => {
        clearTimeout(t);
        resolve();
      });
      this.ws.close(1000);
    });
  }
}

/** Run `total` jobs with at most `window` in flight; resolves when all are done (rejects on the first failure). */
export async function inFlight(total: number, window: number, job: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < total) await job(next++);
  };
  await Promise.all(Array.from({ length: Math.min(window, total) }, lane));
}
