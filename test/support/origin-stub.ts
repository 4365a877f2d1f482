/**
 * A stub origin for tests (Node): an HTTP server on 127.0.0.1 that checks the relay's
 * signature the way Django does (recomputes HMAC-SHA256 with node:crypto over
 * `<timestamp>.<METHOD>.<path and query>.<body>`, constant-time compare, 300 s window) and
 * answers 401 on a bad one; otherwise it hands the request to the test's `handle`.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface StubRequest {
  method: string;
  /** Path and query exactly as received. */
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
  signatureOk: boolean;
}

export type StubHandler = (req: StubRequest, res: ServerResponse) => void | Promise<void>;

export interface OriginStub {
  url: string;
  requests: StubRequest[];
  /** Replace the handler for the following requests. */
  handle(handler: StubHandler): void;
  close(): Promise<void>;
}

/** Django's check, written independently of schemas/signature.ts so it cross-checks it. */
export function checkSignature(secret: string, req: Omit<StubRequest, "signatureOk">, nowS = Date.now() / 1000): boolean {
  const ts = header(req.headers, "x-djazzkit-timestamp");
  const nonce = header(req.headers, "x-djazzkit-nonce");
  const sig = header(req.headers, "x-djazzkit-signature");
  if (!ts || !sig || !nonce || !/^\d+$/.test(ts) || !/^[A-Za-z0-9_-]{16,64}$/.test(nonce) || Math.abs(nowS - Number(ts)) > 300) return false;
  const expected = "v2=" + createHmac("sha256", secret).update(`${ts}.${nonce}.${req.method}.${req.url}.${req.body}`, "utf8").digest("hex");
  const a = Buffer.from(expected);
  const b = Buffer.from(sig);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function header(headers: IncomingMessage["headers"], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export async function startOriginStub(secret: string, handler?: StubHandler): Promise<OriginStub> {
  let current: StubHandler = handler ?? ((_req, res) => sendJson(res, 404, { code: "not_found" }));
  const requests: StubRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const base = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      const stubReq: StubRequest = { ...base, signatureOk: checkSignature(secret, base) };
      requests.push(stubReq);
      if (!stubReq.signatureOk) return sendJson(res, 401, { code: "bad_signature", message: "signature refused" });
      Promise.resolve(current(stubReq, res)).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { message: String(err) });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(h) {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
