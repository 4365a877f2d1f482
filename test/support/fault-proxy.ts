/**
 * A reverse proxy on 127.0.0.1 between the relay and Django whose behaviour tests switch at
 * run time to simulate origin faults: `pass`, `refuse` (nothing listens: connection refused),
 * `reset` (connection accepted then destroyed), `500`, `slow` (delay, then pass), `timeout`
 * (never answer). A fault may be limited to matching paths and to its first N requests.
 * Counts every request per path and keeps a log.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { freePort } from "./ports.js";

export type FaultMode = "pass" | "refuse" | "reset" | "500" | "slow" | "timeout";

export interface FaultSetting {
  mode: FaultMode;
  /** `slow`: milliseconds before the request is forwarded. */
  delayMs?: number;
  /** Only requests whose path (without query) matches fault; others pass. */
  match?: string | RegExp;
  /** Fault only this many matching requests, then go back to `pass`. */
  times?: number;
}

export interface ProxyLogEntry {
  method: string;
  path: string;
  mode: FaultMode;
  status: number | null;
  atMs: number;
}

export interface FaultProxy {
  url: string;
  port: number;
  setMode(setting: FaultMode | FaultSetting): Promise<void>;
  readonly mode: FaultMode;
  /** Requests seen per path (without query), whatever their fate. */
  counts(): Record<string, number>;
  count(path: string | RegExp): number;
  log: ProxyLogEntry[];
  reset(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(target: string, opts: { port?: number } = {}): Promise<FaultProxy> {
  const targetUrl = new URL(target);
  const port = opts.port ?? (await freePort());
  let setting: FaultSetting = { mode: "pass" };
  let faultsLeft = Infinity;
  const counters = new Map<string, number>();
  const log: ProxyLogEntry[] = [];
  const sockets = new Set<Socket>();
  const held = new Set<ServerResponse>();
  let server: Server | null = null;

  const matches = (path: string) =>
    setting.match === undefined || (typeof setting.match === "string" ? path.startsWith(setting.match) : setting.match.test(path));

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? "/").split("?")[0]!;
    counters.set(path, (counters.get(path) ?? 0) + 1);
    let mode: FaultMode = "pass";
    if (setting.mode !== "pass" && matches(path) && faultsLeft > 0) {
      mode = setting.mode;
      faultsLeft -= 1;
      if (faultsLeft === 0) setting = { mode: "pass" };
    }
    const entry: ProxyLogEntry = { method: req.method ?? "GET", path, mode, status: null, atMs: Date.now() };
    log.push(entry);
    switch (mode) {
      case "reset":
        req.socket.destroy();
        return;
      case "500":
        req.resume();
        entry.status = 500;
        res.writeHead(500, { "content-type": "application/json" }).end('{"message":"fault proxy: injected 500"}');
        return;
      case "timeout":
        req.resume();
        held.add(res);
        res.on("close", () => held.delete(res));
        return;
      case "slow":
        setTimeout(() => forward(req, res, entry), setting.delayMs ?? 1_000);
        return;
      default:
        forward(req, res, entry);
    }
  };

  const forward = (req: IncomingMessage, res: ServerResponse, entry: ProxyLogEntry) => {
    if (res.destroyed) return;
    const headers = { ...req.headers, host: targetUrl.host };
    const upstream = httpRequest(
      { hostname: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers },
      (up) => {
        entry.status = up.statusCode ?? null;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", (err) => {
      entry.status = 502;
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ message: `fault proxy: upstream failed: ${err.message}` }));
    });
    req.pipe(upstream);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(handler);
      s.on("connection", (sock) => {
        sockets.add(sock);
        sock.on("close", () => sockets.delete(sock));
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        server = s;
        resolve();
      });
    });

  const unlisten = async () => {
    const s = server;
    if (!s) return;
    server = null;
    for (const res of held) res.destroy();
    for (const sock of sockets) sock.destroy();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    get mode() {
      return setting.mode;
    },
    async setMode(next) {
      const s = typeof next === "string" ? { mode: next } : next;
      setting = s;
      faultsLeft = s.times ?? Infinity;
      // Leaving `timeout` lets held requests fail now, as a real origin restart would.
      for (const res of held) res.destroy();
      if (s.mode === "refuse") await unlisten();
      else if (!server) await listen();
    },
    counts: () => Object.fromEntries(counters),
    count(path) {
      let n = 0;
      for (const [p, c] of counters) if (typeof path === "string" ? p === path : path.test(p)) n += c;
      return n;
    },
    reset() {
      counters.clear();
      log.length = 0;
    },
    close: unlisten,
  };
}
