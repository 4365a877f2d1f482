/**
 * Tests that stage writes directly (outbox, winner corrections) commit them as the relay does,
 * minus the queue and the broadcast: `storeWrites` inside one transaction. Production code goes
 * through `runWrite` (durable/writes/run.ts) instead.
 */
import { storeWrites, type CommitOptions, type PlannedMutation } from "../../../durable/writes/commit.js";
import type { OriginLink } from "../../../durable/origin/link.js";
import type { WinnerRow } from "../../../durable/storage/rows-record.js";

export function commitWrites(
  storage: DurableObjectStorage,
  origin: OriginLink,
  planned: readonly PlannedMutation[],
  opts: CommitOptions,
): WinnerRow[] {
  return storage.transactionSync(() => storeWrites(storage.sql, origin, planned, opts));
}
