/**
 * The query indexes in the real runtime (durable/storage/query-indexes.ts, `syncQueryIndexes` in
 * storage/migrations.ts): the object starts with exactly the manifest's plan; a changed plan
 * (a manifest update) drops and creates them; answers with the indexes are those the bound-path
 * compiler gives on the same storage, through writes, updates and deletes made after the
 * indexes exist (totals included, counted or read off a short page); and the parameter budget
 * refuses the same queries as before.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { queryIndexesFor, syncQueryIndexes } from "../../durable/storage/migrations.js";
import { indexedLayout, queryIndexPlan } from "../../durable/storage/query-indexes.js";
import { compileQuery } from "../../durable/storage/query-sql.js";
import type { QueryOutcome } from "../../schemas/contract.js";
import type { Identity } from "../../schemas/identity.js";
import { SchemaManifest } from "../../schemas/manifest.js";
import type { BoundedQuery, Condition } from "../../schemas/query.js";
import { Client, MANIFEST, newUser, note, task, uuid } from "../support/workers/object-client.js";

vi.setConfig({ testTimeout: 30_000 });

const manifest = SchemaManifest.parse(MANIFEST);
const stub = (user: string) => env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
const identity = (user: string): Identity => ({ user_id: user, expires_at: null, method: "jwt" });

interface Queryable {
  runQuery(identity: Identity, query: BoundedQuery): Promise<QueryOutcome>;
}

function indexNames(user: string): Promise<string[]> {
  return runInDurableObject(stub(user), (_obj, state) =>
    state.storage.sql.exec<{ name: string }>(`SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'rows_q%' ORDER BY name`).toArray().map((r) => r.name),
  );
}

/** The object's answer, and the bound-path compiler's (no index can match it) on the same storage. */
function both(user: string, q: BoundedQuery): Promise<{ got: QueryOutcome; want: { ids: string[]; total: number } }> {
  return runInDurableObject(stub(user), async (obj, state) => {
    const got = await (obj as unknown as Queryable).runQuery(identity(user), q);
    const c = compileQuery(q, manifest.models[q.model]!);
    const ids = state.storage.sql.exec<{ row_id: string }>(c.sql, ...c.params).toArray().map((r) => r.row_id);
    const total = Number(state.storage.sql.exec<{ total: number }>(c.countSql, ...c.countParams).one().total);
    return { got, want: { ids, total } };
  });
}

const TITLES = ["water the plants", "Plants!", "buy milk", "", "call mum", "PLANTS again", "zz", "a'b"];
const QUERIES: BoundedQuery[] = [
  { model: "notes.Task", where: { and: [{ field: "done", op: "eq", value: false }, { field: "title", op: "icontains", value: "plants" }] }, order_by: [["title", "asc"]], limit: 3, offset: 0 },
  { model: "notes.Task", where: { field: "title", op: "icontains", value: "plants" }, order_by: [["title", "desc"]], limit: 2, offset: 1 },
  { model: "notes.Task", order_by: [["due", "asc"], ["title", "desc"]], limit: 50, offset: 0 },
  { model: "notes.Task", where: { field: "due", op: "gte", value: "2024-03-01" }, order_by: [["due", "desc"]], limit: 4, offset: 0 },
  { model: "notes.Task", where: { not: { field: "title", op: "startswith", value: "b" } }, limit: 100, offset: 0 },
  { model: "notes.Note", where: { field: "priority", op: "lt", value: 3 }, order_by: [["priority", "asc"]], limit: 5, offset: 0 },
  { model: "notes.Note", order_by: [["title", "asc"]], limit: 100, offset: 0 },
  // Totals: a short page (no count needed), a page past the end (counted), an empty answer.
  { model: "notes.Task", where: { field: "title", op: "icontains", value: "plants" }, limit: 2, offset: 2 },
  { model: "notes.Task", where: { field: "title", op: "icontains", value: "plants" }, limit: 5, offset: 50 },
  { model: "notes.Task", where: { field: "title", op: "eq", value: "nothing like this" }, limit: 5, offset: 0 },
];

async function expectSameAnswers(user: string): Promise<void> {
  for (const q of QUERIES) {
    const { got, want } = await both(user, q);
    if (!got.ok) throw new Error(`query failed: ${JSON.stringify(got.error)}`);
    expect(got.rows.map((r) => r._djazzkit_id), JSON.stringify(q)).toEqual(want.ids);
    expect(got.total, JSON.stringify(q)).toBe(want.total);
  }
}

describe("query indexes", () => {
  it("the object starts with the manifest's indexes; answers match the unindexed compiler through later writes", async () => {
    const user = newUser();
    const sock = await Client.forUser(user);
    const ids = TITLES.map(() => uuid());
    const first = await sock.push([
      ...TITLES.map((title, i) => task(ids[i]!, { title, done: i % 3 === 0, due: i % 4 === 0 ? null : `2024-0${1 + (i % 5)}-1${i}` })),
      ...TITLES.map((title, i) => note(uuid(), { title, priority: i % 3 === 0 ? null : i })),
    ]);
    expect(first.results.every((r) => r.status === "applied")).toBe(true);
    // Built when the object started: the bundled manifest (standalone) is at hand then.
    expect(await indexNames(user)).toEqual(queryIndexPlan(manifest).map((i) => i.name).sort());

    await expectSameAnswers(user);
    // workerd's SQLite walks the title index for the bench's query (scenario 7) instead of
    // reading and sorting every row.
    const detail = await runInDurableObject(stub(user), (_obj, state) => {
      const c = compileQuery(QUERIES[0]!, manifest.models["notes.Task"]!, "notes.Task", indexedLayout("notes.Task", new Set(["title", "due"])));
      return state.storage.sql.exec<{ detail: string }>(`EXPLAIN QUERY PLAN ${c.sql}`, ...c.params).toArray().map((r) => r.detail).join("; ");
    });
    expect(detail).toContain("USING INDEX rows_q1_notes.Task.title");
    expect(detail).not.toContain("TEMP B-TREE FOR ORDER BY");

    // Writes after the indexes exist: updates that move rows in title order, a delete, creates.
    const revs = new Map(ids.map((id, i) => [id, first.results[i]!.rev!])); // results follow the mutations' order
    const later = await sock.push([
      task(ids[2]!, { title: "plants at last" }, "update", revs.get(ids[2]!)),
      task(ids[1]!, { title: "aaa plants", done: false }, "update", revs.get(ids[1]!)),
      task(ids[0]!, {}, "delete", revs.get(ids[0]!)),
      task(uuid(), { title: "new plants", done: false, due: "2024-03-05" }),
    ]);
    expect(later.results.every((r) => r.status === "applied")).toBe(true);
    await expectSameAnswers(user);
    sock.close();
  });

  it("a changed plan drops what it no longer names and creates what it adds; answers stay the same", async () => {
    const user = newUser();
    const sock = await Client.forUser(user);
    await sock.push(TITLES.map((title, i) => task(uuid(), { title, done: i % 2 === 0, due: `2024-02-0${1 + i}` })));
    await expectSameAnswers(user);
    const plan = queryIndexPlan(manifest);
    const fewer = plan.filter((i) => i.field !== "due");
    await runInDurableObject(stub(user), (_obj, state) => syncQueryIndexes(state.storage, fewer));
    expect(await indexNames(user)).toEqual(fewer.map((i) => i.name).sort());
    await runInDurableObject(stub(user), (_obj, state) => syncQueryIndexes(state.storage, []));
    expect(await indexNames(user)).toEqual([]);
    await runInDurableObject(stub(user), (_obj, state) => syncQueryIndexes(state.storage, plan));
    expect(await indexNames(user)).toEqual(plan.map((i) => i.name).sort());
    await expectSameAnswers(user);
    sock.close();
  });

  it("a new manifest object (a schema refresh) re-syncs the indexes to its plan; the same object does nothing", async () => {
    const user = newUser();
    const sock = await Client.forUser(user);
    await sock.push([task(uuid(), { title: "x", due: "2024-01-01" })]);
    // The origin's next manifest: Task loses `due` and gains `rank`; Note is gone.
    const taskSpec = manifest.models["notes.Task"]!;
    const { due: _gone, ...kept } = taskSpec.fields;
    const next: SchemaManifest = { schema_version: "0123456789abcdef", models: { "notes.Task": { ...taskSpec, fields: { ...kept, rank: { type: "integer", nullable: true } } } } };
    const fields = await runInDurableObject(stub(user), (_obj, state) => [...(queryIndexesFor(state.storage, next).get("notes.Task") ?? [])]);
    expect(fields).toEqual(["title", "rank"]);
    expect(await indexNames(user)).toEqual(["rows_q1_notes.Task.rank", "rows_q1_notes.Task.title"]);
    // Same manifest object again: no sync (an index dropped behind its back stays dropped).
    await runInDurableObject(stub(user), (_obj, state) => {
      state.storage.sql.exec(`DROP INDEX "rows_q1_notes.Task.rank"`);
      queryIndexesFor(state.storage, next);
    });
    expect(await indexNames(user)).toEqual(["rows_q1_notes.Task.title"]);
    sock.close();
  });

  it("the parameter budget is unchanged: indexed paths still count, so a too-wide query is still query_too_complex", async () => {
    const user = newUser();
    const sock = await Client.forUser(user);
    await sock.push([task(uuid(), { title: "x" })]);
    const wide = (n: number): Condition => ({ and: Array.from({ length: n }, (_, i) => ({ field: "title", op: "ne", value: `v${i}` }) as Condition) });
    const run = (n: number) => runInDurableObject(stub(user), (obj) => (obj as unknown as Queryable).runQuery(identity(user), { model: "notes.Task", where: wide(n), limit: 10, offset: 0 }));
    expect(await run(45)).toMatchObject({ ok: true, total: 1 });
    expect(await run(60)).toMatchObject({ ok: false, error: { code: "query_too_complex" } });
    sock.close();
  });
});
