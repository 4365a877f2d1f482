/**
 * Shared by the fuzz and security suites (issue 5): what every answer must look like, what an
 * object holds (read straight from its SQLite), hostile values, and the "control socket" check
 * that proves an object survived a hostile socket undisturbed.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { z } from "zod";
import { expect } from "vitest";
import { ErrorCode } from "../../../schemas/errors.js";
import { RelayMessage } from "../../../schemas/protocol.js";
import { Client, task, uuid, type Frame } from "./object-client.js";

export const CODES: ReadonlySet<string> = new Set(ErrorCode.options);

export function userStub(user: string | null) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(user === null ? "anonymous" : `user:${user}`));
}

/** What an object holds, enough to see that nothing was written: counts and every winner. */
export interface ObjectSnapshot {
  rows: number;
  revisions: number;
  mutations: number;
  outbox: number;
  /** model/row_id/rev/deleted/conflicts/seq of every winner, in order. */
  winners: string;
}

export async function snapshot(user: string | null): Promise<ObjectSnapshot> {
  return runInDurableObject(userStub(user), (_obj, state) => {
    const sql = state.storage.sql;
    const tables = new Set(sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'table'`).toArray().map((r) => r.name));
    const count = (t: string) => (tables.has(t) ? Number(sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${t}`).one().n) : 0);
    const winners = tables.has("rows")
      ? sql
          .exec<{ w: string }>(`SELECT model || '/' || row_id || '/' || rev || '/' || deleted || '/' || conflicts || '/' || seq AS w FROM rows ORDER BY model, row_id`)
          .toArray()
          .map((r) => r.w)
          .join("\n")
      : "";
    return { rows: count("rows"), revisions: count("revisions"), mutations: count("mutations"), outbox: count("outbox"), winners };
  });
}

/** Object.prototype has no enumerable or polluted keys, here and inside the object's isolate. */
export async function expectPrototypeClean(user: string): Promise<void> {
  const probe = () =>
    Object.keys(Object.prototype).length === 0 &&
    ({} as Record<string, unknown>).polluted === undefined &&
    ({} as Record<string, unknown>).isAdmin === undefined &&
    typeof Object.prototype.toString === "function";
  expect(probe()).toBe(true);
  expect(await runInDurableObject(userStub(user), probe)).toBe(true);
}

/** Every frame the relay sends obeys the protocol schema (error codes are ErrorCode values). */
export function expectRelayFrame(frame: Frame): void {
  const parsed = RelayMessage.safeParse(frame);
  if (!parsed.success) throw new Error(`relay sent a frame outside the protocol: ${JSON.stringify(frame).slice(0, 500)}`);
}

/** No `error internal` (an uncaught exception inside the object) among these frames. */
export function expectNoInternal(frames: Frame[], input: unknown): void {
  const internal = frames.filter((f) => f.type === "error" && f.code === "internal");
  if (internal.length > 0) throw new Error(`internal error for input ${String(JSON.stringify(input)).slice(0, 500)}: ${JSON.stringify(internal)}`);
}

/** An HTTP answer: a normal 2xx, or a typed 4xx (or a documented 502 origin_unavailable). */
/** An HTTP answer's JSON object (a query result or a wire error): its fields are checked where read. */
export const HttpBody = z.record(z.string(), z.unknown());
export type HttpBody = z.infer<typeof HttpBody>;

export async function expectTypedHttp(res: Response, input: unknown, allowOriginUnavailable = false): Promise<{ status: number; body: HttpBody | null }> {
  const text = await res.text();
  let body: HttpBody | null = null;
  try {
    body = HttpBody.parse(JSON.parse(text));
  } catch {
    body = null;
  }
  const where = `input ${String(JSON.stringify(input)).slice(0, 300)} -> ${res.status} ${text.slice(0, 300)}`;
  if (res.status >= 200 && res.status < 300) return { status: res.status, body };
  if (body === null || typeof body.code !== "string" || !CODES.has(body.code) || typeof body.message !== "string") {
    throw new Error(`untyped error answer: ${where}`);
  }
  const documented502 = allowOriginUnavailable && res.status === 502 && body.code === "origin_unavailable";
  if (res.status >= 500 && !documented502) throw new Error(`5xx answer: ${where}`);
  if (res.status < 400 && !documented502) throw new Error(`unexpected status: ${where}`);
  return { status: res.status, body };
}

/**
 * Send one frame and collect what it causes on this socket: waits for the first frame (or the
 * close), then until `quietMs` pass with nothing new. Every input must get an answer.
 */
export async function exchange(c: Client, frame: string | ArrayBuffer, quietMs = 25, timeoutMs = 5000): Promise<Frame[]> {
  const start = c.frames.length;
  c.send(frame);
  const deadline = Date.now() + timeoutMs;
  while (c.frames.length === start && !c.closeEvent) {
    if (Date.now() > deadline) throw new Error(`no answer to ${typeof frame === "string" ? frame.slice(0, 300) : "<binary>"}`);
    await sleep(2);
  }
  for (let seen = -1; seen !== c.frames.length; ) {
    seen = c.frames.length;
    await sleep(quietMs);
  }
  c.clear();
  return c.frames.slice(start);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether what a frame caused is a refusal only (so it must have written nothing). */
export function refusedOnly(frames: Frame[]): boolean {
  return frames.every(
    (f) =>
      f.type === "error" ||
      f.type === "schema_mismatch" ||
      (f.type === "push_result" && f.results.every((r) => r.status === "rejected" || r.duplicate === true)),
  );
}

/**
 * The control socket of the same user, opened and live before the hostile traffic: it still
 * answers a ping and a push, and everything it received meanwhile was a legitimate broadcast
 * (a `changes` frame of rows the object really holds).
 */
export async function expectControlUndisturbed(control: Client, user: string): Promise<void> {
  const during = control.frames.slice();
  const held = (await snapshot(user)).winners;
  for (const f of during) {
    expectRelayFrame(f);
    if (f.type !== "changes") throw new Error(`control socket got a ${f.type} frame during hostile traffic`);
    for (const r of f.rows) expect(held).toContain(`${r.model}/${r.row_id}/`);
  }
  control.clear();
  const pong = await exchange(control, JSON.stringify({ type: "ping" }));
  expect(pong).toContainEqual({ type: "pong" });
  const row = uuid();
  const res = await control.push([task(row)]);
  expect(res.results[0]!.status).toBe("applied");
  await control.takeWhere("changes", (f) => f.rows.some((r) => r.row_id === row), 5000, "own broadcast");
}

// ---- hostile values ----------------------------------------------------------------------

/** Strings that have broken parsers, SQL and prototype handling elsewhere. */
export const HOSTILE_STRINGS = [
  "", " ", "__proto__", "constructor", "prototype", "toString", "hasOwnProperty",
  "NaN", "Infinity", "-Infinity", "-0", "1e308", "1e309", "0x10", "9007199254740993",
  "null", "undefined", "true", "[]", "{}",
  "\u0000", "\ud800", "\udfff", "\ud83d", "\uffff", "\u202e", "\ufeff", "a\u0000b",
  "' OR '1'='1", "\"; DROP TABLE rows; --", "') OR 1=1 --", "$.title", "$..*", "%", "_", "\\",
  "notes.Note", "notes.Note' --", "../../../etc/passwd", "<script>alert(1)</script>",
  "1-" + "0".repeat(32), "0-00000000000000000000000000000000", "9999999999-" + "f".repeat(32),
  "ffffffff:99999999999", "00000000-0000-0000-0000-000000000000",
];

export const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.integer({ min: 129, max: 300 }).map((n) => "x".repeat(n)),
  fc.constantFrom(10_000, 100_000, 500_000).map((n) => "y".repeat(n)),
);

export const hostileNumber = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 1e308, -1e308, 5e-324, Number.MAX_SAFE_INTEGER + 2, 2 ** 63, 0.1, 1.5),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Any JSON value, with hostile leaves. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("v"), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom("constructor", "prototype", "toString", "type", "request_id", "data"), fc.string({ maxLength: 8 })), tie("v"), { maxKeys: 4 }),
  ),
})).v;

/** JSON text nested `depth` levels deep, as `[[[...]]]` or `{"a":{"a":...}}`. */
export function deepJson(depth: number, kind: "array" | "object"): string {
  return kind === "array" ? "[".repeat(depth) + "]".repeat(depth) : '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
}

/** Inject a literal `__proto__` key into JSON text (JSON.stringify cannot produce one). */
export function withProtoKey(json: string, payload = '{"polluted":true}'): string {
  return json.replace(/^\{/, `{"__proto__":${payload},`);
}

/** Wrap a socket opened some other way (custom headers through the gate) in the test Client. */
export function adopt(res: Response): Client {
  if (res.status !== 101 || !res.webSocket) throw new Error(`expected an admitted socket, got ${res.status}`);
  res.webSocket.accept();
  // The constructor is private to keep tests on Client.open; the socket here is already open.
  return new (Client as unknown as new (ws: WebSocket) => Client)(res.webSocket);
}
