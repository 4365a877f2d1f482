/**
 * Carrying a replica over to another schema (the `onSchemaMismatch` policies). The model tables
 * are derived data (replica-schema.ts), so both policies end by rebuilding them for the new
 * manifest and clearing the cursor, which makes the next sync a full catch-up (a resync):
 * - reset: rows, conflict bodies and the outbox are dropped first;
 * - migrate: the app's migration runs with the old tables still in place; the relay's rows and
 *   the outbox are kept (the migration may rewrite them) and the tables are re-derived from them.
 * The mutation counter and the client id survive both: a mutation id is never reused.
 */
import type { Manifest } from "../../schemas/manifest.js";
import { RelayClientError } from "../errors.js";
import { getMeta, setMeta } from "../replica/meta.js";
import { createModelTables, dropModelTables, tableOf, wipeReplica } from "../replica/replica-schema.js";
import type { SqlDatabase } from "../replica/sql-database.js";
import { type PendingMutation, pendingId } from "../store.js";
import type { MigrationContext, SchemaMismatchPolicy } from "./options.js";

export interface NormalizedPolicy {
  policy: "reset" | "migrate";
  migrate?: (ctx: MigrationContext) => void | Promise<void>;
  manifest?: Manifest;
}

export function normalizePolicy(answer: SchemaMismatchPolicy): NormalizedPolicy {
  if (answer === "reset") return { policy: "reset" };
  if ("policy" in answer) {
    if (answer.policy !== "reset" && answer.policy !== "migrate") throw new RelayClientError("invalid_message", `unknown onSchemaMismatch policy ${String(answer.policy)}`);
    if (answer.policy === "migrate" && typeof answer.migrate !== "function") throw new RelayClientError("invalid_message", "the migrate policy needs a migrate function");
    return answer;
  }
  if (typeof answer.migrate === "function") return { policy: "migrate", migrate: answer.migrate };
  throw new RelayClientError("invalid_message", "onSchemaMismatch must answer \"reset\" or { migrate }");
}

/** The manifest the replica's tables were built from (null for a new replica). */
export function storedManifest(db: SqlDatabase): Manifest | null {
  const text = getMeta(db, "manifest");
  return text === null ? null : (JSON.parse(text) as Manifest);
}

/** Records that the replica's tables now follow `manifest`. */
export function adoptManifest(db: SqlDatabase, manifest: Manifest): void {
  db.transaction(() => {
    createModelTables(db, manifest);
    setMeta(db, "schema_version", manifest.schema_version);
    setMeta(db, "manifest", JSON.stringify(manifest));
  });
}

function listOutbox(db: SqlDatabase): { mutation_id: string; entry: PendingMutation }[] {
  return db.all("SELECT mutation_id, entry FROM _djazzkit_outbox ORDER BY seq")
    .map((r) => ({ mutation_id: String(r["mutation_id"]), entry: JSON.parse(String(r["entry"])) as PendingMutation }));
}

export async function applyPolicy(db: SqlDatabase, policy: NormalizedPolicy, to: Manifest): Promise<void> {
  const old = storedManifest(db);
  if (policy.policy === "reset") {
    db.transaction(() => wipeReplica(db, old ?? undefined));
  } else {
    const ctx: MigrationContext = {
      db,
      fromVersion: getMeta(db, "schema_version"),
      toVersion: to.schema_version,
      tableOf: (model) => {
        const spec = old?.models[model];
        if (!spec) throw new RelayClientError("unknown_model", `the replica has no table for ${model}`);
        return tableOf(model, spec);
      },
      pending: () => listOutbox(db).map((r) => r.entry),
      rewritePending: (fn) => db.transaction(() => {
        for (const { mutation_id, entry } of listOutbox(db)) {
          const next = fn(structuredClone(entry));
          if (next === null) db.run("DELETE FROM _djazzkit_outbox WHERE mutation_id = ?", [mutation_id]);
          else if (pendingId(next) !== mutation_id) throw new RelayClientError("invalid_message", `a migration may not change mutation id ${mutation_id}`);
          else db.run("UPDATE _djazzkit_outbox SET entry = ? WHERE mutation_id = ?", [JSON.stringify(next), mutation_id]);
        }
      }),
    };
    await policy.migrate!(ctx);
    db.transaction(() => {
      if (old) dropModelTables(db, old);
      setMeta(db, "cursor", null);
    });
  }
  adoptManifest(db, to);
}
