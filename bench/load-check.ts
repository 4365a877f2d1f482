/**
 * Verification after recovery: nothing acked is lost, every device of a user holds the same
 * winners, and a fresh device of each user (no cursor, full catch-up from the restarted relay)
 * holds them too, so the check does not rest only on what devices kept from before the deploy.
 */
import { RelayClient, type StoredRow } from "../client/index.js";
import { genOf, type History, rowKey } from "./load-history.js";
import type { SimClient } from "./load-clients.js";

export interface CheckStats {
  rowsChecked: number;
  /** Rows whose winner is newer than anything acked to us (allowed; expected 0 once drained). */
  laterWinners: number;
  /** Rows with retained conflicts (not expected: tasks are lww, notes have a single writer). */
  conflictRows: number;
  freshClientsChecked: number;
}

/** Every acked row of `user` is in `rows` at its latest acked revision (or a later winner). */
function checkAcked(h: History, user: number, who: string, get: (model: string, rowId: string) => StoredRow | undefined, stats: CheckStats): void {
  for (const acked of h.latest.get(user)?.values() ?? []) {
    stats.rowsChecked++;
    const row = get(acked.model, acked.row_id);
    const what = `${who}: ${acked.model} ${acked.row_id} (acked ${acked.rev} by ${acked.mutation_id})`;
    if (row === undefined) {
      h.violation("lost_row", `${what} is missing`);
      continue;
    }
    const gen = genOf(row.rev);
    if (gen < acked.gen) {
      h.violation("lost_write", `${what} is at older ${row.rev}`);
    } else if (gen > acked.gen) {
      stats.laterWinners++;
    } else if (row.rev !== acked.rev) {
      h.violation("wrong_winner", `${what} holds ${row.rev} of the same generation`);
    } else if (row.deleted || row.data === null) {
      h.violation("wrong_value", `${what} is deleted`);
    } else {
      for (const [field, value] of Object.entries(acked.patch)) {
        if (JSON.stringify(row.data[field]) !== JSON.stringify(value)) {
          h.violation("wrong_value", `${what} has ${field}=${JSON.stringify(row.data[field])}, acked ${JSON.stringify(value)}`);
        }
      }
    }
  }
}

function winners(rows: StoredRow[]): Map<string, string> {
  return new Map(rows.map((r) => [rowKey(r.model, r.row_id), `${r.rev}${r.deleted ? " deleted" : ""}`]));
}

function compareWinners(h: History, user: number, who: string, mine: Map<string, string>, reference: Map<string, string>, refName: string): void {
  for (const [key, rev] of reference) {
    const other = mine.get(key);
    if (other !== rev) h.violation("divergent", `user ${user}: ${refName} holds ${key.replace("\u0000", " ")} at ${rev}, ${who} at ${other ?? "nothing"}`);
  }
  for (const [key, rev] of mine) {
    if (!reference.has(key)) h.violation("divergent", `user ${user}: ${who} holds ${key.replace("\u0000", " ")} at ${rev}, ${refName} does not`);
  }
}

/** Checks the devices' stores, grouped by user. */
export function checkDevices(h: History, devices: SimClient[], stats: CheckStats): void {
  const byUser = new Map<number, SimClient[]>();
  for (const d of devices) byUser.set(d.user, [...(byUser.get(d.user) ?? []), d]);
  for (const [user, group] of byUser) {
    const reference = winners(group[0]!.client.store.listRows());
    for (const d of group) {
      checkAcked(h, user, d.clientId, (m, r) => d.client.get(m, r), stats);
      const rows = d.client.store.listRows();
      stats.conflictRows += rows.filter((r) => r.conflicts.length > 0).length;
      if (d !== group[0]) compareWinners(h, user, d.clientId, winners(rows), reference, group[0]!.clientId);
      if (d.client.pendingCount > 0) h.violation("unacked", `${d.clientId} still has ${d.client.pendingCount} pending writes`);
    }
  }
}

export interface FreshOptions {
  wsUrl: string;
  schemaVersion: string;
  tokens: Map<number, string>;
  devices: SimClient[];
  timeoutMs: number;
  concurrency: number;
}

/** A new device per user catches up from scratch; it must hold every acked row and the same winners. */
export async function checkFreshDevices(h: History, o: FreshOptions, makeSocket: RelayClientSocketFactory, stats: CheckStats): Promise<void> {
  const users = [...o.tokens.keys()];
  let next = 0;
  const worker = async () => {
    while (next < users.length) {
      const user = users[next++]!;
      const client = new RelayClient({ url: `${o.wsUrl}/djazzkit/sync`, token: o.tokens.get(user)!, clientId: `u${user}fresh`, schemaVersion: o.schemaVersion, socketFactory: makeSocket });
      client.on("message", (msg) => {
        if (msg.type === "changes") h.checkDelivery(user, msg.rows);
      });
      try {
        await Promise.race([client.connect(), new Promise((_, reject) => setTimeout(() => reject(new Error(`no sync_ready within ${o.timeoutMs} ms`)), o.timeoutMs))]);
        checkAcked(h, user, `fresh device of user ${user}`, (m, r) => client.get(m, r), stats);
        const device = o.devices.find((d) => d.user === user);
        if (device) compareWinners(h, user, "the fresh device", winners(client.store.listRows()), winners(device.client.store.listRows()), device.clientId);
        stats.freshClientsChecked++;
      } catch (err) {
        h.violation("fresh_device", `user ${user}: ${(err as Error).message}`);
      } finally {
        await client.close();
      }
    }
  };
  await Promise.all(Array.from({ length: o.concurrency }, worker));
}

export type RelayClientSocketFactory = ConstructorParameters<typeof RelayClient>[0]["socketFactory"];
