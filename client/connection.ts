/**
 * One logical connection over a succession of sockets: opens them through the injected
 * factory, watches them (connect timeout, heartbeat), and after a drop decides by close code
 * whether to reconnect with full-jitter backoff. It knows nothing of the protocol's meaning;
 * `RelayClient` receives raw frames and lifecycle calls through `ConnectionHooks`.
 */
import type { ClientMessage } from "../schemas/protocol.js";
import { type BackoffOptions, fullJitterDelay } from "./backoff.js";
import { RelayClientError } from "./errors.js";
import { Heartbeat } from "./heartbeat.js";
import {
  CLIENT_CONNECT_TIMEOUT_CLOSE, CLIENT_HEARTBEAT_CLOSE, type ClosePolicy, closePolicy, type SocketFactory,
  subprotocolsFor, type WebSocketLike, WS_OPEN,
} from "./socket.js";

export interface ConnectionOptions {
  url: string;
  socketFactory: SocketFactory;
  backoff: BackoffOptions;
  random: () => number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface ConnectionHooks {
  opening(): void;
  opened(attempt: number): void;
  frame(data: unknown): void;
  /** The socket is gone; `policy` says whether a reconnection follows. */
  closed(code: number, reason: string, policy: ClosePolicy): void;
  reconnecting(attempt: number, delayMs: number): void;
  error(err: RelayClientError): void;
}

export class Connection {
  token: string | undefined;
  #socket: WebSocketLike | undefined;
  #attempt = 0; // reconnections since the last successful sync: the backoff exponent
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #shutdown = false;
  readonly #heartbeat: Heartbeat;

  constructor(
    private readonly o: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
    token: string | undefined,
  ) {
    this.token = token;
    this.#heartbeat = new Heartbeat(o.pingIntervalMs, o.pongTimeoutMs,
      () => this.send({ type: "ping" }), () => this.#abandon(CLIENT_HEARTBEAT_CLOSE, "heartbeat timeout"));
  }

  get isOpen(): boolean {
    return this.#socket?.readyState === WS_OPEN;
  }

  /** Called when a sync completed: the next drop starts the backoff from scratch. */
  resetBackoff(): void {
    this.#attempt = 0;
  }

  /** Opens a socket now (cancelling a scheduled reconnection). */
  open(): void {
    if (this.#shutdown) return;
    this.#stopTimers();
    const previous = this.#socket;
    this.#socket = undefined;
    if (previous) detachAndClose(previous, 1000, "reconnecting");
    this.hooks.opening();
    let socket: WebSocketLike;
    try {
      socket = this.o.socketFactory(this.o.url, subprotocolsFor(this.token));
    } catch (err) {
      this.hooks.error(new RelayClientError("disconnected", `socket factory failed: ${String(err)}`));
      this.#closed(1006, "socket factory failed");
      return;
    }
    this.#socket = socket;
    socket.onopen = () => { if (this.#socket === socket) this.#opened(); };
    socket.onmessage = (event) => {
      if (this.#socket !== socket) return;
      this.#heartbeat.alive(); // any frame proves the socket alive
      this.hooks.frame(event.data);
    };
    socket.onclose = (event) => { if (this.#socket === socket) this.#closed(event.code, event.reason); };
    socket.onerror = () => { if (this.#socket === socket) this.hooks.error(new RelayClientError("disconnected", "socket error")); };
    this.#connectTimer = setTimeout(() => this.#abandon(CLIENT_CONNECT_TIMEOUT_CLOSE, "connect timeout"), this.o.connectTimeoutMs);
  }

  send(frame: ClientMessage): boolean {
    const socket = this.#socket;
    if (!socket || socket.readyState !== WS_OPEN) return false;
    socket.send(JSON.stringify(frame));
    return true;
  }

  /** Stops for good: no timers remain; resolves once the socket finished closing (<= 1 s). */
  shutdown(): Promise<void> {
    this.#shutdown = true;
    this.#stopTimers();
    const socket = this.#socket;
    this.#socket = undefined;
    if (!socket || socket.readyState > WS_OPEN) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000); // never wait on a peer that ignores the close
      socket.onopen = socket.onmessage = null;
      socket.onerror = () => {}; // `ws` throws on an unhandled error event
      socket.onclose = () => { clearTimeout(timer); resolve(); };
      try { socket.close(1000, "client closed"); } catch { clearTimeout(timer); resolve(); }
    });
  }

  #opened(): void {
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#heartbeat.start();
    this.hooks.opened(this.#attempt);
  }

  /** Gives up on a socket that looks open but is not (no pong, no handshake): treated as closed. */
  #abandon(code: number, reason: string): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    detachAndClose(socket, code, reason);
    this.#closed(code, reason);
  }

  #closed(code: number, reason: string): void {
    this.#socket = undefined;
    this.#stopTimers();
    const policy = closePolicy(code);
    this.hooks.closed(code, reason, policy);
    // A listener may have closed the client or reconnected by hand meanwhile.
    if (policy !== "retry" || this.#shutdown || this.#socket !== undefined) return;
    const delayMs = fullJitterDelay(this.#attempt, this.o.backoff, this.o.random);
    this.hooks.reconnecting(this.#attempt, delayMs);
    this.#attempt++;
    this.#reconnectTimer = setTimeout(() => { this.#reconnectTimer = undefined; this.open(); }, delayMs);
  }

  #stopTimers(): void {
    this.#heartbeat.stop();
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer);
    if (this.#connectTimer !== undefined) clearTimeout(this.#connectTimer);
    this.#reconnectTimer = this.#connectTimer = undefined;
  }
}

/** Closes a socket we no longer listen to; its late events can no longer reach the client. */
function detachAndClose(socket: WebSocketLike, code: number, reason: string): void {
  socket.onopen = socket.onmessage = socket.onclose = null;
  socket.onerror = () => {}; // `ws` throws on an error event nobody listens to
  try { socket.close(code, reason); } catch { /* already closing */ }
}
