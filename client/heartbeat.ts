/**
 * Liveness of one socket: a `ping` every `intervalMs`; if neither the `pong` nor any other
 * frame arrives within `timeoutMs`, the socket is declared dead. A half-open TCP connection
 * (a laptop lid, a NAT dropping state) otherwise looks open forever.
 */
export class Heartbeat {
  #interval: ReturnType<typeof setInterval> | undefined;
  #deadline: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly sendPing: () => void,
    private readonly onDead: () => void,
  ) {}

  start(): void {
    this.stop();
    if (this.intervalMs <= 0) return;
    this.#interval = setInterval(() => {
      if (this.#deadline !== undefined) return; // still waiting for the previous pong
      this.#deadline = setTimeout(() => {
        this.#deadline = undefined;
        this.stop();
        this.onDead();
      }, this.timeoutMs);
      this.sendPing();
    }, this.intervalMs);
  }

  /** Any frame from the relay proves the socket alive. */
  alive(): void {
    if (this.#deadline !== undefined) clearTimeout(this.#deadline);
    this.#deadline = undefined;
  }

  stop(): void {
    this.alive();
    if (this.#interval !== undefined) clearInterval(this.#interval);
    this.#interval = undefined;
  }
}
