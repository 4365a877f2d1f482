/**
 * The shared environment of a simulation run: one stack (sample Django <- fault proxy <- relay
 * under Miniflare) and one network proxy reused across seeds, a pool of fresh Django users
 * (each seed takes its own, so seeds never see each other's rows), and the mode the relay
 * actually runs in, detected rather than assumed: "origin" once accepted writes reach Django's
 * applied_mutations, else "standalone" (the origin checks then stay off).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import WebSocket from "ws";
import { RelayClient, type StoredRow, type WebSocketLike } from "../../client/index.js";
import { REPO_ROOT } from "../support/bundle.js";
import { mintJwt } from "../support/jwt.js";
import { sleep } from "../support/ports.js";
import { dump } from "../support/sample-hooks.js";
import { startStack, type Stack } from "../support/stack.js";
import type { AppliedMutation, OriginRow } from "./checker.js";
import { startNetProxy, type NetProxy } from "./net-proxy.js";

export interface SimEnv {
  stack: Stack;
  net: NetProxy;
  schemaVersion: string;
  originMode: boolean;
  /** Takes `n` user ids no seed has used. */
  takeUsers(n: number): Promise<string[]>;
  /** The object's state for a user, from a fresh socket's full catch-up (no cursor). */
  catchUp(userId: string): Promise<StoredRow[]>;
  /** The origin's rows per model and its applied mutations, for the given users. */
  originState(userIds: string[]): Promise<{ rows: Map<string, Record<string, OriginRow[]>>; applied: AppliedMutation[] }>;
  stop(): Promise<void>;
}

export interface SimEnvOptions {
  log?: (line: string) => void;
  usersHint?: number;
  /** Run the relay without DJAZZKIT_ORIGIN_URL (Django still runs: users, dumps). */
  standalone?: boolean;
}

export async function startSimEnv(opts: SimEnvOptions = {}): Promise<SimEnv> {
  const log = opts.log ?? (() => {});
  const t0 = Date.now();
  const stack = await startStack({
    // A short outbox backoff: after an origin outage the drain resumes within ~2 s, so a seed
    // reaches quiescence inside its budget (the backoff law itself is unit-tested).
    // Small outbox batches bounded by bytes as well as count (issue 8 item 2): with the
    // workload's random body lengths a batch holds 1 to 5 items, so batch boundaries fall at
    // seeded random places between a user's writes.
    bindings: {
      DJAZZKIT_ORIGIN_TIMEOUT_MS: "1000", DJAZZKIT_OUTBOX_BACKOFF_BASE_MS: "100", DJAZZKIT_OUTBOX_BACKOFF_MAX_MS: "2000",
      DJAZZKIT_OUTBOX_BATCH: "5", DJAZZKIT_OUTBOX_BATCH_BYTES: "2500",
      // Coalescing on, short (the default 5 s would stretch every seed's quiescence): writes
      // within 300 ms of a drain, or made while it is in flight, share the next batch.
      DJAZZKIT_OUTBOX_MIN_INTERVAL_MS: "300",
      ...(opts.standalone ? { DJAZZKIT_ORIGIN_URL: "" } : {}),
    },
    djangoEnv: { DJAZZKIT_RELAY_POKE_RETRIES: "2" },
  });
  let net: NetProxy;
  try {
    net = await startNetProxy(stack.wsUrl);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  const schemaVersion = (JSON.parse(readFileSync(join(REPO_ROOT, "djazzkit.schema.json"), "utf8")) as { schema_version: string }).schema_version;

  const prefix = `sim-${process.pid}-${Date.now().toString(36)}`;
  let batch = 0;
  const pool: string[] = [];
  const takeUsers = async (n: number) => {
    if (pool.length < n) {
      const ids = JSON.parse(lastLine(await stack.django.manage(["sim_users", `${prefix}-${batch++}`, String(Math.max(n, opts.usersHint ?? 200))]))) as string[];
      pool.push(...ids);
    }
    return pool.splice(0, n);
  };

  const catchUpOnce = async (userId: string): Promise<StoredRow[]> => {
    const client = new RelayClient({
      url: stack.syncUrl,
      token: await mintJwt(userId),
      clientId: `probe-${userId}-${Date.now()}`,
      schemaVersion,
      socketFactory: (url, protocols) => {
        const ws = new WebSocket(url, protocols);
        ws.on("error", () => {});
        return ws as unknown as WebSocketLike;
      },
      pingIntervalMs: 0,
      backoff: { baseMs: 20, maxMs: 200 },
    });
    try {
      await Promise.race([client.connect(), sleep(5_000).then(() => { throw new Error(`catch-up of user ${userId} did not finish in 5 s`); })]);
      return client.store.listRows();
    } finally {
      await client.close();
    }
  };
  // Another seed may be restarting the relay meanwhile: try again before giving up.
  const catchUp = async (userId: string): Promise<StoredRow[]> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await catchUpOnce(userId);
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  };

  const originState = async (userIds: string[]) => {
    const rows = new Map<string, Record<string, OriginRow[]>>();
    const applied: AppliedMutation[] = [];
    for (const user of userIds) {
      const d = (await dump(stack.django, { user, models: ["notes.Note", "notes.Task"] })) as {
        models: Record<string, { rows: OriginRow[] }>;
        applied_mutations: AppliedMutation[];
      };
      rows.set(user, Object.fromEntries(Object.entries(d.models).map(([m, v]) => [m, v.rows])));
      applied.push(...d.applied_mutations);
    }
    return { rows, applied };
  };

  const env: SimEnv = {
    stack, net, schemaVersion, originMode: false, takeUsers, catchUp, originState,
    async stop() {
      await net.close().catch(() => {});
      await stack.stop();
    },
  };
  try {
    env.originMode = await detectOriginMode(env);
  } catch (err) {
    await env.stop();
    throw err;
  }
  log(`[sim] stack up in ${Date.now() - t0} ms; relay mode: ${env.originMode ? "origin (origin checks on)" : "standalone (origin checks off)"}`);
  return env;
}

/** Writes one task directly and waits up to 5 s for Django to list its mutation as applied. */
async function detectOriginMode(env: SimEnv): Promise<boolean> {
  const [user] = await env.takeUsers(1);
  const client = new RelayClient({
    url: env.stack.syncUrl,
    token: await mintJwt(user!),
    clientId: `probe-mode-${user}`,
    schemaVersion: env.schemaVersion,
    socketFactory: (url, protocols) => new WebSocket(url, protocols) as unknown as WebSocketLike,
    pingIntervalMs: 0,
  });
  try {
    await Promise.race([client.connect(), sleep(10_000).then(() => { throw new Error("probe client did not sync within 10 s"); })]);
    const h = client.create("notes.Task", { title: "probe", done: false, due: null, owner: Number(user) });
    const result = await h;
    if (result.status !== "applied") throw new Error(`probe write was not applied: ${JSON.stringify(result)}`);
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      const { applied } = await env.originState([user!]);
      if (applied.some((a) => a.mutation_id === h.mutation_id)) return true;
      await sleep(200);
    }
    return false;
  } finally {
    await client.close();
  }
}

function lastLine(text: string): string {
  const lines = text.trim().split("\n");
  return lines[lines.length - 1] ?? "";
}
