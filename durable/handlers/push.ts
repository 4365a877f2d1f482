/**
 * `push` (PROTOCOL 3 steps 1-2): validate each mutation against the manifest, plan its revision
 * (writes/plan.ts), apply every accepted one in one transaction (writes/commit.ts), answer
 * `push_result` per mutation, then broadcast the changed winners to every live socket.
 * Idempotent by mutation_id (writes/mutation-ids.ts): the same mutation again answers the first
 * result with `duplicate: true`; another mutation under a used id is `mutation_id_reused`.
 * Back-pressure: with DJAZZKIT_MAX_QUEUED_WRITES jobs already in the write queue a push is
 * refused whole with `rate_limited` before anything is read or written (`admitClientWrite`).
 */
import { RelayError } from "../../schemas/errors.js";
import type { MutationResult, Push } from "../../schemas/protocol.js";
import { storeWrites, type PlannedMutation } from "../writes/commit.js";
import { requireWriter } from "./model-access.js";
import { writeDeps, type ObjectContext, type SocketCall } from "../object-context.js";
import { checkClientMutationId, mutationFingerprint, repeatAnswer, storedFirst, storedFirstMany, type FirstResult } from "../writes/mutation-ids.js";
import { runWrite } from "../writes/run.js";
import { send } from "../send.js";
import { validateMutation } from "../writes/validate.js";
import { TreeView, planMutation } from "../writes/plan.js";

export async function handlePush(oc: ObjectContext, sock: SocketCall, msg: Push): Promise<void> {
  const userId = requireWriter(sock.state);
  const max = oc.settings.DJAZZKIT_MAX_MUTATIONS_PER_PUSH;
  if (msg.mutations.length > max) {
    throw new RelayError("too_many_mutations", `a push may carry at most ${max} mutations`, { max });
  }
  const manifest = await oc.manifests.current();
  admitClientWrite(oc); // in the same synchronous step as the enqueue below
  await runWrite(writeDeps(oc), async () => {
    const results: MutationResult[] = [];
    const planned: PlannedMutation[] = [];
    const seen = new Map<string, FirstResult>();
    const view = new TreeView(oc.sql);
    // Every id's first result in one read (not one per mutation); an id not asked about here
    // (validation changed its spelling) is still looked up on its own below.
    const stored = storedFirstMany(oc.sql, rawMutationIds(msg.mutations));
    view.prefetch(msg.mutations); // every named row's stored leaves in one read
    for (const raw of msg.mutations) {
      const v = validateMutation(raw, manifest, userId);
      if (!v.ok) {
        results.push(rejected(v.mutation_id ?? "", v.error));
        continue;
      }
      const m = v.mutation;
      const reserved = checkClientMutationId(m.mutation_id);
      if (reserved !== null) {
        results.push(rejected(m.mutation_id, reserved));
        continue;
      }
      const fingerprint = await mutationFingerprint(m);
      const first = seen.get(m.mutation_id) ?? (stored.has(m.mutation_id) ? (stored.get(m.mutation_id) ?? null) : storedFirst(oc.sql, m.mutation_id));
      const repeat = repeatAnswer(first, fingerprint, m.mutation_id);
      if (repeat !== null) {
        results.push(repeat);
        continue;
      }
      let node;
      try {
        node = await planMutation(view, m);
      } catch (err) {
        if (!(err instanceof RelayError)) throw err;
        results.push(rejected(m.mutation_id, err));
        continue;
      }
      const result: MutationResult = { mutation_id: m.mutation_id, status: "applied", rev: node.rev };
      seen.set(m.mutation_id, { result, fingerprint });
      results.push(result);
      planned.push({ mutation_id: m.mutation_id, model: m.model, row_id: m.row_id, operation: m.operation, node, extra: [], result, fingerprint });
    }
    const opts = {
      revsLimit: oc.settings.DJAZZKIT_REVS_LIMIT,
      nowIso: new Date().toISOString(),
      clientId: sock.state.client_id,
      known: view,
    };
    return {
      commit: (sql) => ({ changed: storeWrites(sql, oc.origin, planned, opts), value: results }),
      answer: () => {
        const answer = { type: "push_result" as const, results };
        send(sock.ws, msg.request_id === undefined ? answer : { ...answer, request_id: msg.request_id });
      },
    };
  });
}

function rawMutationIds(mutations: readonly unknown[]): string[] {
  const ids = new Set<string>();
  for (const raw of mutations) {
    const id = typeof raw === "object" && raw !== null ? (raw as { mutation_id?: unknown }).mutation_id : undefined;
    if (typeof id === "string") ids.add(id);
  }
  return [...ids];
}

export function rejected(mutationId: string, err: RelayError): MutationResult {
  return { mutation_id: mutationId, status: "rejected", code: err.code, message: err.message };
}

/**
 * Refuses a client write while the object's write queue is full: a `rate_limited` RelayError
 * (answered with the frame's request_id) whose `retry_after_ms` estimates when the queue will
 * have drained. Call it right before `oc.writes.run`, with no await in between, so the check
 * and the enqueue cannot be separated by another event. A refused write touched nothing.
 */
export function admitClientWrite(oc: ObjectContext): void {
  const max = oc.settings.DJAZZKIT_MAX_QUEUED_WRITES;
  if (oc.writes.depth < max) return;
  throw new RelayError("rate_limited", `this user's relay object has ${oc.writes.depth} writes queued; retry later`, {
    retry_after_ms: oc.writes.retryAfterMs(),
  });
}
