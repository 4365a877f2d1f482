/**
 * Faults between the relay and Django: while the origin is stopped,
 * answering 500s (including the sample's `error_after`, which commits and then answers 500, so
 * the relay's retry must not apply twice), or timing out, clients push 1,000 mutations; after
 * the origin recovers, every acked mutation is applied exactly once in Django and every client
 * ends with the same winners as Django.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedUsers } from "../support/sample-hooks.js";
import { startStack, type Stack } from "../support/stack.js";
import type { Frame } from "../support/ws-client.js";
import { FAST_BINDINGS, connect, lastSeen, newRowId, originState, push, sleep, waitForOrigin, type Client, type Dump } from "../support/origin-helpers.js";

const TASK = "notes.Task";
const CLIENTS = 2;
const PUSHES = 20;
const PER_PUSH = 25; // 2 x 20 x 25 = 1,000 mutations per scenario
const ROWS_PER_CLIENT = 10;

let stack: Stack;
let users: Record<string, string>;

beforeAll(async () => {
  stack = await startStack({ bindings: { ...FAST_BINDINGS, DJAZZKIT_ORIGIN_TIMEOUT_MS: "1000" } });
  users = await seedUsers(stack.django, ["f1", "f2", "f3", "f4"]);
});
afterAll(async () => {
  await stack?.stop();
});

async function sampleFaults(body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${stack.django.url}/sample/faults`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`faults: HTTP ${res.status} ${await res.text()}`);
}

/** Two clients of one user push 1,000 mutations on 20 shared lww rows; returns the acked mutation ids. */
async function pushThousand(clients: Client[]): Promise<{ acked: string[]; rows: string[] }> {
  const rows = Array.from({ length: ROWS_PER_CLIENT * clients.length }, () => newRowId());
  const acked: string[] = [];
  // Creates first (one client), so every later update finds its row.
  const creates = await push(clients[0]!, rows.map((id, i) => ({ model: TASK, row_id: id, operation: "create" as const, data: { title: `new-${i}`, done: false } })));
  for (const r of creates) if (r.status === "applied") acked.push(r.mutation_id as string);
  let budget = CLIENTS * PUSHES * PER_PUSH - creates.length;
  await Promise.all(
    clients.map(async (c, k) => {
      for (let p = 0; p < PUSHES && budget > 0; p++) {
        const n = Math.min(PER_PUSH, budget);
        budget -= n;
        const ms = Array.from({ length: n }, (_, j) => ({
          model: TASK,
          row_id: rows[(p * PER_PUSH + j + k) % rows.length]!,
          operation: "update" as const,
          data: { title: `c${k}-p${p}-m${j}`, done: (p + j) % 2 === 0 },
        }));
        for (const r of await push(c, ms, 20_000)) {
          expect(r.status).toBe("applied");
          acked.push(r.mutation_id as string);
        }
      }
    }),
  );
  return { acked, rows };
}

/** Exactly once, and the same winners everywhere. */
async function checkConverged(user: string, clients: Client[], acked: string[], rows: string[]): Promise<void> {
  const ackedSet = new Set(acked);
  const d: Dump = await waitForOrigin(stack, (s) => {
    const got = new Set(s.applied_mutations.map((m) => m.mutation_id));
    return acked.every((id) => got.has(id));
  }, 90_000, user);
  const counts = new Map<string, number>();
  for (const m of d.applied_mutations) {
    if (!ackedSet.has(m.mutation_id)) continue;
    counts.set(m.mutation_id, (counts.get(m.mutation_id) ?? 0) + 1);
    expect(m.status, m.mutation_id).toBe("applied");
  }
  expect(counts.size).toBe(acked.length);
  expect([...counts.values()].every((n) => n === 1)).toBe(true);
  // Winners: Django's row (data and relay revision) equals every client's last view of it.
  let final: Dump = d;
  for (let i = 0; i < 50; i++) {
    final = await originState(stack, user);
    const ok = rows.every((id) => {
      const o = final.models[TASK]!.rows.find((r) => r.row_id === id);
      return o !== undefined && clients.every((c) => lastSeen(c.socket, id)?.rev === o.rev);
    });
    if (ok) break;
    await sleep(200);
  }
  for (const id of rows) {
    const o = final.models[TASK]!.rows.find((r) => r.row_id === id)!;
    expect(o, id).toBeDefined();
    for (const c of clients) {
      const seen = lastSeen(c.socket, id)!;
      expect(seen.rev, id).toBe(o.rev);
      expect((seen.data as Frame).title).toBe(o.data.title);
      expect((seen.data as Frame).done).toBe(o.data.done);
    }
  }
}

async function clientsFor(user: string): Promise<Client[]> {
  return Promise.all(Array.from({ length: CLIENTS }, () => connect(stack, user)));
}

describe("origin faults: 1,000 mutations, every acked one applied exactly once, same winners everywhere", () => {
  it("the origin stopped (Django down) while clients push, then restarted", async () => {
    const user = users.f1!;
    const clients = await clientsFor(user);
    try {
      await stack.django.down();
      const { acked, rows } = await pushThousand(clients);
      expect(acked.length).toBe(1000);
      await sleep(500); // a few failed drain attempts
      const before = stack.proxy.count("/djazzkit/relay/apply");
      expect(before).toBeGreaterThan(0);
      await stack.django.up();
      await checkConverged(user, clients, acked, rows);
    } finally {
      for (const c of clients) c.socket.close();
    }
  });

  it("the origin refusing connections (fault proxy) and answering 500s, including commit-then-500", async () => {
    const user = users.f2!;
    const clients = await clientsFor(user);
    try {
      await stack.proxy.setMode({ mode: "refuse", match: "/djazzkit/relay/apply" });
      const { acked, rows } = await pushThousand(clients);
      await stack.proxy.setMode({ mode: "500", match: "/djazzkit/relay/apply", times: 4 });
      await sleep(1_500);
      // The origin commits the next 3 batches and then answers 500: the relay retries them.
      await sampleFaults({ mode: "error_after", calls: ["apply"], count: 3 });
      await checkConverged(user, clients, acked, rows);
      const applyLog = stack.proxy.log.filter((e) => e.path === "/djazzkit/relay/apply");
      // (`refuse` closes the proxy's listener, so those attempts never reach its log.)
      expect(applyLog.filter((e) => e.mode === "500").length, JSON.stringify(applyLog.map((e) => [e.mode, e.status]))).toBe(4);
      // Django's own commit-then-500 answers passed through the proxy: those batches were retried.
      expect(applyLog.filter((e) => e.mode === "pass" && e.status === 500).length).toBe(3);
    } finally {
      await stack.proxy.setMode("pass");
      await sampleFaults({ mode: "off" });
      for (const c of clients) c.socket.close();
    }
  });

  it("the origin timing out, then recovering", async () => {
    const user = users.f3!;
    const clients = await clientsFor(user);
    try {
      await stack.proxy.setMode({ mode: "timeout", match: "/djazzkit/relay/apply" });
      const { acked, rows } = await pushThousand(clients);
      await sleep(2_500); // at least two timed-out attempts (DJAZZKIT_ORIGIN_TIMEOUT_MS = 1000)
      expect(stack.proxy.log.filter((e) => e.path === "/djazzkit/relay/apply" && e.mode === "timeout").length).toBeGreaterThanOrEqual(2);
      await stack.proxy.setMode("pass");
      await checkConverged(user, clients, acked, rows);
    } finally {
      await stack.proxy.setMode("pass");
      for (const c of clients) c.socket.close();
    }
  });
});
