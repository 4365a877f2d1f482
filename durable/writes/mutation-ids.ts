/**
 * Idempotency by mutation id (PROTOCOL 2.5, amended in section 8). A user's object is the key's
 * user scope; within it a mutation id names one mutation for good:
 *
 * - its first result is stored with a fingerprint of what it asked: SHA-256 of the canonical
 *   JSON of `[model, row_id, operation, base_rev, data]` (`operation` is "resolve" for a
 *   `resolve_conflict`; `data` is the validated body, so one mutation re-sent always matches);
 * - a repeat with the same fingerprint answers the first result with `duplicate: true`;
 * - a repeat with another fingerprint is `mutation_id_reused` and writes nothing: answering
 *   another mutation's result would tell a client its write was applied when it never was;
 * - ids of the relay's own writes (`relay:` prefix) cannot come from a client (`invalid_message`).
 *
 * Rows stored before fingerprints existed (migration 2) have none and answer as duplicates.
 */
import { createHash } from "node:crypto";
import { RelayError } from "../../schemas/errors.js";
import { isRelayMutationId, RELAY_MUTATION_ID_PREFIX, type MutationResult, type RowData } from "../../schemas/protocol.js";
import { canonicalJson } from "../../revtree/index.js";

export interface FingerprintInput {
  model: string;
  row_id: string;
  operation: "create" | "update" | "delete" | "resolve";
  base_rev: string | null;
  data: RowData | null;
}

/**
 * SHA-256 hex of the canonical JSON. node:crypto (workerd's nodejs_compat, BoringSSL) hashes
 * synchronously: no promise, no TextEncoder pass, no hex loop per mutation (WebCrypto's
 * `digest` gives the same bytes; the revision ids, shared with browsers, stay on WebCrypto).
 */
export async function mutationFingerprint(m: FingerprintInput): Promise<string> {
  return createHash("sha256").update(canonicalJson([m.model, m.row_id, m.operation, m.base_rev, m.data])).digest("hex");
}

/** A stored first result and the fingerprint it was stored with (null: stored before fingerprints). */
export interface FirstResult {
  result: MutationResult;
  fingerprint: string | null;
}

export function storedFirst(sql: SqlStorage, mutationId: string): FirstResult | null {
  const rows = sql
    .exec<{ result: string; fingerprint: string | null }>(`SELECT result, fingerprint FROM mutations WHERE mutation_id = ?`, mutationId)
    .toArray();
  return rows[0] ? { result: JSON.parse(rows[0].result) as MutationResult, fingerprint: rows[0].fingerprint } : null;
}

/**
 * `storedFirst` for every id of a push in one statement (one JSON parameter, however many
 * ids). The map holds an entry, possibly null, for each id it was asked about.
 */
export function storedFirstMany(sql: SqlStorage, mutationIds: readonly string[]): Map<string, FirstResult | null> {
  const out = new Map<string, FirstResult | null>();
  if (mutationIds.length === 0) return out;
  for (const id of mutationIds) out.set(id, null);
  const rows = sql
    .exec<{ mutation_id: string; result: string; fingerprint: string | null }>(
      `SELECT mutation_id, result, fingerprint FROM mutations WHERE mutation_id IN (SELECT value FROM json_each(?))`,
      JSON.stringify(mutationIds),
    )
    .toArray();
  for (const r of rows) out.set(r.mutation_id, { result: JSON.parse(r.result) as MutationResult, fingerprint: r.fingerprint });
  return out;
}

/**
 * The answer to a mutation id seen before: the first result as a duplicate, or
 * `mutation_id_reused` when it asked for something else. Null when the id is new.
 */
export function repeatAnswer(first: FirstResult | null | undefined, fingerprint: string, mutationId: string): MutationResult | null {
  if (first === null || first === undefined) return null;
  if (first.fingerprint !== null && first.fingerprint !== fingerprint) {
    return {
      mutation_id: mutationId,
      status: "rejected",
      code: "mutation_id_reused",
      message: "this mutation id was already used for another mutation; every write needs a new id",
    };
  }
  return { ...first.result, duplicate: true };
}

/** Refuses a client mutation id in the relay's own namespace. */
export function checkClientMutationId(mutationId: string): RelayError | null {
  if (!isRelayMutationId(mutationId)) return null;
  return new RelayError("invalid_message", `mutation ids starting with ${JSON.stringify(RELAY_MUTATION_ID_PREFIX)} are the relay's own`);
}
