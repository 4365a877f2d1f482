/**
 * The compiled SQL inside the real runtime: a Durable Object's SQLite in workerd (Miniflare) has
 * tighter limits than a stock SQLite (100 bound parameters, expression depth 100). The largest
 * queries parseQuery admits must either run there, agreeing with better-sqlite3, or be refused
 * by compileQuery with a typed error; never fail inside SQLite.
 */
import Database from "better-sqlite3";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileQuery, MAX_SQL_PARAMS, type CompiledQuery } from "../../durable/storage/query-sql.js";
import { RelayError } from "../../schemas/errors.js";
import type { ModelSpec } from "../../schemas/manifest.js";
import { MAX_IN_VALUES, MAX_QUERY_CONDITIONS, MAX_QUERY_DEPTH, parseQuery, type Condition } from "../../schemas/query.js";

const DDL = `CREATE TABLE IF NOT EXISTS rows (
  model TEXT NOT NULL, row_id TEXT NOT NULL, rev TEXT NOT NULL, gen INTEGER NOT NULL, deleted INTEGER NOT NULL,
  data TEXT, conflicts TEXT NOT NULL DEFAULT '[]', updated_at TEXT NOT NULL, seq INTEGER NOT NULL,
  PRIMARY KEY (model, row_id))`;
const SPEC: ModelSpec = {
  table: "t", scope: "user", owner_field: "author", conflict_mode: "lww", strategy: "sync", has_resolver: false,
  fields: {
    title: { type: "string", nullable: false }, n: { type: "integer", nullable: true }, flag: { type: "boolean", nullable: true },
    amount: { type: "decimal", nullable: true }, tags: { type: "json", nullable: true }, author: { type: "integer", nullable: false },
  },
};
const ROWS = Array.from({ length: 40 }, (_, i) => ({
  row_id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
  data: JSON.stringify({ title: `t${i % 7}${i % 2 ? "A" : "a"}`, n: i % 5 === 0 ? null : i % 9, flag: i % 3 === 0, amount: i % 4 ? `${i}.50` : i, tags: i % 6 ? [i] : "x", author: 1 }),
  updated_at: `2024-01-01T00:00:${String(i % 13).padStart(2, "0")}Z`,
}));

let mf: Miniflare;
const local = new Database(":memory:");
beforeAll(async () => {
  mf = new Miniflare({
    modules: true,
    compatibilityDate: "2025-04-01",
    script: `
      import { DurableObject } from "cloudflare:workers";
      export class O extends DurableObject {
        async fetch(req) {
          const { sql, params } = await req.json();
          try { return Response.json({ rows: this.ctx.storage.sql.exec(sql, ...params).toArray() }); }
          catch (e) { return Response.json({ error: String(e.message) }); }
        }
      }
      export default { fetch(req, env) { return env.O.get(env.O.idFromName("t")).fetch(req); } };`,
    durableObjects: { O: { className: "O", useSQLite: true } },
  });
  const insert = "INSERT INTO rows (model, row_id, rev, gen, deleted, data, updated_at, seq) VALUES ('lab.T', ?, '1-x', 1, 0, ?, ?, 1)";
  await exec(DDL, []);
  local.exec(DDL);
  for (const r of ROWS) {
    await exec(insert, [r.row_id, r.data, r.updated_at]);
    local.prepare(insert).run(r.row_id, r.data, r.updated_at);
  }
}, 60_000);
afterAll(async () => {
  await mf?.dispose();
  local.close();
});

async function exec(sql: string, params: unknown[]): Promise<unknown[]> {
  const res = (await (await mf.dispatchFetch("http://do/", { method: "POST", body: JSON.stringify({ sql, params }) })).json()) as {
    rows?: unknown[];
    error?: string;
  };
  if (res.error !== undefined) throw new Error(`workerd SQLite: ${res.error}`);
  return res.rows!;
}

/** Run in workerd and in better-sqlite3; both must agree. */
async function runBoth(c: CompiledQuery): Promise<string[]> {
  const remote = (await exec(c.sql, c.params)) as Array<{ row_id: string }>;
  const mine = local.prepare(c.sql).all(...c.params) as Array<{ row_id: string }>;
  expect(remote.map((r) => r.row_id)).toEqual(mine.map((r) => r.row_id));
  const [count] = (await exec(c.countSql, c.countParams)) as Array<{ total: number }>;
  expect(count).toEqual(local.prepare(c.countSql).get(...c.countParams));
  return remote.map((r) => r.row_id);
}
const bounded = (where: Condition, extra: object = {}) =>
  parseQuery({ model: "lab.T", where, limit: 1000, ...extra }, { maxLimit: 1000, maxOffset: 10_000 });

describe("compiled SQL in workerd's SQLite", () => {
  it("every operator on every field type runs and agrees with better-sqlite3", async () => {
    const leaves: Condition[] = [
      { field: "title", op: "icontains", value: "T1A" }, { field: "title", op: "contains", value: "a" },
      { field: "title", op: "startswith", value: "t3" }, { field: "n", op: "in", value: [1, 2, null, "3"] },
      { field: "n", op: "ne", value: 4 }, { field: "n", op: "isnull", value: true }, { field: "flag", op: "eq", value: true },
      { field: "amount", op: "gte", value: "10.5" }, { field: "tags", op: "eq", value: "x" },
      { field: "_djazzkit_updated_at", op: "lt", value: "2024-01-01T00:00:05Z" }, { field: "_djazzkit_rev", op: "eq", value: 1 },
    ];
    for (const where of leaves) await runBoth(compileQuery(bounded(where), SPEC));
    const all = await runBoth(compileQuery(bounded({ and: [] }, { order_by: [["amount", "desc"], ["title", "asc"]] }), SPEC));
    expect(all).toHaveLength(40);
  });

  it("the deepest tree parseQuery admits runs", async () => {
    let where: Condition = { field: "title", op: "icontains", value: "a" };
    for (let i = 1; i < MAX_QUERY_DEPTH; i++) where = i % 2 ? { not: where } : { or: [where, { field: "n", op: "lt", value: i }] };
    await runBoth(compileQuery(bounded(where), SPEC));
  });

  it("the longest `in` lists parseQuery admits run, each list as one parameter", async () => {
    const list = Array.from({ length: MAX_IN_VALUES }, (_, i) => i);
    const where: Condition = { or: Array.from({ length: 20 }, () => ({ field: "n", op: "in", value: list }) as Condition) };
    const c = compileQuery(bounded(where), SPEC);
    expect(c.params.length).toBeLessThanOrEqual(MAX_SQL_PARAMS);
    expect(await runBoth(c)).toHaveLength(32);
  });

  it("the widest tree parseQuery admits either runs or is query_too_complex, never an SQLite error", async () => {
    const widest = (n: number): Condition => ({ and: Array.from({ length: n }, (_, i) => ({ field: "title", op: "ne", value: `v${i}` }) as Condition) });
    for (let n = 1; n < MAX_QUERY_CONDITIONS; n += 7) {
      const q = bounded(widest(n), { order_by: [["title", "asc"], ["n", "desc"], ["amount", "asc"]] });
      let c: CompiledQuery;
      try {
        c = compileQuery(q, SPEC);
      } catch (e) {
        expect(e).toBeInstanceOf(RelayError);
        expect((e as RelayError).code).toBe("query_too_complex");
        continue;
      }
      await runBoth(c);
    }
    // 2 parameters a comparison: ~48 comparisons fit in one statement
    await runBoth(compileQuery(bounded(widest(45)), SPEC));
    expect(() => compileQuery(bounded(widest(60)), SPEC)).toThrow(/SQL parameters/);
  });
});
