/**
 * The checker: after quiescence, the rules every history must satisfy.
 * (1) exactly once at the origin (origin mode only): every mutation acked `applied` and not
 *     later rejected appears once in Django's applied_mutations with status applied; one the
 *     origin rejected (mutation_rejected) appears once as rejected; one the relay refused in
 *     its push_result never reaches the origin; no id appears twice or comes from nowhere.
 * (2) no going back: per client and row, a live revision the client saw as winner or
 *     conflict and then saw leave the live set (superseded by a child, tombstoned, resolved)
 *     never comes back as winner or conflict. Revision trees only grow and stemming keeps
 *     leaves, so only an undo explains a return: rows with a mutation the origin rejected
 *     (told to a client, or in Django's applied_mutations record) are exempt.
 *     (A deleted winner may legitimately return: when a live branch with a lower generation
 *     is deleted, an older, higher tombstone wins again.) lww rows never show conflicts.
 * (3) convergence: every client of a user, the object (a fresh socket's full catch-up) and
 *     the origin (dump rows with rev and conflicts; a deleted winner is a hard-deleted row)
 *     hold the same winners, bodies and conflict sets. Once the outbox has drained this is also
 *     issue 8's "the origin holds the relay's winner for every row the relay wrote".
 * (4) nothing refused is kept (issue 8 item 2): the sample origin refuses every note titled
 *     REJECT, so no final winner or conflict anywhere (clients, object, Django's row and its
 *     retained conflicts) has that title, and no final winner or conflict is a revision of a
 *     mutation the origin rejected (a revision Django rejected is never the winner anywhere,
 *     and Django never stores a state its validation refuses).
 * (5) a confirmed write is not lost (issue 8 item 2): a revision its author saw confirmed is,
 *     at the end, the object's winner or one of its conflicts, unless another client write of
 *     the row may have superseded it (a child, a delete, a resolution: any write applied and
 *     not rejected, except one acked before this one was issued, or an edit Django made itself
 *     after it was issued). Rows that ever showed a conflict are exempt: the origin's resolver
 *     may have resolved them without a client.
 * (6) no acked write is ever lost or attributed to another user (issue 8 item 1), whatever
 *     client ids users and processes share and however often a process restarts with a fresh
 *     store: see attribution.ts.
 */
import type { StoredRow } from "../../client/index.js";
import { checkAttribution, type SimProcessView } from "./attribution.js";
import type { History } from "./history.js";
import { TASK } from "./workload.js";

export interface RowState {
  rev: string;
  deleted: boolean;
  conflicts: string[];
  data: string; // canonical JSON
}
export type RowMap = Map<string, RowState>;

export interface OriginRow {
  row_id: string;
  data: Record<string, unknown>;
  rev: string | null;
  conflicts: Array<{ rev: string; data?: Record<string, unknown> | null }>;
}
export interface AppliedMutation {
  mutation_id: string;
  status: string;
  rev?: string | null;
  user_id?: string;
  model?: string;
  row_id?: string;
}

/** The sample origin refuses every note titled this (django/sample/notes/models.py). */
const REFUSED_TITLE = "REJECT";

export interface UserView {
  userId: string;
  clients: Array<{ name: string; rows: StoredRow[] }>;
  object: StoredRow[];
  /** Origin rows per model label, when in origin mode. */
  origin?: Record<string, OriginRow[]>;
}

export interface CheckInput {
  history: History;
  users: UserView[];
  originMode: boolean;
  applied?: AppliedMutation[];
  /** Every mutation id the clients made, with its row. */
  made: Map<string, { model: string; row_id: string }>;
  /** Every client process of the run, restarted ones included (rule 6; off when absent). */
  processes?: readonly SimProcessView[];
}

export function canonical(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const o = value as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => !k.startsWith("_djazzkit_")).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
}

export function rowMap(rows: readonly StoredRow[]): RowMap {
  const m: RowMap = new Map();
  for (const r of rows) {
    m.set(`${r.model}/${r.row_id}`, { rev: r.rev, deleted: r.deleted, conflicts: [...r.conflicts].sort(), data: r.deleted ? "null" : canonical(r.data) });
  }
  return m;
}

/** The origin's rows as the object should hold them (a missing row is a deleted winner). */
function originMap(origin: Record<string, OriginRow[]>): RowMap {
  const m: RowMap = new Map();
  for (const [model, rows] of Object.entries(origin)) {
    for (const r of rows) m.set(`${model}/${r.row_id}`, { rev: r.rev ?? "(null)", deleted: false, conflicts: r.conflicts.map((c) => c.rev).sort(), data: canonical(r.data) });
  }
  return m;
}

function liveOnly(m: RowMap): RowMap {
  return new Map([...m].filter(([, v]) => !v.deleted));
}

function diff(aName: string, a: RowMap, bName: string, b: RowMap, limit = 5): string[] {
  const out: string[] = [];
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const x = a.get(key);
    const y = b.get(key);
    const same = x && y && x.rev === y.rev && x.deleted === y.deleted && x.conflicts.join() === y.conflicts.join() && x.data === y.data;
    if (!same) out.push(`${key}: ${aName}=${JSON.stringify(x ?? null)} ${bName}=${JSON.stringify(y ?? null)}`);
    if (out.length >= limit) break;
  }
  return out;
}

/** Violations that may still heal while the system settles (the rest are final). */
export function isTransient(violation: string): boolean {
  return violation.startsWith("(3)") || violation.includes("never reached the origin");
}

export function check(input: CheckInput): string[] {
  const v: string[] = [];
  const { history } = input;
  const rowOf = (id: string) => input.made.get(id);

  // Rows with an undo (a mutation the origin rejected): exempt from rule (2).
  const undone = new Set<string>();
  const rejectedIds = new Set<string>();
  // An origin rejection reaches the author as mutation_rejected, or, when the author re-sends
  // after a lost ack, as a duplicate push_result `rejected` with code origin_rejected.
  // A rejected ack for an id acked applied before is the origin's verdict (any code).
  const appliedBefore = new Set<string>();
  const originRejected = history.events.filter((e) => {
    if (e.kind === "ack" && e["status"] === "applied") appliedBefore.add(String(e["mutation_id"]));
    return e.kind === "rejected" || (e.kind === "ack" && e["status"] === "rejected" &&
      (e["code"] === "origin_rejected" || appliedBefore.has(String(e["mutation_id"]))));
  });
  for (const e of originRejected) {
    rejectedIds.add(String(e["mutation_id"]));
    const r = rowOf(String(e["mutation_id"]));
    if (r) undone.add(`${r.model}/${r.row_id}`);
  }
  // The origin's record counts too: mutation_rejected goes to connected sockets only, so an
  // author offline when the outbox drained never hears of the rejection (its write was acked
  // `applied` before), yet every client of the user sees the undo (seed 11: a fork-update
  // titled REJECT, winner 3-x over 2-y, undone while its author was disconnected; the others'
  // catch-up brought 2-y back). Not added to rejectedIds: rule (1) keeps checking that a
  // rejection the author was told of is one at the origin.
  for (const a of input.applied ?? []) {
    if (a.status !== "rejected") continue;
    const r = rowOf(a.mutation_id);
    if (r) undone.add(`${r.model}/${r.row_id}`);
  }

  // (1) exactly once at the origin.
  if (input.originMode && input.applied) {
    const acked = new Set<string>();
    const refused = new Set<string>();
    for (const e of history.of("ack")) {
      const id = String(e["mutation_id"]);
      if (e["status"] === "applied") acked.add(id);
      else if (e["status"] === "rejected" && !rejectedIds.has(id)) refused.add(id);
    }
    const seen = new Map<string, AppliedMutation[]>();
    for (const a of input.applied) seen.set(a.mutation_id, [...(seen.get(a.mutation_id) ?? []), a]);
    for (const [id, list] of seen) {
      if (list.length > 1) v.push(`(1) ${id} appears ${list.length} times at the origin`);
      // Relay-made ids (`relay:*`, a namespace no client may send): its own resolutions (origin
      // conflict_resolver answers) and its winner corrections (durable/origin/winner-correction.ts).
      if (!input.made.has(id) && !id.startsWith("relay:")) v.push(`(1) origin holds ${id}, which no client made`);
      if (refused.has(id) && !acked.has(id)) v.push(`(1) ${id} was refused by the relay but reached the origin (${list[0]!.status})`);
    }
    for (const id of acked) {
      const list = seen.get(id) ?? [];
      if (list.length === 0) v.push(`(1) acked ${id} never reached the origin`);
      // Told rejected: the origin must say so. Not told: the origin may still have rejected it
      // while the author was offline (mutation_rejected goes to connected sockets only).
      else if (rejectedIds.has(id) && list[0]!.status !== "rejected") v.push(`(1) ${id} was reported rejected but is ${list[0]!.status} at the origin`);
      else if (list[0]!.status !== "applied" && list[0]!.status !== "rejected") v.push(`(1) ${id} has status ${list[0]!.status} at the origin`);
    }
  }

  // (2) no going back, per client and row.
  const clients = new Set(history.of("change").map((e) => e.client));
  for (const client of clients) {
    const live = new Map<string, Set<string>>();
    const dead = new Map<string, Set<string>>();
    for (const e of history.of("change", client)) {
      const key = `${String(e["model"])}/${String(e["row_id"])}`;
      const conflicts = (e["conflicts"] as string[]) ?? [];
      if (e["model"] === TASK && conflicts.length) v.push(`(2) ${client} saw lww row ${key} with conflicts ${conflicts.join(",")}`);
      const now = new Set(conflicts);
      if (!e["deleted"]) now.add(String(e["rev"]));
      const d = dead.get(key) ?? new Set<string>();
      if (!undone.has(key)) {
        for (const rev of now) if (d.has(rev)) v.push(`(2) ${client} saw ${key} go back to ${rev} (superseded earlier) at t=${e.t}ms`);
      }
      for (const rev of live.get(key) ?? []) if (!now.has(rev)) d.add(rev);
      for (const rev of now) d.delete(rev);
      dead.set(key, d);
      live.set(key, now);
    }
  }

  // (4) nothing refused is kept; (5) a confirmed write is not lost.
  v.push(...refusedKept(input));
  v.push(...confirmedLost(input));
  // (6) no acked write is lost or attributed to another user.
  if (input.processes) {
    v.push(...checkAttribution({ history, processes: input.processes, users: input.users, originRejected: rejectedIds, ...(input.applied ? { applied: input.applied } : {}) }));
  }
  // (7) a socket is closed for its credential (4401) only once that credential expired.
  v.push(...prematureExpiry(input));

  // (3) convergence.
  for (const u of input.users) {
    const object = rowMap(u.object);
    for (const c of u.clients) {
      for (const line of diff(c.name, rowMap(c.rows), "object", object)) v.push(`(3) user ${u.userId}: ${line}`);
    }
    if (u.origin) {
      for (const line of diff("object", liveOnly(object), "origin", originMap(u.origin))) v.push(`(3) user ${u.userId}: ${line}`);
    }
  }
  return v;
}

/** Grace for `exp`, which has whole seconds: a token minted at t expires at floor(t) + its lifetime. */
const EXP_GRANULARITY_MS = 1_000;

function prematureExpiry(input: CheckInput): string[] {
  const v: string[] = [];
  const lastToken = new Map<string, { t: number; lifetimeMs: number }>();
  for (const e of input.history.events) {
    if (e.kind === "token") lastToken.set(e.client, { t: e.t, lifetimeMs: Number(e["expires_in_s"]) * 1000 });
    if (e.kind !== "close" || e["code"] !== 4401) continue;
    const token = lastToken.get(e.client);
    if (token === undefined) v.push(`(7) ${e.client} was closed 4401 with a long-lived token`);
    else if (e.t < token.t + token.lifetimeMs - EXP_GRANULARITY_MS) {
      v.push(`(7) ${e.client} was closed 4401 ${token.t + token.lifetimeMs - e.t} ms before its token's exp`);
    }
  }
  return v;
}

function refusedKept(input: CheckInput): string[] {
  const v: string[] = [];
  const rejectedRevs = new Set<string>();
  for (const e of input.history.of("rejected")) if (typeof e["rev"] === "string") rejectedRevs.add(e["rev"]);
  for (const a of input.applied ?? []) if (a.status === "rejected" && a.rev) rejectedRevs.add(a.rev);
  const refusedTitle = (data: unknown) => data !== null && typeof data === "object" && (data as Record<string, unknown>)["title"] === REFUSED_TITLE;
  for (const u of input.users) {
    const places: Array<[string, StoredRow[]]> = [["object", u.object], ...u.clients.map((c): [string, StoredRow[]] => [c.name, c.rows])];
    for (const [where, rows] of places) {
      for (const r of rows) {
        const live = r.deleted ? r.conflicts : [r.rev, ...r.conflicts];
        if (!r.deleted && refusedTitle(r.data)) v.push(`(4) user ${u.userId}: ${where} holds ${r.model}/${r.row_id} titled ${REFUSED_TITLE} (rev ${r.rev})`);
        for (const rev of live) if (rejectedRevs.has(rev)) v.push(`(4) user ${u.userId}: ${where} keeps ${r.model}/${r.row_id} revision ${rev}, which the origin rejected`);
      }
    }
    for (const [model, rows] of Object.entries(u.origin ?? {})) {
      for (const r of rows) {
        if (refusedTitle(r.data)) v.push(`(4) user ${u.userId}: Django's row ${model}/${r.row_id} is titled ${REFUSED_TITLE} (rev ${r.rev})`);
        for (const c of r.conflicts) {
          if (refusedTitle(c.data)) v.push(`(4) user ${u.userId}: Django keeps a conflict ${c.rev} of ${model}/${r.row_id} titled ${REFUSED_TITLE}`);
        }
        for (const rev of [r.rev, ...r.conflicts.map((c) => c.rev)]) {
          if (rev && rejectedRevs.has(rev)) v.push(`(4) user ${u.userId}: Django holds ${model}/${r.row_id} revision ${rev}, which it rejected`);
        }
      }
    }
  }
  return v;
}

function confirmedLost(input: CheckInput): string[] {
  const v: string[] = [];
  const { history } = input;
  const everConflicted = new Set<string>();
  for (const e of history.of("change")) {
    if (((e["conflicts"] as string[] | undefined) ?? []).length > 0) everConflicted.add(`${String(e["model"])}/${String(e["row_id"])}`);
  }
  // When each client op was issued, per row.
  const opsOfRow = new Map<string, Array<{ t: number; id: string }>>();
  const opAt = new Map<string, number>();
  const deletes = new Set<string>();
  for (const e of history.of("op")) {
    const key = `${String(e["model"])}/${String(e["row_id"])}`;
    const id = String(e["mutation_id"]);
    opAt.set(id, e.t);
    if (e["op"] === "delete") deletes.add(id); // a tombstone carries no data to lose
    opsOfRow.set(key, [...(opsOfRow.get(key) ?? []), { t: e.t, id }]);
  }
  const rejected = new Set(history.of("rejected").map((e) => String(e["mutation_id"])));
  for (const a of input.applied ?? []) if (a.status === "rejected") rejected.add(a.mutation_id);
  // First applied ack of each write: a write acked before another was even issued was applied
  // before it and cannot have superseded it; any other may have (the relay orders writes by
  // arrival, not by when clients issued them).
  const firstAck = new Map<string, number>();
  for (const e of history.of("ack")) {
    const id = String(e["mutation_id"]);
    if (e["status"] === "applied" && !firstAck.has(id)) firstAck.set(id, e.t);
  }
  // A write whose author was killed after sending it (processes.ts) may be applied with no ack
  // in the history (seed 81): its mutation_confirmed (sent to whichever process holds the
  // client id then) shows it was applied by then; the origin's applied_mutations shows it was
  // applied at some unknown time, so it may have superseded anything.
  for (const e of history.of("confirmed")) {
    const id = String(e["mutation_id"]);
    if (!firstAck.has(id)) firstAck.set(id, e.t);
  }
  for (const a of input.applied ?? []) if (a.status === "applied" && !firstAck.has(a.mutation_id)) firstAck.set(a.mutation_id, Infinity);
  // Edits Django made itself (django-edits.ts) supersede like client writes: an lww row takes
  // Django's edit as a child of its winner, as a revision_tree row does without concurrency.
  const djangoEditsOf = new Map<string, number[]>();
  for (const e of history.of("django")) {
    if (e["status"] !== 200) continue;
    const key = `${String(e["model"])}/${String(e["row_id"])}`;
    djangoEditsOf.set(key, [...(djangoEditsOf.get(key) ?? []), e.t]);
  }
  const objectOf = new Map<string, StoredRow>();
  for (const u of input.users) for (const r of u.object) objectOf.set(`${r.model}/${r.row_id}`, r);
  for (const e of history.of("confirmed")) {
    const id = String(e["mutation_id"]);
    const row = input.made.get(id);
    if (!row || typeof e["rev"] !== "string" || deletes.has(id)) continue;
    const key = `${row.model}/${row.row_id}`;
    if (everConflicted.has(key)) continue;
    const final = objectOf.get(key);
    const live = final === undefined ? [] : final.deleted ? final.conflicts : [final.rev, ...final.conflicts];
    if (live.includes(e["rev"])) continue;
    const since = opAt.get(id) ?? 0;
    const superseded = (opsOfRow.get(key) ?? []).some((o) => o.id !== id && firstAck.has(o.id) && firstAck.get(o.id)! >= since && !rejected.has(o.id)) ||
      (djangoEditsOf.get(key) ?? []).some((t) => t >= since);
    if (!superseded) v.push(`(5) confirmed ${id} (${key} rev ${e["rev"]}) is neither the winner nor a conflict, and no later write superseded it`);
  }
  return v;
}
