/**
 * Conflicts (PROTOCOL 2.2, 4): `get_conflicts` -> `conflicts` (the winner and every live losing
 * leaf with their bodies), `list_conflicts` -> `conflict_list` (rows in conflict), and
 * `resolve_conflict` -> `push_result` + broadcast: the resolved body becomes a child of the
 * winner and every other live leaf gets a tombstone, in one transaction (`planResolution`).
 */
import { RelayError } from "../../schemas/errors.js";
import { MAX_CHANGES_FRAME_BYTES, type ConflictList, type GetConflicts, type ListConflicts, type MutationResult, type RelayMessage, type ResolveConflict, type RowData } from "../../schemas/protocol.js";
import { clientRecord } from "../storage/client-record.js";
import { storeWrites } from "../writes/commit.js";
import { runWrite } from "../writes/run.js";
import { heldModel, requireUser, requireWriter } from "./model-access.js";
import { writeDeps, type ObjectContext, type SocketCall } from "../object-context.js";
import { parseRev } from "../../revtree/index.js";
import { getRevision, getRow } from "../storage/row-store.js";
import { decodeRow, ROW_COLUMNS, type RowRecord, type WinnerRow } from "../storage/rows-record.js";
import { checkClientMutationId, mutationFingerprint, repeatAnswer, storedFirst } from "../writes/mutation-ids.js";
import { send, sendRaw } from "../send.js";
import { validateMutation } from "../writes/validate.js";
import { planRowResolution } from "../writes/plan.js";
import { admitClientWrite, rejected } from "./push.js";

const encoder = new TextEncoder();

/** Most rows one `conflict_list` answer carries (keeps the frame well under the outbound limit). */
export const MAX_CONFLICT_LIST_ROWS = 1000;

function conflictBody(row: WinnerRow, rev: string, data: RowData | null): RowData | null {
  if (data === null) return null;
  return clientRecord({ ...row, rev, gen: parseRev(rev).gen, deleted: false, data });
}

export async function handleGetConflicts(oc: ObjectContext, sock: SocketCall, msg: GetConflicts): Promise<void> {
  const manifest = await oc.manifests.current();
  heldModel(manifest, msg.model, sock.state.identity);
  // Row ids are stored lowercased (validateMutation), so look up the same form a push used.
  const rowId = msg.row_id.toLowerCase();
  const row = getRow(oc.sql, msg.model, rowId);
  if (row === null) {
    throw new RelayError("invalid_message", `no row ${msg.row_id} of ${msg.model}`, { model: msg.model, row_id: msg.row_id });
  }
  const conflicts = row.conflicts.map((rev) => ({
    rev,
    data: conflictBody(row, rev, getRevision(oc.sql, msg.model, rowId, rev)?.data ?? null),
  }));
  const frame = JSON.stringify({
    type: "conflicts",
    request_id: msg.request_id,
    model: msg.model,
    row_id: rowId,
    winner: { rev: row.rev, data: row.deleted ? null : clientRecord(row) },
    conflicts,
  } satisfies RelayMessage);
  const bytes = encoder.encode(frame).byteLength;
  if (bytes > MAX_CHANGES_FRAME_BYTES) {
    throw new RelayError("message_too_large", `the row's winner and ${conflicts.length} conflicts take ${bytes} bytes, over the ${MAX_CHANGES_FRAME_BYTES} of one frame; resolve the row's conflicts`, {
      bytes, max: MAX_CHANGES_FRAME_BYTES,
    });
  }
  sendRaw(sock.ws, frame);
}

export async function handleListConflicts(oc: ObjectContext, sock: SocketCall, msg: ListConflicts): Promise<void> {
  requireUser(sock.state.identity);
  if (msg.model !== undefined) heldModel(await oc.manifests.current(), msg.model, sock.state.identity);
  const where = msg.model === undefined ? `conflicts <> '[]'` : `conflicts <> '[]' AND model = ?`;
  const params = msg.model === undefined ? [] : [msg.model];
  const rows = oc.sql
    .exec<RowRecord>(`SELECT ${ROW_COLUMNS} FROM rows WHERE ${where} ORDER BY model, row_id LIMIT ${MAX_CONFLICT_LIST_ROWS}`, ...params)
    .toArray()
    .map(decodeRow);
  const frame: ConflictList = {
    type: "conflict_list",
    request_id: msg.request_id,
    rows: rows.map((r) => ({ model: r.model, row_id: r.row_id, rev: r.rev, conflicts: r.conflicts })),
  };
  send(sock.ws, frame);
}

export async function handleResolveConflict(oc: ObjectContext, sock: SocketCall, msg: ResolveConflict): Promise<void> {
  const userId = requireWriter(sock.state);
  const manifest = await oc.manifests.current();
  heldModel(manifest, msg.model, sock.state.identity);
  const v = validateMutation(
    { mutation_id: msg.mutation_id, model: msg.model, row_id: msg.row_id, operation: "update", data: msg.data },
    manifest,
    userId,
  );
  const reply = (result: MutationResult): void =>
    void send(sock.ws, { type: "push_result", request_id: msg.request_id, results: [result] });
  const reserved = checkClientMutationId(msg.mutation_id);
  if (reserved !== null) return reply(rejected(msg.mutation_id, reserved));
  if (!v.ok) return reply(rejected(msg.mutation_id, v.error));
  const m = v.mutation;
  const fingerprint = await mutationFingerprint({ model: m.model, row_id: m.row_id, operation: "resolve", base_rev: null, data: m.data });
  admitClientWrite(oc); // in the same synchronous step as the enqueue below
  await runWrite(writeDeps(oc), async () => {
    const refuse = (result: MutationResult) => ({ skip: reply(result) });
    const repeat = repeatAnswer(storedFirst(oc.sql, m.mutation_id), fingerprint, m.mutation_id);
    if (repeat !== null) return refuse(repeat);
    let plan;
    try {
      plan = await planRowResolution(oc.sql, m);
    } catch (err) {
      if (!(err instanceof RelayError)) throw err;
      return refuse(rejected(m.mutation_id, err));
    }
    const result: MutationResult = { mutation_id: m.mutation_id, status: "applied", rev: plan[0]!.rev };
    const planned = [{ mutation_id: m.mutation_id, model: m.model, row_id: m.row_id, operation: "update" as const, node: plan[0]!, extra: plan.slice(1), result, fingerprint }];
    const opts = { revsLimit: oc.settings.DJAZZKIT_REVS_LIMIT, nowIso: new Date().toISOString(), clientId: sock.state.client_id };
    return {
      commit: (sql: SqlStorage) => ({ changed: storeWrites(sql, oc.origin, planned, opts), value: result }),
      answer: reply,
    };
  });
}
