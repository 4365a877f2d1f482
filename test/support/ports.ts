/** Loopback ports and readiness polling for Node-side test support. */
import { createServer } from "node:net";

/** A port that was free a moment ago on 127.0.0.1 (the OS picks it; tiny reuse race accepted). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Poll `url` until it answers (any HTTP status below 500 unless `accept` says otherwise).
 * `alive` is checked between attempts so a crashed child process fails fast with its output.
 */
export async function waitForHttp(
  url: string,
  opts: { timeoutMs: number; intervalMs?: number; accept?: (status: number) => boolean; alive?: () => string | null },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  const accept = opts.accept ?? ((s: number) => s < 500);
  let last = "no attempt yet";
  while (Date.now() < deadline) {
    const dead = opts.alive?.();
    if (dead) throw new Error(dead);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000), redirect: "manual" });
      await res.arrayBuffer().catch(() => undefined);
      if (accept(res.status)) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(opts.intervalMs ?? 100);
  }
  throw new Error(`${url} did not answer within ${opts.timeoutMs} ms (last: ${last})`);
}

/** Polls `what` until `ok` holds of its value (every 25 ms), then returns the value; throws with the last value after `ms`. */
export async function until<T>(what: () => Promise<T> | T, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await what();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
