/**
 * Security (issue 5): SQL (and JSON-path) injection through every string that reaches the
 * object's SQLite: query field names, operators, order_by, values and models; conflict and sync
 * frames; pushed ids and field names. Laws: only typed errors; values are matched literally; the
 * tables and every row stay intact; another user's rows are never returned.
 */
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { HttpBody, snapshot, userStub, type ObjectSnapshot } from "../support/workers/fuzz.js";
import { gate, postJson } from "../support/workers/gate.js";
import type { RowData } from "../../schemas/protocol.js";
import { Client, expectFrame, mid, newUser, note, SCHEMA_VERSION, uuid } from "../support/workers/object-client.js";
import { mintJwt } from "../support/jwt.js";

vi.setConfig({ testTimeout: 30_000 });

const A = newUser();
const B = newUser();
let a: Client;
let aToken = "";
const aRows: string[] = [];
let bBefore: ObjectSnapshot;
let aBefore: ObjectSnapshot;
let aTables = "";

const PAYLOADS = [
  "' OR '1'='1", "' OR 1=1 --", "\" OR \"\"=\"", "1; DROP TABLE rows; --", "'); DROP TABLE rows; --", "') OR 1=1 --",
  "x' UNION SELECT row_id, rev, gen, deleted, data, updated_at FROM rows --", "*/ OR 1=1 /*", "%", "_", "%%", "\\", "'", "\"",
  "$", "$.title", "$..title", "$[0]", "title\") OR 1=1 --", "title' --", "\u0000", "' || (SELECT data FROM rows LIMIT 1) || '",
];

async function tables(user: string): Promise<string> {
  return runInDurableObject(userStub(user), (_o, state) =>
    state.storage.sql.exec<{ sql: string }>(`SELECT name || ':' || coalesce(sql, '') AS sql FROM sqlite_master ORDER BY name`).toArray().map((r) => r.sql).join("\n"),
  );
}

beforeAll(async () => {
  aToken = await mintJwt(A);
  a = await Client.forUser(A);
  const titles = ["plain", "100%", "a_b", "it's", 'say "hi"', "back\\slash"];
  const muts = titles.map((title) => {
    const row = uuid();
    aRows.push(row);
    return note(row, { title });
  });
  expect((await a.push(muts)).results.every((r) => r.status === "applied")).toBe(true);
  const b = await Client.forUser(B);
  await b.push([note(uuid(), { title: "B's plain" }), note(uuid(), { title: "' OR '1'='1" })]);
  b.close();
  bBefore = await snapshot(B);
  aBefore = await snapshot(A);
  aTables = await tables(A);
});

let sent = 0;
/** A's socket, replaced every 100 requests so the per-socket rate limit never answers instead. */
async function aSocket(): Promise<Client> {
  if (++sent % 100 === 0) {
    a.close();
    a = await Client.forUser(A);
  }
  return a;
}

/** Ask over the socket and HTTP; both give the same rows (only A's) or the same typed error. */
async function ask(query: unknown, allowed: string[]): Promise<RowData[] | null> {
  const ws = await (await aSocket()).request({ type: "query", query });
  const res = await gate(postJson("/djazzkit/query", query, { Authorization: `Bearer ${aToken}` }));
  const http = HttpBody.parse(await res.json());
  if (ws.type === "query_result") {
    expect(res.status).toBe(200);
    expect(http.rows).toEqual(ws.rows);
    for (const r of ws.rows) {
      expect(aRows).toContain(r._djazzkit_id);
      expect(r.author).toBe(Number(A));
    }
    return ws.rows;
  }
  const err = expectFrame(ws, "error");
  expect(allowed, `${JSON.stringify(query)} -> ${err.code}: ${err.message}`).toContain(err.code);
  expect(res.status).toBeGreaterThanOrEqual(400);
  expect(res.status).toBeLessThan(500);
  expect(http.code).toBe(err.code);
  return null;
}

async function expectIntact(): Promise<void> {
  expect(await tables(A)).toBe(aTables);
  expect(await snapshot(A)).toEqual(aBefore);
  expect(await snapshot(B)).toEqual(bBefore);
}

describe("injection through queries", () => {
  it("field names in conditions and order_by are unknown fields", async () => {
    for (const p of PAYLOADS) {
      expect(await ask({ model: "notes.Note", where: { field: p, op: "eq", value: 1 } }, ["unknown_field", "invalid_query"])).toBeNull();
      expect(await ask({ model: "notes.Note", where: { field: `title${p}`, op: "eq", value: 1 } }, ["unknown_field", "invalid_query"])).toBeNull();
      expect(await ask({ model: "notes.Note", order_by: [[p, "asc"]] }, ["unknown_field", "invalid_query"])).toBeNull();
    }
    await expectIntact();
  });

  it("operators and order directions outside the grammar are invalid_query", async () => {
    for (const p of [...PAYLOADS, "eq OR 1=1", "= 1 OR 1=1", "LIKE", "GLOB", "REGEXP", "MATCH", "IS NOT"]) {
      expect(await ask({ model: "notes.Note", where: { field: "title", op: p, value: "x" } }, ["invalid_query"])).toBeNull();
      expect(await ask({ model: "notes.Note", order_by: [["title", p]] }, ["invalid_query"])).toBeNull();
      expect(await ask({ model: "notes.Note", order_by: [["title", `asc, (SELECT 1) ${p}`]] }, ["invalid_query"])).toBeNull();
    }
    await expectIntact();
  });

  it("models are unknown_model", async () => {
    for (const p of PAYLOADS) {
      expect(await ask({ model: `notes.Note${p}` }, ["unknown_model", "invalid_query"])).toBeNull();
      expect(await ask({ model: p }, ["unknown_model", "invalid_query"])).toBeNull();
    }
    await expectIntact();
  });

  it("values are matched literally, with every operator", async () => {
    const titleOf = new Map<string, string>();
    const all = (await ask({ model: "notes.Note", limit: 1000 }, []))!;
    for (const r of all) titleOf.set(r._djazzkit_id as string, r.title as string);
    for (const p of PAYLOADS) {
      for (const op of ["eq", "ne", "contains", "icontains", "startswith", "lt", "gte", "in"]) {
        const value = op === "in" ? [p, `${p}'`] : p;
        const rows = await ask({ model: "notes.Note", where: { field: "title", op, value }, limit: 1000 }, []);
        const got = rows!.map((r) => r._djazzkit_id as string).sort();
        const fold = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());
        const want = [...titleOf].filter(([, t]) => {
          switch (op) {
            case "eq": return t === p;
            case "ne": return t !== p;
            case "contains": return t.includes(p);
            case "icontains": return fold(t).includes(fold(p));
            case "startswith": return t.startsWith(p);
            case "lt": return t < p;
            case "gte": return t >= p;
            default: return t === p || t === `${p}'`;
          }
        }).map(([id]) => id).sort();
        expect(got, `${op} ${JSON.stringify(p)}`).toEqual(want);
      }
      // A numeric field given an injection string is a typed refusal, not a coercion.
      expect(await ask({ model: "notes.Note", where: { field: "priority", op: "eq", value: p } }, ["invalid_query"])).toBeNull();
      // A uuid bookkeeping field: literal too.
      expect(await ask({ model: "notes.Note", where: { field: "_djazzkit_id", op: "eq", value: p } }, [])).toEqual([]);
    }
    await expectIntact();
  });
});

describe("injection through other frames", () => {
  it("conflict frames with hostile models and row ids: typed errors only", async () => {
    for (const p of PAYLOADS) {
      for (const frame of [
        { type: "list_conflicts", model: p },
        { type: "list_conflicts", model: `notes.Note${p}` },
        { type: "get_conflicts", model: "notes.Note", row_id: p },
        { type: "get_conflicts", model: p, row_id: aRows[0] },
        { type: "resolve_conflict", mutation_id: mid(), model: "notes.Note", row_id: p, data: { title: p } },
      ]) {
        if (String(frame.model ?? "x").length === 0 || String(frame.row_id ?? "x").length === 0) continue;
        const answer = await (await aSocket()).request(frame);
        const code = answer.type === "push_result" ? answer.results[0]!.code : expectFrame(answer, "error").code;
        expect(["unknown_model", "invalid_message", "invalid_field_value", "unknown_base_rev"], `${JSON.stringify(frame)} -> ${JSON.stringify(answer)}`).toContain(code);
      }
    }
    await expectIntact();
  });

  it("sync_start with hostile cursors and client ids: a (reset) catch-up of A's rows only, or a typed error", async () => {
    for (const p of PAYLOADS) {
      const c = await aSocket();
      const bad = await c.request({ type: "sync_start", client_id: `c${p}`, schema_version: SCHEMA_VERSION, since: p });
      expect(bad).toMatchObject({ type: "error", code: "invalid_message" });
      // Client ids are free text: SQL in one is data. A cursor of another epoch is a reset.
      c.clear();
      c.send({ type: "sync_start", client_id: `c${p}`, schema_version: SCHEMA_VERSION, since: "ffff:1" });
      const ready = await c.takeType("sync_ready");
      expect(ready.server_schema_version).toBe(SCHEMA_VERSION);
      await c.expectNone((f) => f.type === "changes" && f.rows.some((r) => !aRows.includes(r.row_id)), 0);
      c.clear();
    }
    await expectIntact();
  });

  it("pushed field names are unknown fields; pushed ids and values are stored literally", async () => {
    const res = await (await aSocket()).push(PAYLOADS.filter((p) => p.length > 0).map((p) => note(uuid(), { [p]: 1 })));
    for (const r of res.results) expect(r.code).toBe("unknown_field");
    await expectIntact();
    // Ids and values full of SQL are data: applied, idempotent, and read back unchanged.
    const row = uuid();
    const mutation_id = "m'); DROP TABLE mutations; --";
    const mutation = { ...note(row, { title: "'); DROP TABLE rows; --" }), mutation_id };
    const first = await a.push([mutation]);
    expect(first.results[0]!.status).toBe("applied");
    // The same mutation again is a duplicate; the same id with other data is refused (issue 8
    // item 1: `mutation_id_reused`) and writes nothing: the row keeps the first title.
    const again = await a.push([mutation]);
    expect(again.results[0]).toMatchObject({ status: "applied", duplicate: true, rev: first.results[0]!.rev });
    const reused = await a.push([{ ...note(row, { title: "other" }), mutation_id }]);
    expect(reused.results[0]).toMatchObject({ status: "rejected", code: "mutation_id_reused" });
    aRows.push(row);
    const back = await ask({ model: "notes.Note", where: { field: "_djazzkit_id", op: "eq", value: row } }, []);
    expect(back![0]!.title).toBe("'); DROP TABLE rows; --");
    expect(await tables(A)).toBe(aTables);
    expect(await snapshot(B)).toEqual(bBefore);
  });
});
