/**
 * Checker rule (6), issue 8 item 1: no acked write is ever lost or attributed to another user,
 * however client ids are shared (between users, between the processes of one user) and however
 * often a process restarts with a fresh in-memory store.
 *
 * (6a) a mutation id names one write: no two writes (of any processes, of any users) share one.
 * (6b) an ack names a write of the process that got it: `applied` only for ids it made, and a
 *      `duplicate` only after that id was delivered twice (re-sent by the SDK, or duplicated by
 *      the network proxy) or already had an answer (a duplicate answering the only delivery of
 *      an id is another write's result: this write was lost).
 * (6c) every write acked `applied` (and not later rejected by the origin) is in its author's
 *      object: the row is in the user's full catch-up (live or as a tombstone).
 * (6d) no row one user's processes created is held for another user: not in another user's
 *      clients, object or origin rows.
 * (6e) origin mode: the origin records each such write under its author's user, for the row
 *      it was made for; and no origin record names another user's write.
 */
import type { StoredRow } from "../../client/index.js";
import type { History } from "./history.js";

export interface SimProcessView {
  /** The history name of the process (one per process: a restart is a new name). */
  name: string;
  userId: string;
  /** Mutation id -> the write it was made for. */
  made: ReadonlyMap<string, { model: string; row_id: string; op: string }>;
}

export interface OriginRecord {
  mutation_id: string;
  status: string;
  user_id?: string;
  model?: string;
  row_id?: string;
}

export interface AttributionInput {
  history: History;
  processes: readonly SimProcessView[];
  users: ReadonlyArray<{ userId: string; clients: ReadonlyArray<{ name: string; rows: StoredRow[] }>; object: StoredRow[]; origin?: Record<string, Array<{ row_id: string }>> }>;
  applied?: readonly OriginRecord[];
  /** Ids the origin rejected (their writes were undone). */
  originRejected: ReadonlySet<string>;
}

export function checkAttribution(input: AttributionInput): string[] {
  const v: string[] = [];
  const maker = new Map<string, SimProcessView>();
  for (const p of input.processes) {
    for (const id of p.made.keys()) {
      const other = maker.get(id);
      if (other !== undefined) v.push(`(6a) mutation id ${id} was made by ${other.name} (user ${other.userId}) and again by ${p.name} (user ${p.userId})`);
      else maker.set(id, p);
    }
  }
  const byName = new Map(input.processes.map((p) => [p.name, p]));

  // (6b) acks name the process's own writes; duplicates follow a re-send.
  const pushes = new Map<string, number>();
  const answered = new Set<string>();
  const acked = new Map<string, SimProcessView>();
  for (const e of input.history.events) {
    const p = byName.get(e.client);
    if (p === undefined) continue;
    if (e.kind === "push" || (e.kind === "fault" && e["fault"] === "dup_push")) {
      // A push the SDK sent, or one the network proxy delivered twice (frame: "<type> <ids>").
      const ids = e.kind === "push" ? ((e["ids"] as string[] | undefined) ?? []) : String(e["frame"] ?? "").split(" ")[1]?.split(",") ?? [];
      for (const id of ids) pushes.set(`${p.name}\u0000${id}`, (pushes.get(`${p.name}\u0000${id}`) ?? 0) + 1);
    } else if (e.kind === "ack") {
      const id = String(e["mutation_id"]);
      const key = `${p.name}\u0000${id}`;
      if (e["status"] === "applied") {
        if (!p.made.has(id)) v.push(`(6b) ${p.name} got an applied ack for ${id}, which it never made`);
        else acked.set(id, p);
        if (e["duplicate"] === true && !answered.has(key) && (pushes.get(key) ?? 0) < 2) {
          v.push(`(6b) ${p.name}'s first send of ${id} was answered as a duplicate: another write's result, this write was lost`);
        }
      }
      answered.add(key);
    }
  }

  // Who created each row.
  const rowOwner = new Map<string, string>();
  for (const p of input.processes) {
    for (const m of p.made.values()) if (m.op === "create") rowOwner.set(`${m.model}/${m.row_id}`, p.userId);
  }

  for (const u of input.users) {
    // (6c) acked writes are in their author's object.
    const objectRows = new Set(u.object.map((r) => `${r.model}/${r.row_id}`));
    for (const [id, p] of acked) {
      if (p.userId !== u.userId || input.originRejected.has(id)) continue;
      const m = p.made.get(id)!;
      if (!objectRows.has(`${m.model}/${m.row_id}`)) v.push(`(6c) ${p.name}'s acked ${m.op} ${id} of ${m.model}/${m.row_id} is not in user ${u.userId}'s object: the write was lost`);
    }
    // (6d) nobody else's rows.
    const held: Array<[string, string]> = [
      ...u.clients.flatMap((c) => c.rows.map((r): [string, string] => [`client ${c.name}`, `${r.model}/${r.row_id}`])),
      ...u.object.map((r): [string, string] => ["object", `${r.model}/${r.row_id}`]),
      ...Object.entries(u.origin ?? {}).flatMap(([model, rows]) => rows.map((r): [string, string] => ["origin", `${model}/${r.row_id}`])),
    ];
    for (const [where, key] of held) {
      const owner = rowOwner.get(key);
      if (owner !== undefined && owner !== u.userId) v.push(`(6d) user ${u.userId}'s ${where} holds ${key}, which user ${owner} created`);
    }
  }

  // (6e) the origin's records, per user.
  if (input.applied) {
    const records = new Map<string, OriginRecord[]>();
    for (const a of input.applied) {
      const list = records.get(a.mutation_id) ?? [];
      list.push(a);
      records.set(a.mutation_id, list);
      const p = maker.get(a.mutation_id);
      if (p !== undefined && a.user_id !== undefined && a.user_id !== p.userId) {
        v.push(`(6e) the origin records ${a.mutation_id} for user ${a.user_id}, but user ${p.userId}'s ${p.name} made it`);
      }
    }
    for (const [id, p] of acked) {
      if (input.originRejected.has(id)) continue;
      const m = p.made.get(id)!;
      const mine = (records.get(id) ?? []).filter((a) => a.user_id === undefined || a.user_id === p.userId);
      if (mine.length === 0) v.push(`(6e) acked ${id} of user ${p.userId} never reached the origin as that user's write`);
      else if (mine.some((a) => a.row_id !== undefined && a.row_id !== m.row_id)) v.push(`(6e) the origin's record of ${id} names another row than ${m.model}/${m.row_id}`);
    }
  }
  return v;
}
