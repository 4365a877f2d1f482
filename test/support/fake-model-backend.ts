/**
 * An in-memory ModelBackend for the model layer's unit tests: rows in a Map, queries evaluated
 * with the relay's semantics (two-valued comparisons, `eq null` is IS NULL, `in` drops nulls,
 * newest first by default, row id breaking ties), every call recorded. Writes apply at once
 * and stay `_djazzkit_pending` until `settle()`, like the replica's optimistic writes.
 */
import type { ConflictVersion, ModelBackend, ReplicaRow } from "../../client/model/backend.js";
import type { Manifest } from "../../schemas/manifest.js";
import type { Comparison, Condition, Query } from "../../schemas/query.js";

export type Call = { op: string; model: string; rowId?: string; data?: Record<string, unknown>; query?: Query };

export class FakeModelBackend implements ModelBackend {
  readonly calls: Call[] = [];
  readonly rows = new Map<string, ReplicaRow>();
  readonly #subs = new Set<{ q: Query; onRows: (rows: ReplicaRow[]) => void }>();
  #clock = 0;
  constructor(private readonly m: Manifest) {}

  manifest(): Manifest {
    return this.m;
  }
  async query(q: Query): Promise<ReplicaRow[]> {
    this.calls.push({ op: "query", model: q.model, query: q });
    return this.#run(q);
  }
  async count(q: Query): Promise<number> {
    this.calls.push({ op: "count", model: q.model, query: q });
    return this.#matching(q).length;
  }
  subscribe(q: Query, onRows: (rows: ReplicaRow[]) => void): () => void {
    const sub = { q, onRows };
    this.#subs.add(sub);
    onRows(this.#run(q));
    return () => this.#subs.delete(sub);
  }
  async create(model: string, data: Record<string, unknown>, rowId?: string): Promise<ReplicaRow> {
    this.calls.push({ op: "create", model, rowId, data });
    const id = rowId ?? crypto.randomUUID();
    const row: ReplicaRow = { ...data, _djazzkit_id: id, _djazzkit_rev: 0, _djazzkit_deleted: false, _djazzkit_updated_at: this.#now(), _djazzkit_pending: true, _conflicts: [], _model: model };
    this.rows.set(id, row);
    this.#notify(model);
    return { ...row };
  }
  async update(model: string, rowId: string, data: Record<string, unknown>): Promise<ReplicaRow> {
    this.calls.push({ op: "update", model, rowId, data });
    const row = this.rows.get(rowId);
    if (row === undefined) throw new Error(`no row ${rowId}`);
    const next = { ...row, ...data, _djazzkit_pending: true, _djazzkit_updated_at: this.#now() };
    this.rows.set(rowId, next);
    this.#notify(model);
    return { ...next };
  }
  async delete(model: string, rowId: string): Promise<void> {
    this.calls.push({ op: "delete", model, rowId });
    const row = this.rows.get(rowId);
    if (row !== undefined) this.rows.set(rowId, { ...row, _djazzkit_deleted: true, _djazzkit_pending: true });
    this.#notify(model);
  }
  async getConflicts(model: string, rowId: string): Promise<{ winner: ConflictVersion; conflicts: ConflictVersion[] }> {
    this.calls.push({ op: "getConflicts", model, rowId });
    const row = this.rows.get(rowId)!;
    return { winner: { rev: `${row._djazzkit_rev}-w`, data: { ...row } }, conflicts: row._conflicts };
  }
  async resolveConflict(model: string, rowId: string, data: Record<string, unknown>): Promise<void> {
    this.calls.push({ op: "resolveConflict", model, rowId, data });
    const row = this.rows.get(rowId)!;
    this.rows.set(rowId, { ...row, ...data, _conflicts: [], _djazzkit_rev: row._djazzkit_rev + 1 });
    this.#notify(model);
  }

  /** The relay answered every pending write: rows stop being pending and get a generation. */
  settle(): void {
    for (const [id, row] of this.rows) {
      if (row._djazzkit_pending) this.rows.set(id, { ...row, _djazzkit_pending: false, _djazzkit_rev: row._djazzkit_rev + 1 });
    }
  }

  #now(): string {
    return new Date(Date.UTC(2024, 0, 1) + ++this.#clock * 1000).toISOString();
  }
  #notify(model: string): void {
    for (const s of this.#subs) if (s.q.model === model) s.onRows(this.#run(s.q));
  }
  #matching(q: Query): ReplicaRow[] {
    return [...this.rows.values()].filter((r) => r._model === q.model && !r._djazzkit_deleted && (q.where === undefined || test(q.where, r)));
  }
  #run(q: Query): ReplicaRow[] {
    const order = q.order_by ?? [["_djazzkit_updated_at", "desc"]];
    const rows = this.#matching(q).sort((a, b) => {
      for (const [f, dir] of order) {
        const c = compare(a[f], b[f]);
        if (c !== 0) return dir === "asc" ? c : -c;
      }
      return compare(a._djazzkit_id, b._djazzkit_id);
    });
    const offset = typeof q.offset === "number" ? q.offset : 0;
    const limit = typeof q.limit === "number" ? q.limit : 100;
    return rows.slice(offset, offset + limit).map((r) => ({ ...r }));
  }
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === null || a === undefined) return -1; // NULLs first ascending, as SQLite
  if (b === null || b === undefined) return 1;
  return (a as number) < (b as number) ? -1 : 1;
}

function test(c: Condition, row: Record<string, unknown>): boolean {
  if ("and" in c) return c.and.every((x) => test(x, row));
  if ("or" in c) return c.or.some((x) => test(x, row));
  if ("not" in c) return !test(c.not, row);
  return compareOne(c, row[c.field] ?? null);
}

function compareOne(c: Comparison, v: unknown): boolean {
  const x = c.value;
  switch (c.op) {
    case "isnull": return (v === null) === x;
    case "eq": return x === null ? v === null : v === x;
    case "ne": return x === null ? v !== null : v !== x;
    case "in": return Array.isArray(x) && v !== null && x.includes(v as never);
    case "lt": return v !== null && (v as number) < (x as number);
    case "lte": return v !== null && (v as number) <= (x as number);
    case "gt": return v !== null && (v as number) > (x as number);
    case "gte": return v !== null && (v as number) >= (x as number);
    case "contains": return typeof v === "string" && v.includes(x as string);
    case "icontains": return typeof v === "string" && v.toLowerCase().includes((x as string).toLowerCase());
    case "startswith": return typeof v === "string" && v.startsWith(x as string);
  }
}
