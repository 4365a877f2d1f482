/**
 * Migration 4 (the leaner write layout, durable/storage/migrations.ts): an object whose
 * data was written in the layout of migrations 1-3 (revisions, trees and mutations as rowid
 * tables, the revisions_parent index) keeps every revision, winner, tree count and mutation
 * result through the copy, and reads, writes, undoes and answers duplicates after it as before.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { LATEST_MIGRATION, migrate } from "../../durable/storage/migrations.js";
import { getLeaves, getRevision, insertRevision, recomputeWinner } from "../../durable/storage/row-store.js";
import { undoRevision } from "../../durable/storage/tree-maintenance.js";
import { StandaloneLink } from "../../durable/origin/link.js";
import { storedFirstMany } from "../../durable/writes/mutation-ids.js";
import type { PlannedMutation } from "../../durable/writes/commit.js";
import { revisionId, type RevNode } from "../../revtree/index.js";
import type { RowData } from "../../schemas/protocol.js";
import { commitWrites } from "../support/workers/commit-writes.js";
import { Client, newUser, note, uuid } from "../support/workers/object-client.js";

vi.setConfig({ testTimeout: 60_000 });

const NOTE = "notes.Note";
const TASK = "notes.Task";
const OPTS = { revsLimit: 1000, nowIso: "2026-01-01T00:00:00.000Z" };

function stub(user: string) {
  return env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));
}

async function rev(parent: RevNode | null, data: RowData | null): Promise<RevNode> {
  return { rev: await revisionId(data === null, parent?.rev ?? null, data), parent: parent?.rev ?? null, deleted: data === null, data };
}

function planned(model: string, rowId: string, node: RevNode, operation: PlannedMutation["operation"], fingerprint?: string): PlannedMutation {
  const mutation_id = crypto.randomUUID();
  return { mutation_id, model, row_id: rowId, operation, node, extra: [], result: { mutation_id, status: "applied", rev: node.rev }, fingerprint };
}

/** Every stored fact of the tables migration 4 copies, in a stable order. */
function snapshot(sql: SqlStorage) {
  const all = (q: string) => sql.exec(q).toArray();
  return {
    revisions: all(`SELECT model, row_id, rev, gen, parent, deleted, is_leaf, data, pending, mutation_id FROM revisions ORDER BY model, row_id, rev`),
    rows: all(`SELECT model, row_id, rev, gen, deleted, data, conflicts, updated_at, seq FROM rows ORDER BY seq`),
    trees: all(`SELECT model, row_id, revs, stem_at FROM trees ORDER BY model, row_id`),
    mutations: all(`SELECT mutation_id, result, created_at, fingerprint FROM mutations ORDER BY mutation_id`),
  };
}

function schemaOf(sql: SqlStorage): Map<string, string> {
  return new Map(
    sql.exec<{ name: string; sql: string | null }>(`SELECT name, sql FROM sqlite_master WHERE tbl_name IN ('revisions', 'trees', 'mutations')`)
      .toArray()
      .map((r) => [r.name, r.sql ?? ""]),
  );
}

describe("migration 4: leaner write layout", () => {
  it("copies data written in the old layout losslessly; writes, undo, catch-up and duplicates work after it", async () => {
    const user = newUser();
    const noteRow = uuid();
    const taskRow = uuid();
    const pendingRow = uuid();
    const legacyMutation = note(uuid(), { title: "before fingerprints" });
    const legacyRow = legacyMutation.row_id;

    const before = await runInDurableObject(stub(user), async (_o, state) => {
      const { storage } = state;
      migrate(storage, 3);
      const old = schemaOf(storage.sql);
      expect(old.has("revisions_parent")).toBe(true);
      expect(old.get("revisions")).not.toMatch(/WITHOUT ROWID/i);
      const link = new StandaloneLink();
      // A revision_tree row with a line, a conflicting branch and a tombstone; a lww task; a
      // row with a pending write (as an origin-backed object holds it); a mutation id stored
      // without fingerprint (migration 2's older rows).
      const a1 = await rev(null, { title: "a1", body: "", archived: false });
      const a2 = await rev(a1, { title: "a2", body: "", archived: false });
      const a2b = await rev(a1, { title: "a2b", body: "", archived: false });
      const a3 = await rev(a2, null);
      const t1 = await rev(null, { title: "t1", done: false });
      const l1 = await rev(null, { title: "before fingerprints", body: "b", archived: false });
      commitWrites(storage, link, [planned(NOTE, noteRow, a1, "create", "f-a1"), planned(TASK, taskRow, t1, "create", "f-t1")], OPTS);
      commitWrites(storage, link, [planned(NOTE, noteRow, a2, "update", "f-a2"), planned(NOTE, noteRow, a2b, "update", "f-a2b")], OPTS);
      commitWrites(storage, link, [planned(NOTE, noteRow, a3, "delete", "f-a3")], OPTS);
      const legacy = planned(NOTE, legacyRow, l1, "create");
      commitWrites(storage, link, [{ ...legacy, mutation_id: legacyMutation.mutation_id, result: { ...legacy.result, mutation_id: legacyMutation.mutation_id } }], OPTS);
      const p1 = await rev(null, { title: "p1", body: "", archived: false });
      const p2 = await rev(p1, { title: "p2", body: "", archived: false });
      storage.transactionSync(() => {
        insertRevision(storage.sql, NOTE, pendingRow, p1, { pending: false, mutationId: "m-p1" });
        insertRevision(storage.sql, NOTE, pendingRow, p2, { pending: true, mutationId: "m-p2" });
        recomputeWinner(storage.sql, NOTE, pendingRow, OPTS.nowIso);
      });
      return { snap: snapshot(storage.sql), a2b, a3, p1, p2 };
    });
    expect(before.snap.revisions).toHaveLength(8);
    expect(before.snap.mutations).toHaveLength(6);

    const after = await runInDurableObject(stub(user), async (_o, state) => {
      const { storage } = state;
      const sql = storage.sql;
      migrate(storage);
      const schema = schemaOf(sql);
      const snap = snapshot(sql);
      const ids = sql.exec<{ id: number }>(`SELECT id FROM _migrations ORDER BY id`).toArray().map((r) => r.id);
      // Reads that name a revision, the leaves, the children test of an insert, undo.
      const a3 = getRevision(sql, NOTE, noteRow, before.a3.rev);
      const leaves = getLeaves(sql, NOTE, noteRow).map((l) => l.rev).sort();
      const a4 = await rev(before.a2b, { title: "a4", body: "", archived: false });
      commitWrites(storage, new StandaloneLink(), [planned(NOTE, noteRow, a4, "update", "f-a4")], OPTS);
      const leavesAfterWrite = getLeaves(sql, NOTE, noteRow).map((l) => l.rev).sort();
      const a2bBody = getRevision(sql, NOTE, noteRow, before.a2b.rev)?.data;
      const undone = storage.transactionSync(() => {
        const outcome = undoRevision(sql, NOTE, pendingRow, before.p2.rev);
        recomputeWinner(sql, NOTE, pendingRow, OPTS.nowIso);
        return outcome;
      });
      const pendingLeaves = getLeaves(sql, NOTE, pendingRow).map((l) => l.rev);
      const firsts = storedFirstMany(sql, before.snap.mutations.map((m) => String(m["mutation_id"])));
      return { schema: Object.fromEntries(schema), snap, ids, a3, leaves, a4: a4.rev, leavesAfterWrite, a2bBody, undone, pendingLeaves, firsts: [...firsts.values()] };
    });

    expect(after.ids).toEqual(Array.from({ length: LATEST_MIGRATION }, (_, i) => i + 1));
    // revisions: a rowid table keyed by (model, row_id, gen, rev); trees and mutations clustered.
    expect(after.schema["revisions"]).toMatch(/PRIMARY KEY \(model, row_id, gen, rev\)\)$/);
    expect(after.schema["trees"]).toMatch(/WITHOUT ROWID/);
    expect(after.schema["mutations"]).toMatch(/WITHOUT ROWID/);
    expect(after.schema["revisions_parent"]).toBeUndefined();
    expect(Object.keys(after.schema).sort()).toEqual(["mutations", "revisions", "revisions_leaves", "revisions_pending", "sqlite_autoindex_revisions_1", "trees"]);
    expect(after.snap).toEqual(before.snap); // every column of every record, nothing more
    expect(after.a3).toMatchObject({ rev: before.a3.rev, deleted: true, isLeaf: true });
    expect(after.leaves).toEqual([before.a3.rev, before.a2b.rev].sort());
    // The new child of a2b made it interior (and, written confirmed, dropped its body).
    expect(after.leavesAfterWrite).toEqual([before.a3.rev, after.a4].sort());
    expect(after.a2bBody).toBeNull();
    expect(after.undone).toBe("undone");
    expect(after.pendingLeaves).toEqual([before.p1.rev]);
    expect(after.firsts.every((f) => f !== null && f.result.status === "applied")).toBe(true);

    // The real object serves the migrated rows and answers a pre-migration mutation id.
    const client = await Client.forUser(user);
    const { changes } = await client.syncStart();
    const rows = changes.flatMap((f) => f.rows);
    expect(rows.map((r) => r.row_id).sort()).toEqual([noteRow, taskRow, pendingRow, legacyRow].sort());
    expect(rows.find((r) => r.row_id === noteRow)).toMatchObject({ rev: after.a4, deleted: false, conflicts: [] });
    expect(rows.find((r) => r.row_id === pendingRow)).toMatchObject({ rev: before.p1.rev });
    const dup = await client.push([legacyMutation]);
    expect(dup.results[0]).toMatchObject({ mutation_id: legacyMutation.mutation_id, status: "applied", duplicate: true });
  });
});
