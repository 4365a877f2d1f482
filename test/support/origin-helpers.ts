/**
 * Helpers shared by the origin end-to-end tests (test/e2e/origin-*.test.ts): users with JWTs,
 * synced sockets, pushes, and reading Django's state through the sample's dump hook.
 */
import { randomUUID } from "node:crypto";
import { mintJwt } from "./jwt.js";
import { dump } from "./sample-hooks.js";
import type { Stack } from "./stack.js";
import { openSocket, type Frame, type TestSocket } from "./ws-client.js";

/** Relay settings that make the origin tests fast: short schema TTL / idle pull, quick retries. */
export const FAST_BINDINGS = {
  DJAZZKIT_SCHEMA_TTL_S: "2",
  DJAZZKIT_OUTBOX_BACKOFF_BASE_MS: "50",
  DJAZZKIT_OUTBOX_BACKOFF_MAX_MS: "400",
  // Coalescing stays on (writes within it share a drain) but short: the default 5 s would make
  // every second write of a test wait for its confirmation.
  DJAZZKIT_OUTBOX_MIN_INTERVAL_MS: "250",
  DJAZZKIT_RATE_LIMIT_PER_S: "10000",
  DJAZZKIT_RATE_LIMIT_BURST: "10000",
};

export async function schemaVersion(stack: Stack): Promise<string> {
  const res = await fetch(`${stack.django.url}/sample/health`);
  return ((await res.json()) as { schema_version: string }).schema_version;
}

let clientSeq = 0;

export interface Client {
  socket: TestSocket;
  clientId: string;
  cursor: string | null;
  next: number;
}

/** A socket for `userId`, synced (sync_start answered by sync_ready). */
export async function connect(stack: Stack, userId: string, opts: { since?: string | null; clientId?: string } = {}): Promise<Client> {
  const socket = await openSocket(stack.syncUrl, { token: await mintJwt(userId) });
  const clientId = opts.clientId ?? `c${process.pid}-${++clientSeq}`;
  const client: Client = { socket, clientId, cursor: null, next: 0 };
  await syncStart(stack, client, opts.since ?? null);
  return client;
}

export async function syncStart(stack: Stack, client: Client, since: string | null, timeoutMs = 15_000): Promise<Frame> {
  const from = client.socket.frames.length;
  const frame: Record<string, unknown> = { type: "sync_start", client_id: client.clientId, schema_version: await schemaVersion(stack) };
  if (since !== null) frame.since = since;
  client.socket.send(frame);
  const ready = await client.socket.waitFor((f) => f.type === "sync_ready" || f.type === "schema_mismatch", timeoutMs, from);
  if (ready.type !== "sync_ready") throw new Error(`sync_start answered ${JSON.stringify(ready)}`);
  client.cursor = ready.cursor as string;
  return ready;
}

export interface MutationInput {
  model: string;
  row_id: string;
  operation: "create" | "update" | "delete";
  base_rev?: string;
  data?: Record<string, unknown>;
}

/** Push mutations; resolves with the push_result's results. */
export async function push(client: Client, mutations: MutationInput[], timeoutMs = 10_000): Promise<Frame[]> {
  const withIds = mutations.map((m) => ({ mutation_id: `${client.clientId}:${++client.next}`, ...m }));
  const requestId = `p-${client.clientId}-${client.next}`;
  const answer = await client.socket.request({ type: "push", request_id: requestId, mutations: withIds }, timeoutMs);
  if (answer.type !== "push_result") throw new Error(`push answered ${JSON.stringify(answer)}`);
  return answer.results as Frame[];
}

export function newRowId(): string {
  return randomUUID();
}

/** The last `changes` row seen by a socket for a row id (its view of the winner). */
export function lastSeen(socket: TestSocket, rowId: string): Frame | undefined {
  let out: Frame | undefined;
  for (const f of socket.frames) {
    if (f.type !== "changes") continue;
    for (const r of f.rows as Frame[]) if (r.row_id === rowId) out = r;
  }
  return out;
}

/** Wait until a socket's last view of a row satisfies `pred`. */
export async function waitForRow(socket: TestSocket, rowId: string, pred: (row: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = lastSeen(socket, rowId);
    if (row !== undefined && pred(row)) return row;
    if (Date.now() > deadline) throw new Error(`row ${rowId} never matched; last seen ${JSON.stringify(row)}`);
    await sleep(50);
  }
}

export interface DumpRow {
  row_id: string;
  data: Record<string, unknown>;
  rev: string | null;
  conflicts: { rev: string; data: unknown }[];
}
export interface Dump {
  schema_version: string;
  models: Record<string, { rows: DumpRow[]; with_conflicts: string[] }>;
  applied_mutations: { mutation_id: string; status: string; code: string | null; rev: string | null }[];
}

export async function originState(stack: Stack, user?: string): Promise<Dump> {
  return (await dump(stack.django, user === undefined ? {} : { user })) as unknown as Dump;
}

export async function waitForOrigin(stack: Stack, pred: (d: Dump) => boolean, timeoutMs = 15_000, user?: string): Promise<Dump> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await originState(stack, user);
    if (pred(d)) return d;
    if (Date.now() > deadline) throw new Error(`origin never reached the expected state: ${JSON.stringify(d).slice(0, 1500)}`);
    await sleep(200);
  }
}

export function originRow(d: Dump, model: string, rowId: string): DumpRow | undefined {
  return d.models[model]?.rows.find((r) => r.row_id === rowId);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
