/**
 * One logical connection over a succession of sockets: opens them through the injected
 * factory, watches them (connect timeout, heartbeat), and after a drop decides by close code
 * whether to reconnect with full-jitter backoff. It knows nothing of the protocol's meaning;
 * `RelayClient` receives raw frames and lifecycle calls through `ConnectionHooks`.
 *
 * Refusals (issue 13): with a token callback, the token is asked for before every socket; a
 * 4401 asks once more and retries at once, a second 4401 in a row waits for the app. Sockets
 * that close 1006 (or never open) before a single frame arrived are what a browser sees of a
 * relay it cannot reach *or* of a refused handshake; after `unreachableAfter` of them in a row
 * the hooks hear `unreachable`, while the backoff goes on.
 */
import type { ClientMessage } from "../schemas/protocol.js";
import { type BackoffOptions, fullJitterDelay } from "./backoff.js";
import { RelayClientError } from "./errors.js";
import { Heartbeat } from "./heartbeat.js";
import {
  ABNORMAL_CLOSE, CLIENT_CONNECT_TIMEOUT_CLOSE, CLIENT_HEARTBEAT_CLOSE, type ClosePolicy, closePolicy, type SocketFactory,
  subprotocolsFor, type WebSocketLike, WS_OPEN,
} from "./socket.js";
import { fetchToken, type TokenProvider } from "./token-source.js";
import { CloseCode } from "../schemas/errors.js";

export interface ConnectionOptions {
  url: string;
  socketFactory: SocketFactory;
  backoff: BackoffOptions;
  random: () => number;
  pingIntervalMs: number;
  pongTimeoutMs: number;
  connectTimeoutMs: number;
  /** Report `unreachable` after this many sockets in a row closed 1006 before any frame. */
  unreachableAfter: number;
}

export interface ConnectionHooks {
  opening(): void;
  opened(attempt: number): void;
  frame(data: unknown): void;
  /** The socket is gone; `policy` says whether a reconnection follows. */
  closed(code: number, reason: string, policy: ClosePolicy): void;
  reconnecting(attempt: number, delayMs: number): void;
  error(err: RelayClientError): void;
  /** `attempts` sockets in a row closed 1006 (or timed out) before any frame arrived. */
  unreachable(attempts: number): void;
}

export class Connection {
  /** The token of the next socket (from the option, `setToken`, or the callback's last answer). */
  token: string | undefined;
  /** The app's `getToken()`, when `token` was given as a callback. */
  readonly getToken: TokenProvider | undefined;
  #socket: WebSocketLike | undefined;
  /** Bumped by every open() and shutdown(), so a late token answer for an older open is dropped. */
  #generation = 0;
  #framesOnSocket = 0;
  /** Sockets in a row that closed 1006 / never opened before any frame. */
  #silentFailures = 0;
  /** 4401 closes in a row since the last accepted sync. */
  #unauthorizedInARow = 0;
  /** The app supplied a token with `supplyToken`: the next open uses it as is. */
  #supplied = false;
  #attempt = 0; // reconnections since the last successful sync: the backoff exponent
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #shutdown = false;
  readonly #heartbeat: Heartbeat;

  constructor(
    private readonly o: ConnectionOptions,
    private readonly hooks: ConnectionHooks,
    token: string | TokenProvider | undefined,
  ) {
    if (typeof token === "function") this.getToken = token;
    else this.token = token;
    this.#heartbeat = new Heartbeat(o.pingIntervalMs, o.pongTimeoutMs,
      () => this.send({ type: "ping" }), () => this.#abandon(CLIENT_HEARTBEAT_CLOSE, "heartbeat timeout"));
  }

  get isOpen(): boolean {
    return this.#socket?.readyState === WS_OPEN;
  }

  /** A token from the app (`setToken`): used for the next socket without asking `getToken()`. */
  supplyToken(token: string): void {
    this.token = token;
    this.#supplied = true;
  }

  /** Called when a sync completed as the intended identity: the next drop starts from scratch. */
  resetBackoff(): void {
    this.#attempt = 0;
    this.#unauthorizedInARow = 0;
  }

  /**
   * The relay accepted the socket but not its credential (admitted anonymously, issue 8): closed
   * here and handled exactly like a 4401 from the relay.
   */
  credentialRefused(reason: string): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    detachAndClose(socket, 1000, "credential refused");
    this.#closed(CloseCode.unauthenticated, reason);
  }

  /** Opens a socket now (cancelling a scheduled reconnection), asking `getToken()` first. */
  open(): void {
    if (this.#shutdown) return;
    this.#stopTimers();
    const previous = this.#socket;
    this.#socket = undefined;
    if (previous) detachAndClose(previous, 1000, "reconnecting");
    const generation = ++this.#generation;
    this.hooks.opening();
    if (this.getToken === undefined || this.#supplied) {
      this.#supplied = false;
      this.#openSocket();
      return;
    }
    let pending: Promise<string | undefined>;
    try {
      pending = fetchToken(this.getToken);
    } catch (err) {
      pending = Promise.reject(err);
    }
    pending.then(
      (token) => {
        if (generation !== this.#generation || this.#shutdown) return;
        this.token = token;
        this.#openSocket();
      },
      (err: unknown) => {
        if (generation !== this.#generation || this.#shutdown) return;
        // The app could not produce a token (its session endpoint is down?): transient, retried with backoff.
        this.hooks.error(new RelayClientError("auth_required", `getToken() failed: ${String(err)}`));
        this.#scheduleRetry();
      },
    );
  }

  #openSocket(): void {
    this.#framesOnSocket = 0;
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
      this.#framesOnSocket++;
      this.#silentFailures = 0;
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
    this.#generation++;
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
    const silent = this.#framesOnSocket === 0 && (code === ABNORMAL_CLOSE || code === CLIENT_CONNECT_TIMEOUT_CLOSE);
    this.#silentFailures = silent ? this.#silentFailures + 1 : 0;
    this.#unauthorizedInARow = code === CloseCode.unauthenticated ? this.#unauthorizedInARow + 1 : 0;
    const policy = closePolicy(code, { canRefreshToken: this.getToken !== undefined, unauthorizedInARow: this.#unauthorizedInARow });
    const generation = this.#generation;
    this.hooks.closed(code, reason, policy);
    if (silent && this.#silentFailures === this.o.unreachableAfter) this.hooks.unreachable(this.#silentFailures);
    // A listener may have closed the client or reconnected by hand meanwhile.
    if (this.#shutdown || this.#socket !== undefined || generation !== this.#generation) return;
    if (policy === "refresh_token") this.open(); // one immediate retry with a fresh getToken()
    else if (policy === "retry") this.#scheduleRetry();
  }

  #scheduleRetry(): void {
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
