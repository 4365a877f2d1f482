/**
 * Queries over the replica: the relay's query AST, parsed with the relay's bounds and compiled by
 * the relay's compiler (durable/storage/query-sql.ts) over the replica's typed tables, so a query the
 * relay would refuse is refused here with the same code, and a query it answers selects the same
 * rows in the same order (test/unit/local-query-differential.test.ts).
 */
import { compileQuery } from "../../durable/storage/query-sql.js";
import type { ModelSpec } from "../../schemas/manifest.js";
import type { BoundedQuery, QueryBounds } from "../../schemas/query-bounds.js";
import { parseQueryGuarded } from "../../schemas/query-guard.js";
import type { ReplicaRow } from "../model/backend.js";
import { localLayout } from "./local-layout.js";
import { decodeBody } from "./row-codec.js";
import type { SqlDatabase, SqlValue } from "./sql-database.js";

/** The relay's defaults (DJAZZKIT_QUERY_MAX_LIMIT / DJAZZKIT_QUERY_MAX_OFFSET). */
export const DEFAULT_QUERY_BOUNDS: QueryBounds = { maxLimit: 1000, maxOffset: 10_000 };

export function boundQuery(raw: unknown, bounds: QueryBounds): BoundedQuery {
  return parseQueryGuarded(raw, bounds);
}

export function runLocalQuery(db: SqlDatabase, q: BoundedQuery, spec: ModelSpec, table: string): ReplicaRow[] {
  compileQuery(q, spec); // the relay's own checks: its errors, its parameter budget
  const c = compileQuery(q, spec, q.model, localLayout(table));
  return db.all(c.sql, c.params).map((r) => decodeRow(spec, r));
}

export function countLocal(db: SqlDatabase, q: BoundedQuery, spec: ModelSpec, table: string): number {
  compileQuery(q, spec);
  const c = compileQuery(q, spec, q.model, localLayout(table));
  return Number(db.all(c.countSql, c.countParams)[0]?.["total"] ?? 0);
}

export function decodeRow(spec: ModelSpec, r: Record<string, SqlValue>): ReplicaRow {
  return {
    ...decodeBody(spec, r),
    _djazzkit_id: String(r["_djazzkit_id"]),
    _djazzkit_rev: Number(r["_djazzkit_rev"]),
    _djazzkit_deleted: r["_djazzkit_deleted"] === 1,
    _djazzkit_updated_at: r["_djazzkit_updated_at"] === null || r["_djazzkit_updated_at"] === undefined ? null : String(r["_djazzkit_updated_at"]),
    _djazzkit_pending: r["_djazzkit_pending"] === 1,
    _conflicts: JSON.parse(String(r["_djazzkit_conflicts"] ?? "[]")) as ReplicaRow["_conflicts"],
  };
}

/** A row by id, tombstones included (for `get` after a local write). */
export function readRow(db: SqlDatabase, spec: ModelSpec, table: string, rowId: string): ReplicaRow | undefined {
  const r = db.all(`SELECT * FROM "${table}" WHERE _djazzkit_id = ?`, [rowId])[0];
  return r && decodeRow(spec, r);
}
