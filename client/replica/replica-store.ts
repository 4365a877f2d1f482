/**
 * `ClientStore` over SQLite: the relay's winners, the outbox, the cursor and the mutation counter
 * are persisted (so a restart loses nothing and never reuses a mutation id), and every change to
 * a row's winner or to its pending writes re-derives the row's line in its model table at once:
 * writes are optimistic, a rollback is a re-derivation without the refused write.
 *
 * Writes the relay applied stay replayed until their broadcast arrives (`acked`): `push_result`
 * precedes the `changes` frame that carries the new winner, and the row must not flicker back.
 */
import type { Manifest, ModelSpec } from "../../schemas/manifest.js";
import type { ChangeRow, Cursor } from "../../schemas/protocol.js";
import { type ClientStore, newMutationIdPrefix, type PendingMutation, pendingId, pendingRow, type StoredRow } from "../store.js";
import { getMeta, setMeta } from "./meta.js";
import { replay } from "./overlay.js";
import { localModels, quoteIdent, tableOf } from "./replica-schema.js";
import { encodeBody } from "./row-codec.js";
import type { SqlDatabase, SqlValue } from "./sql-database.js";

const key = (model: string, rowId: string) => `${model}\u0000${rowId}`;
const genOf = (rev: string) => Number.parseInt(rev, 10);

interface Acked { entry: PendingMutation; rev: string }

export class ReplicaStore implements ClientStore {
  readonly #specs = new Map<string, { spec: ModelSpec; table: string }>();
  /** Applied writes awaiting their broadcast, per row, in order. In memory: a restart re-syncs anyway. */
  readonly #acked = new Map<string, Acked[]>();
  /** Entries removed by the outbox whose verdict the client has not classified yet. */
  readonly #settled = new Map<string, PendingMutation>();
  /** Called after the outbox removed an entry (its verdict is classified on the same tick). */
  onRemoved: (() => void) | undefined;
  #touched = new Set<string>(); // models whose table changed since the last takeTouched()
  #seq = 0;

  constructor(readonly db: SqlDatabase, manifest: Manifest) {
    for (const [model, spec] of localModels(manifest)) this.#specs.set(model, { spec, table: tableOf(model, spec) });
    this.#seq = Number(db.all("SELECT coalesce(max(seq), 0) AS s FROM _djazzkit_server")[0]?.["s"] ?? 0);
  }

  isLocal(model: string): boolean {
    return this.#specs.has(model);
  }

  specOf(model: string): { spec: ModelSpec; table: string } | undefined {
    return this.#specs.get(model);
  }

  /** Models whose rows changed since the last call (for live queries). */
  takeTouched(): string[] {
    const out = [...this.#touched];
    this.#touched = new Set();
    return out;
  }

  // ---- ClientStore ------------------------------------------------------------------------

  getCursor(): Cursor | null {
    return getMeta(this.db, "cursor");
  }

  getRow(model: string, rowId: string): StoredRow | undefined {
    const r = this.db.all("SELECT * FROM _djazzkit_server WHERE model = ? AND row_id = ?", [model, rowId])[0];
    return r && toStored(r);
  }

  listRows(model?: string): StoredRow[] {
    const rows = model === undefined
      ? this.db.all("SELECT * FROM _djazzkit_server ORDER BY seq")
      : this.db.all("SELECT * FROM _djazzkit_server WHERE model = ? ORDER BY seq", [model]);
    return rows.map(toStored);
  }

  applyChanges(rows: readonly ChangeRow[], cursor: Cursor, reset: boolean): void {
    this.db.transaction(() => {
      const affected = new Map<string, { model: string; row_id: string }>();
      if (reset) {
        this.db.run("DELETE FROM _djazzkit_server");
        this.db.run("DELETE FROM _djazzkit_conflict_bodies");
        for (const [model, { table }] of this.#specs) {
          this.db.run(`DELETE FROM ${quoteIdent(table)}`);
          this.#touched.add(model);
        }
        this.#acked.clear();
        for (const p of this.listPending()) { const r = pendingRow(p); affected.set(key(r.model, r.row_id), r); }
      }
      for (const row of rows) {
        this.db.run(
          `INSERT INTO _djazzkit_server (model, row_id, rev, deleted, data, conflicts, seq) VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(model, row_id) DO UPDATE SET rev = excluded.rev, deleted = excluded.deleted, data = excluded.data,
           conflicts = excluded.conflicts, seq = excluded.seq`,
          [row.model, row.row_id, row.rev, row.deleted ? 1 : 0, row.data === null ? null : JSON.stringify(row.data), JSON.stringify(row.conflicts), ++this.#seq],
        );
        const keep = row.conflicts;
        const bodies = this.db.all("SELECT rev FROM _djazzkit_conflict_bodies WHERE model = ? AND row_id = ?", [row.model, row.row_id]);
        for (const b of bodies) if (!keep.includes(String(b["rev"]))) this.db.run("DELETE FROM _djazzkit_conflict_bodies WHERE model = ? AND row_id = ? AND rev = ?", [row.model, row.row_id, b["rev"]!]);
        const k = key(row.model, row.row_id);
        const acked = this.#acked.get(k);
        if (acked) {
          const left = acked.filter((a) => genOf(a.rev) > genOf(row.rev));
          if (left.length) this.#acked.set(k, left); else this.#acked.delete(k);
        }
        affected.set(k, row);
      }
      setMeta(this.db, "cursor", cursor);
      const pending = this.listPending(); // once per frame, not once per row
      for (const r of affected.values()) this.materialize(r.model, r.row_id, pending);
    });
  }

  listPending(): PendingMutation[] {
    return this.db.all("SELECT entry FROM _djazzkit_outbox ORDER BY seq").map((r) => JSON.parse(String(r["entry"])) as PendingMutation);
  }

  putPending(entry: PendingMutation): void {
    this.db.transaction(() => {
      this.db.run(
        "INSERT INTO _djazzkit_outbox (mutation_id, entry) VALUES (?, ?) ON CONFLICT(mutation_id) DO UPDATE SET entry = excluded.entry",
        [pendingId(entry), JSON.stringify(entry)],
      );
      const r = pendingRow(entry);
      this.materialize(r.model, r.row_id);
    });
  }

  removePending(mutationId: string): boolean {
    const row = this.db.all("SELECT entry FROM _djazzkit_outbox WHERE mutation_id = ?", [mutationId])[0];
    if (!row) return false;
    this.db.run("DELETE FROM _djazzkit_outbox WHERE mutation_id = ?", [mutationId]);
    // Kept replayed until the client classifies the verdict (settle), so nothing flickers.
    this.#settled.set(mutationId, JSON.parse(String(row["entry"])) as PendingMutation);
    this.onRemoved?.();
    return true;
  }

  nextMutationNumber(): number {
    return this.db.transaction(() => {
      const n = Number(getMeta(this.db, "counter") ?? "0") + 1;
      setMeta(this.db, "counter", String(n));
      return n;
    });
  }

  mutationIdPrefix(): string {
    let prefix = getMeta(this.db, "id_prefix");
    if (prefix === null) {
      prefix = newMutationIdPrefix();
      setMeta(this.db, "id_prefix", prefix);
    }
    return prefix;
  }

  // ---- verdicts -----------------------------------------------------------------------------

  /**
   * The verdict of a write the outbox removed: `applied` keeps it replayed until the broadcast of
   * `rev` arrives; `rejected` drops it, which rolls the row back. Returns the entry.
   */
  settle(mutationId: string, verdict: { applied: true; rev: string } | { applied: false }): PendingMutation | undefined {
    const entry = this.#settled.get(mutationId);
    if (!entry) return undefined;
    this.#settled.delete(mutationId);
    const r = pendingRow(entry);
    const k = key(r.model, r.row_id);
    const server = this.getRow(r.model, r.row_id);
    if (verdict.applied && !(server && genOf(server.rev) >= genOf(verdict.rev))) {
      this.#acked.set(k, [...(this.#acked.get(k) ?? []), { entry, rev: verdict.rev }]);
    }
    this.db.transaction(() => this.materialize(r.model, r.row_id));
    return entry;
  }

  /** Local writes not yet reflected by the relay's winner: removed-but-unclassified plus applied-not-broadcast. */
  unsettledCount(): number {
    let n = this.#settled.size;
    for (const list of this.#acked.values()) n += list.length;
    return n;
  }

  /** The origin undid the write that produced `rev`: stop replaying it. */
  forgetAcked(rev: string): void {
    for (const [k, list] of this.#acked) {
      const left = list.filter((a) => a.rev !== rev);
      if (left.length === list.length) continue;
      if (left.length) this.#acked.set(k, left); else this.#acked.delete(k);
      const [model, rowId] = k.split("\u0000") as [string, string];
      this.db.transaction(() => this.materialize(model, rowId));
    }
  }

  /** Entries removed without a classified verdict (e.g. a refused resolution): treated as refused. */
  settleRest(): PendingMutation[] {
    return [...this.#settled.keys()].map((id) => this.settle(id, { applied: false })!).filter(Boolean);
  }

  // ---- conflict bodies ----------------------------------------------------------------------

  /** Conflict revs of the row whose bodies are not stored yet. */
  missingConflictBodies(model: string, rowId: string): string[] {
    const server = this.getRow(model, rowId);
    if (!server || server.conflicts.length === 0) return [];
    const have = new Set(this.db.all("SELECT rev FROM _djazzkit_conflict_bodies WHERE model = ? AND row_id = ?", [model, rowId]).map((r) => String(r["rev"])));
    return server.conflicts.filter((rev) => !have.has(rev));
  }

  conflictBodies(model: string, rowId: string): { rev: string; data: Record<string, unknown> | null }[] {
    return this.db.all("SELECT rev, data FROM _djazzkit_conflict_bodies WHERE model = ? AND row_id = ?", [model, rowId])
      .map((r) => ({ rev: String(r["rev"]), data: r["data"] === null ? null : (JSON.parse(String(r["data"])) as Record<string, unknown>) }));
  }

  storeConflictBodies(model: string, rowId: string, bodies: { rev: string; data: Record<string, unknown> | null }[]): void {
    this.db.transaction(() => {
      const wanted = new Set(this.getRow(model, rowId)?.conflicts ?? []);
      for (const b of bodies) {
        if (!wanted.has(b.rev)) continue;
        this.db.run("INSERT OR REPLACE INTO _djazzkit_conflict_bodies (model, row_id, rev, data) VALUES (?, ?, ?, ?)",
          [model, rowId, b.rev, b.data === null ? null : JSON.stringify(b.data)]);
      }
      this.materialize(model, rowId);
    });
  }

  // ---- derivation -----------------------------------------------------------------------------

  /** Rewrites the row's line in its model table from the winner and the writes not in it yet. */
  materialize(model: string, rowId: string, allPending: readonly PendingMutation[] = this.listPending()): void {
    const target = this.#specs.get(model);
    if (!target) return; // a model the replica does not hold: the relay refuses or answers it
    const k = key(model, rowId);
    const acked = (this.#acked.get(k) ?? []).map((a) => a.entry);
    const settling = [...this.#settled.values()].filter((p) => { const r = pendingRow(p); return r.model === model && r.row_id === rowId; });
    const pending = allPending.filter((p) => { const r = pendingRow(p); return r.model === model && r.row_id === rowId; });
    const server = this.getRow(model, rowId);
    const visible = replay(server, [...acked, ...settling, ...pending]); // acked first: they were made first
    const table = quoteIdent(target.table);
    this.#touched.add(model);
    if (!visible) {
      this.db.run(`DELETE FROM ${table} WHERE _djazzkit_id = ?`, [rowId]);
      return;
    }
    const writes = [...acked, ...settling, ...pending];
    const lastLocal = writes.length ? Math.max(...writes.map((w) => w.created_at)) : null;
    const serverUpdatedAt = server?.data && typeof server.data["_djazzkit_updated_at"] === "string" ? server.data["_djazzkit_updated_at"] : null;
    const bodies = new Map(this.conflictBodies(model, rowId).map((b) => [b.rev, b.data]));
    const conflicts = visible.conflicts.filter((rev) => bodies.has(rev)).map((rev) => {
      const data = bodies.get(rev) ?? null;
      return data === null ? { rev, data: {}, deleted: true } : { rev, data };
    });
    const fields = Object.keys(target.spec.fields);
    const cols = ["_djazzkit_id", "_djazzkit_rev", "_djazzkit_revid", "_djazzkit_deleted", "_djazzkit_updated_at", "_djazzkit_conflicts", "_djazzkit_pending", ...fields];
    const values: SqlValue[] = [
      rowId, server ? genOf(server.rev) : 0, server?.rev ?? null, visible.deleted ? 1 : 0,
      lastLocal !== null ? new Date(lastLocal).toISOString() : serverUpdatedAt,
      JSON.stringify(conflicts), pending.length + settling.length > 0 ? 1 : 0,
      ...encodeBody(target.spec, visible.body),
    ];
    this.db.run(`INSERT OR REPLACE INTO ${table} (${cols.map(quoteIdent).join(", ")}) VALUES (${cols.map(() => "?").join(", ")})`, values);
  }

  /** Re-derives every row (after the model tables were rebuilt). */
  materializeAll(): void {
    this.db.transaction(() => {
      const rows = new Map<string, { model: string; row_id: string }>();
      for (const r of this.listRows()) rows.set(key(r.model, r.row_id), r);
      const pending = this.listPending();
      for (const p of pending) { const r = pendingRow(p); rows.set(key(r.model, r.row_id), r); }
      for (const r of rows.values()) this.materialize(r.model, r.row_id, pending);
    });
  }
}

function toStored(r: Record<string, SqlValue>): StoredRow {
  return {
    model: String(r["model"]), row_id: String(r["row_id"]), rev: String(r["rev"]),
    data: r["data"] === null ? null : (JSON.parse(String(r["data"])) as Record<string, unknown>),
    deleted: r["deleted"] === 1, conflicts: JSON.parse(String(r["conflicts"])) as string[],
  };
}
