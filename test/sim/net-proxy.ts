/**
 * The controllable network between simulated clients and the relay: one WebSocket proxy on
 * 127.0.0.1 per run. A client connects to `ws://127.0.0.1:<port>/<link>/djazzkit/sync`; the
 * proxy opens the same path (minus `/<link>`) on the relay with the same subprotocols and
 * pipes frames both ways through that link's fault settings.
 *
 * Fault model (what a real network plus a real relay can do to this protocol):
 * - latency: every frame of a direction is delayed by a seeded random amount, in order (TCP
 *   never reorders or duplicates inside one connection, so neither do we in general);
 * - disconnect: both TCP connections are destroyed at once (the client sees 1006, the relay a
 *   dropped socket); frames still queued in the proxy are lost, as in a real cut;
 * - partition: while a link is `down`, new connections on it are cut during the handshake;
 * - frame-level faults only where the protocol claims tolerance (PROTOCOL 2.5, client README):
 *   a client->relay `push`/`resolve_conflict` frame may be dropped (the relay lost it; the SDK
 *   re-sends after `pushTimeoutMs`), duplicated (idempotent by mutation_id: `duplicate: true`)
 *   or swapped with the next client frame (pushes of different rows commute; the SDK never has
 *   two writes of one row in flight); a relay->client `push_result` may be dropped (the SDK
 *   re-sends, the relay answers `duplicate`) or duplicated (a late second answer is ignored).
 *   `changes`, `sync_ready` and the other frames are never dropped, duplicated or reordered:
 *   losing one inside a live connection is not something TCP can do, and the protocol's
 *   answer to a lost connection is the cursor-based catch-up that a disconnect exercises.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import WebSocket, { WebSocketServer, type RawData } from "ws";
import type { History } from "./history.js";
import type { Prng } from "./prng.js";

export interface LinkFaults {
  /** Per-frame latency range in ms, both directions. */
  delayMs: [number, number];
  dropPush: number;
  dupPush: number;
  swapPush: number;
  dropAck: number;
  dupAck: number;
}

export const CALM: LinkFaults = { delayMs: [0, 0], dropPush: 0, dupPush: 0, swapPush: 0, dropAck: 0, dupAck: 0 };

interface Pipe {
  down: WebSocket; // to the client
  up: WebSocket; // to the relay
  toUp: Lane;
  toDown: Lane;
  held: { data: string; timer: ReturnType<typeof setTimeout> } | null;
}

/**
 * One direction of one connection: FIFO delivery with latency. One timer at a time over an
 * explicit queue: separate timers per frame may fire out of order when their delays are
 * computed at different instants of one event-loop turn (Node schedules from a cached clock),
 * which would reorder frames inside a connection, something TCP never does.
 */
class Lane {
  #closed = false;
  readonly #queue: Array<{ data: string; at: number }> = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  constructor(private readonly target: WebSocket) {}

  deliver(data: string, delayMs: number): void {
    if (this.#closed) return;
    const last = this.#queue[this.#queue.length - 1];
    this.#queue.push({ data, at: Math.max(Date.now() + delayMs, last?.at ?? 0) });
    if (this.#timer === undefined) this.#arm();
  }

  #arm(): void {
    const head = this.#queue[0];
    if (head === undefined || this.#closed) return;
    this.#timer = setTimeout(() => this.#flush(), Math.max(0, head.at - Date.now()));
  }

  #flush(): void {
    this.#timer = undefined;
    const now = Date.now();
    while (!this.#closed && this.#queue.length > 0 && this.#queue[0]!.at <= now) {
      const { data } = this.#queue.shift()!;
      if (this.target.readyState === WebSocket.OPEN) this.target.send(data);
    }
    this.#arm();
  }

  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue.length = 0;
  }
}

export class Link {
  faults: LinkFaults = { ...CALM };
  /** While true, new connections are cut during the handshake (a partition). */
  down = false;
  readonly pipes = new Set<Pipe>();
  constructor(readonly name: string, readonly rng: Prng, readonly history: History | null) {}

  /** Cuts every open connection of this link now. */
  disconnect(): void {
    if (this.pipes.size) this.history?.add(this.name, "fault", { fault: "disconnect" });
    for (const p of [...this.pipes]) cut(p);
  }

  heal(): void {
    this.faults = { ...CALM };
    this.down = false;
  }

  delay(): number {
    const [lo, hi] = this.faults.delayMs;
    return hi <= 0 ? 0 : this.rng.int(lo, hi);
  }
}

function cut(p: Pipe): void {
  p.toUp.close();
  p.toDown.close();
  if (p.held) clearTimeout(p.held.timer);
  p.held = null;
  p.down.terminate();
  p.up.terminate();
}

export interface NetProxy {
  port: number;
  /** The URL a client of `link` connects to. */
  urlFor(link: string, path?: string): string;
  link(name: string, rng: Prng, history: History | null): Link;
  forget(name: string): void;
  close(): Promise<void>;
}

export async function startNetProxy(relayWsUrl: string): Promise<NetProxy> {
  const links = new Map<string, Link>();
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (offered) => (offered.has("djazzkit") ? "djazzkit" : false) });
  const server: Server = createServer((_req, res) => res.writeHead(404).end());
  const sockets = new Set<Duplex>();
  server.on("connection", (s) => { sockets.add(s); s.on("close", () => sockets.delete(s)); });

  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const m = /^\/([^/]+)(\/.*)$/.exec(req.url ?? "");
    const link = m ? links.get(m[1]!) : undefined;
    if (!m || !link || link.down) { socket.destroy(); return; }
    const protocols = String(req.headers["sec-websocket-protocol"] ?? "").split(",").map((s) => s.trim()).filter(Boolean);
    const up = new WebSocket(`${relayWsUrl}${m[2]}`, protocols, { handshakeTimeout: 5_000 });
    const fail = () => { socket.destroy(); up.terminate(); };
    up.once("error", fail);
    up.once("unexpected-response", fail);
    socket.once("error", () => up.terminate());
    up.once("open", () => {
      up.off("error", fail);
      if (socket.destroyed || link.down) { fail(); return; }
      wss.handleUpgrade(req, socket, head, (down) => pair(link, down, up));
    });
  });

  const pair = (link: Link, down: WebSocket, up: WebSocket) => {
    const p: Pipe = { down, up, toUp: new Lane(up), toDown: new Lane(down), held: null };
    link.pipes.add(p);
    const gone = () => { if (link.pipes.delete(p)) cut(p); };
    // The relay side may have closed while the client's handshake was completing (a restart):
    // its close event is gone, so check now, or the client would hang on a dead pipe.
    if (up.readyState !== WebSocket.OPEN || down.readyState !== WebSocket.OPEN) { gone(); return; }
    down.on("error", gone);
    up.on("error", gone);
    down.on("close", gone);
    up.on("close", gone);
    down.on("message", (raw: RawData) => fromClient(link, p, raw.toString()));
    up.on("message", (raw: RawData) => fromRelay(link, p, raw.toString()));
  };

  const fromClient = (link: Link, p: Pipe, data: string) => {
    const f = link.faults;
    const type = frameType(data);
    const release = () => {
      const held = p.held;
      if (!held) return;
      p.held = null;
      clearTimeout(held.timer);
      p.toUp.deliver(held.data, link.delay());
    };
    if (type === "push" || type === "resolve_conflict") {
      if (link.rng.chance(f.dropPush)) { link.history?.add(link.name, "fault", { fault: "drop_push", frame: brief(data) }); return; }
      if (!p.held && link.rng.chance(f.swapPush)) {
        link.history?.add(link.name, "fault", { fault: "swap_push", frame: brief(data) });
        p.held = { data, timer: setTimeout(release, 30) };
        return;
      }
      p.toUp.deliver(data, link.delay());
      if (link.rng.chance(f.dupPush)) { link.history?.add(link.name, "fault", { fault: "dup_push", frame: brief(data) }); p.toUp.deliver(data, link.delay()); }
      release();
      return;
    }
    p.toUp.deliver(data, link.delay());
    release();
  };

  const fromRelay = (link: Link, p: Pipe, data: string) => {
    const f = link.faults;
    if (frameType(data) === "push_result") {
      if (link.rng.chance(f.dropAck)) { link.history?.add(link.name, "fault", { fault: "drop_ack", frame: brief(data) }); return; }
      p.toDown.deliver(data, link.delay());
      if (link.rng.chance(f.dupAck)) { link.history?.add(link.name, "fault", { fault: "dup_ack", frame: brief(data) }); p.toDown.deliver(data, link.delay()); }
      return;
    }
    p.toDown.deliver(data, link.delay());
  };

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  return {
    port,
    urlFor: (link, path = "/djazzkit/sync") => `ws://127.0.0.1:${port}/${link}${path}`,
    link(name, rng, history) {
      const l = new Link(name, rng, history);
      links.set(name, l);
      return l;
    },
    forget(name) {
      links.get(name)?.disconnect();
      links.delete(name);
    },
    async close() {
      for (const l of links.values()) for (const p of [...l.pipes]) cut(p);
      links.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      wss.close();
    },
  };
}

function frameType(data: string): string | undefined {
  try {
    const t = (JSON.parse(data) as { type?: unknown }).type;
    return typeof t === "string" ? t : undefined;
  } catch {
    return undefined;
  }
}

function brief(data: string): string {
  const ids = [...data.matchAll(/"mutation_id"\s*:\s*"([^"]+)"/g)].map((x) => x[1]);
  return `${frameType(data)} ${ids.join(",")}`;
}
