/**
 * Differential property test: the client's replica (rows arriving as `changes`, stored by the
 * ReplicaStore in typed per-model tables, queried with runLocalQuery) against the relay's query
 * (the same rows in its `rows` table as JSON, parsed, checked and compiled exactly as
 * durable/handlers/query.ts does) over random rows and random ASTs, valid or not: both answer
 * the same rows, field for field, in the same order, the same count, or the same error code.
 */
import Database from "better-sqlite3";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { openNodeStore } from "@djazzkit/core/node";
import { compileQuery } from "../../durable/storage/query-sql.js";
import { rowToRecord } from "../../durable/storage/query-rows.js";
import { RelayError } from "../../schemas/errors.js";
import type { Manifest } from "../../schemas/manifest.js";
import type { ChangeRow } from "../../schemas/protocol.js";
import { checkQueryFields, parseQuery, type QueryBounds } from "../../schemas/query.js";
import { boundQuery, countLocal, runLocalQuery } from "../../client/replica/local-query.js";
import { createBookkeepingTables, createModelTables } from "../../client/replica/replica-schema.js";
import { ReplicaStore } from "../../client/replica/replica-store.js";
import { ALL_FIELDS, MODEL, queryArb, type Row, rowsArb, SPEC } from "./query-arbitraries.js";

const BOUNDS: QueryBounds = { maxLimit: 1000, maxOffset: 10_000 };
const MANIFEST: Manifest = { schema_version: "0123456789abcdef", models: { [MODEL]: SPEC, "lab.Other": { ...SPEC, table: "lab_other" } } };

// ---- the relay's side: its rows table and its query pipeline -------------------------------

const relayDb = new Database(":memory:");
relayDb.exec(`CREATE TABLE rows (
  model TEXT NOT NULL, row_id TEXT NOT NULL, rev TEXT NOT NULL, gen INTEGER NOT NULL, deleted INTEGER NOT NULL,
  data TEXT, conflicts TEXT NOT NULL DEFAULT '[]', updated_at TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (model, row_id))`);
const relayInsert = relayDb.prepare("INSERT INTO rows (model, row_id, rev, gen, deleted, data, updated_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");

type Answer = { rows: Record<string, unknown>[]; total: number } | { error: string };

function relayQuery(raw: unknown): Answer {
  try {
    const q = parseQuery(raw, BOUNDS);
    checkQueryFields(q, MANIFEST);
    const c = compileQuery(q, MANIFEST.models[q.model]!);
    const rows = relayDb.prepare(c.sql).all(...c.params).map((r) => rowToRecord(r as Record<string, unknown>));
    const total = (relayDb.prepare(c.countSql).get(...c.countParams) as { total: number }).total;
    return { rows, total };
  } catch (err) {
    if (err instanceof RelayError) return { error: err.code };
    throw err;
  }
}

// ---- the client's side: changes frames into the replica, queries over it ---------------------

const local = openNodeStore(":memory:");
createBookkeepingTables(local);
createModelTables(local, MANIFEST);
const store = new ReplicaStore(local, MANIFEST);
afterAll(() => { relayDb.close(); local.close(); });

function localQuery(raw: unknown): Answer {
  try {
    const q = boundQuery(raw, BOUNDS);
    const target = store.specOf(q.model);
    if (!target) return { error: "not local" };
    return { rows: runLocalQuery(local, q, target.spec, target.table), total: countLocal(local, q, target.spec, target.table) };
  } catch (err) {
    if (err instanceof RelayError) return { error: err.code };
    throw err;
  }
}

const rev = (gen: number) => `${gen}-${"0".repeat(32)}`;

function load(rows: Row[]): void {
  relayDb.exec("DELETE FROM rows");
  rows.forEach((r, i) => relayInsert.run(r.model, r.row_id, rev(r.gen), r.gen, r.deleted ? 1 : 0, r.deleted ? null : JSON.stringify(r.data), r.updated_at, i + 1));
  // What the relay's changes feed sends for the same rows (body plus bookkeeping, as one reset frame).
  const changes: ChangeRow[] = rows.map((r) => ({
    model: r.model, row_id: r.row_id, rev: rev(r.gen), deleted: r.deleted, conflicts: [],
    data: r.deleted ? null : { ...r.data, _djazzkit_id: r.row_id, _djazzkit_rev: r.gen, _djazzkit_deleted: false, _djazzkit_updated_at: r.updated_at },
  }));
  store.applyChanges(changes, "0a:1", true);
}

/** A relay record and a replica row carry the same fields (an absent body key reads as null). */
function normalize(a: Answer): unknown {
  if ("error" in a) return a;
  return {
    total: a.total,
    rows: a.rows.map((r) => {
      const out: Record<string, unknown> = {};
      for (const f of [...Object.keys(SPEC.fields), "_djazzkit_id", "_djazzkit_rev", "_djazzkit_deleted", "_djazzkit_updated_at"]) out[f] = r[f] ?? null;
      return out;
    }),
  };
}

/** Valid ASTs, and ASTs broken the ways clients break them: bounds, unknown names, bad shapes. */
const rawQueryArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: queryArb },
  {
    weight: 2,
    arbitrary: fc.tuple(queryArb, fc.constantFrom<unknown>(0, 1001, 1.5, "10", -1, null, undefined), fc.constantFrom<unknown>(-1, 10_001, 0.5, "0", undefined))
      .map(([q, limit, offset]) => ({ ...q, limit, offset })),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(queryArb, fc.constantFrom("nope", "__proto__", "data", "_djazzkit_pending", ALL_FIELDS[0]!))
      .map(([q, field]) => ({ ...q, where: { and: [q.where ?? { and: [] }, { field, op: "eq", value: 1 }] } })),
  },
  { weight: 1, arbitrary: queryArb.map((q) => ({ ...q, model: "nope.Nope" })) },
  { weight: 1, arbitrary: queryArb.map((q) => ({ ...q, order_by: [["title", "sideways"]] })) },
  { weight: 1, arbitrary: queryArb.map((q) => ({ ...q, extra: true })) },
);

describe("the replica answers queries exactly as the relay does", () => {
  it("same rows (every field), same order, same count, or the same error, for random rows and ASTs", () => {
    fc.assert(
      fc.property(rowsArb, fc.array(rawQueryArb, { minLength: 1, maxLength: 6 }), (rows, queries) => {
        load(rows);
        for (const q of queries) {
          const relay = relayQuery(q);
          const replica = localQuery(q);
          if ("error" in relay && relay.error === "unknown_model") continue; // the client sends these to the relay
          expect(normalize(replica), JSON.stringify(q)).toEqual(normalize(relay));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("answers agree after random updates and deletes arrive as later changes frames", () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, fc.array(queryArb, { minLength: 1, maxLength: 4 }), (first, second, queries) => {
        load(first);
        // Later frames overwrite some rows (same ids) and add others, without a reset.
        const later = second.map((r, i) => (first[i] ? { ...r, model: first[i]!.model, row_id: first[i]!.row_id } : r));
        const byKey = new Map(first.map((r) => [`${r.model}/${r.row_id}`, r]));
        for (const r of later) byKey.set(`${r.model}/${r.row_id}`, r);
        const merged = [...byKey.values()];
        relayDb.exec("DELETE FROM rows");
        merged.forEach((r, i) => relayInsert.run(r.model, r.row_id, rev(r.gen), r.gen, r.deleted ? 1 : 0, r.deleted ? null : JSON.stringify(r.data), r.updated_at, i + 1));
        store.applyChanges(later.map((r) => ({
          model: r.model, row_id: r.row_id, rev: rev(r.gen), deleted: r.deleted, conflicts: [],
          data: r.deleted ? null : { ...r.data, _djazzkit_updated_at: r.updated_at },
        })), "0a:2", false);
        for (const q of queries) expect(normalize(localQuery(q)), JSON.stringify(q)).toEqual(normalize(relayQuery(q)));
      }),
      { numRuns: 150 },
    );
  });
});
