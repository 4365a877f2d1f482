/**
 * Helpers for the gate tests: call the Worker's default export with per-test settings, mint
 * RS256 tokens with the key served by global-setup's JWKS (HS256: ../jwt.ts), hand-build
 * `alg: none` ones, build upgrade requests, and read the origin stand-in's counters.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { importJWK } from "jose";
import { expect, inject } from "vitest";
import worker from "../../../worker/index.js";
import type { Env } from "../../../worker/env.js";
import { type MintOptions } from "../jwt.js";
import { mintJwt } from "../jwt.js";

export const RELAY = "https://relay.test";

export const originUrl = (): string => inject("gateOriginUrl");
export const jwksUrl = (): string => `${originUrl()}/jwks.json`;

export type Overrides = Partial<Record<Exclude<keyof Env, "USER_OBJECT">, string>>;

/** The Worker, as the runtime would call it, with `overrides` on top of the test bindings. */
export async function gate(request: Request, overrides: Overrides = {}, bindings: Partial<Env> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(request, { ...env, ...overrides, ...bindings }, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

export interface SocketOptions {
  origin?: string;
  bearer?: string;
  protocols?: string[];
  cookie?: string;
  headers?: Record<string, string>;
}

/** A WebSocket upgrade request for /djazzkit/sync. */
export function socketRequest(opts: SocketOptions = {}): Request {
  const headers = new Headers({ Upgrade: "websocket", Connection: "Upgrade", ...opts.headers });
  if (opts.origin !== undefined) headers.set("Origin", opts.origin);
  if (opts.bearer !== undefined) headers.set("Authorization", `Bearer ${opts.bearer}`);
  if (opts.protocols !== undefined) headers.set("Sec-WebSocket-Protocol", opts.protocols.join(", "));
  if (opts.cookie !== undefined) headers.set("Cookie", opts.cookie);
  return new Request(`${RELAY}/djazzkit/sync`, { headers });
}

export function postJson(path: string, body: unknown, headers: Record<string, string> = {}): Request {
  return new Request(`${RELAY}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

/** RS256 with the key whose public half global-setup serves at jwksUrl() (the key for mintJwt). */
export async function mintRs256(sub: string | null, opts: MintOptions = {}): Promise<string> {
  const jwk = inject("gateRsaPrivateJwk");
  return mintJwt(sub, { ...opts, alg: "RS256", key: await importJWK(jwk, "RS256"), kid: jwk.kid! });
}

const b64url = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

/** An unsecured token (`alg: none`), as an attacker would send it, with an otherwise valid payload. */
export function unsignedToken(sub: string): string {
  const now = Math.floor(Date.now() / 1000);
  return `${b64url({ alg: "none", typ: "JWT" })}.${b64url({ sub, iat: now, exp: now + 3600 })}.`;
}

/** Change the first character of the signature (the last one may only hold padding bits). */
export function tamper(token: string): string {
  const [header, payload, sig] = token.split(".") as [string, string, string];
  return `${header}.${payload}.${sig[0] === "A" ? "B" : "A"}${sig.slice(1)}`;
}

export interface OriginStats {
  auth_calls: number;
  bad_signatures: number;
}

export async function originStats(): Promise<OriginStats> {
  const res = await fetch(`${originUrl()}/stats`);
  return (await res.json()) as OriginStats;
}

export async function errorBody(res: Response): Promise<{ code: string; message: string }> {
  expect(res.headers.get("Content-Type") ?? "").toContain("application/json");
  return (await res.json()) as { code: string; message: string };
}

/** Assert a socket was admitted (101 with a WebSocket), accept our end and close it. */
export function expectAdmitted(res: Response): WebSocket {
  expect(res.status).toBe(101);
  const ws = res.webSocket;
  expect(ws).toBeTruthy();
  ws!.accept();
  return ws!;
}

/** Send a frame and wait for the next text frame. */
export function roundTrip(ws: WebSocket, frame: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no answer within timeout")), timeoutMs);
    ws.addEventListener("message", (event) => {
      clearTimeout(timer);
      resolve(typeof event.data === "string" ? event.data : "<binary>");
    }, { once: true });
    ws.send(frame);
  });
}

export interface RecordedCall {
  object: string;
  method: "runQuery" | "callRpc" | "poke" | "fetch";
  args: unknown[];
}

/**
 * A stand-in for the USER_OBJECT namespace that records which object was asked for what, and
 * answers like the real object would. Lets a test see exactly what the gate hands over.
 */
export function recordingNamespace(answers: { query?: unknown; rpc?: unknown; pokeFails?: string[] } = {}) {
  const calls: RecordedCall[] = [];
  const namespace = {
    idFromName: (name: string) => ({ name, toString: () => name }),
    get: (id: { name: string }) => ({
      runQuery: async (...args: unknown[]) => {
        calls.push({ object: id.name, method: "runQuery", args });
        return answers.query ?? { ok: true, rows: [] };
      },
      callRpc: async (...args: unknown[]) => {
        calls.push({ object: id.name, method: "callRpc", args });
        return answers.rpc ?? { ok: true, result: null };
      },
      poke: async () => {
        calls.push({ object: id.name, method: "poke", args: [] });
        if (answers.pokeFails?.includes(id.name)) throw new Error("object unavailable");
      },
      fetch: async (req: Request) => {
        calls.push({ object: id.name, method: "fetch", args: [req] });
        return new Response("fake object", { status: 200 });
      },
    }),
  };
  return { calls, bindings: { USER_OBJECT: namespace as unknown as Env["USER_OBJECT"] } };
}

export interface Refusal {
  /** `socket`: the in-band answer browsers can read (101, one error frame, close); `http`: a plain status. */
  via: "socket" | "http";
  code: string;
  /** The HTTP status, or for an in-band refusal the status its code has over HTTP (401, 403, 502). */
  status: number;
  close?: { code: number; reason: string };
  /** Frames received before the close (in-band only). */
  frames?: unknown[];
}

/**
 * Reads a refused upgrade either way it can come: as an HTTP status with a JSON body, or in-band
 * (issue 13: 101, exactly one `error` frame, then a close). Fails on an admitted socket.
 */
export async function readRefusal(res: Response, timeoutMs = 5000): Promise<Refusal> {
  if (res.status !== 101) {
    const body = await errorBody(res);
    return { via: "http", code: body.code, status: res.status };
  }
  const ws = res.webSocket;
  expect(ws).toBeTruthy();
  const frames: unknown[] = [];
  const close = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("an in-band refusal did not close in time")), timeoutMs);
    ws!.addEventListener("message", (e) => { frames.push(JSON.parse(String(e.data))); });
    ws!.addEventListener("close", (e) => {
      clearTimeout(timer);
      resolve({ code: e.code, reason: e.reason });
    });
    ws!.accept();
  });
  expect(frames, "an in-band refusal sends exactly one error frame").toHaveLength(1);
  const frame = frames[0] as { type: string; code: string };
  expect(frame.type).toBe("error");
  const statusOf: Record<number, number> = { 4401: 401, 4403: 403, 1013: 502 };
  return { via: "socket", code: frame.code, status: statusOf[close.code] ?? close.code, close, frames };
}
