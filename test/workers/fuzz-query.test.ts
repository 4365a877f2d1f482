/**
 * Fuzzing query ASTs (PROTOCOL 4.2, issue 5) in the real runtime, over the socket and over HTTP:
 * random trees with random fields, operators and values (well-formed or not). Laws: the socket
 * and HTTP give the same answer (rows or error code); no answer is `internal` or a 5xx; every
 * row returned is the user's own; and for well-typed queries the rows are exactly those a
 * reference evaluator (Django's semantics as documented in durable/storage/query-sql.ts) selects.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { expectNoInternal, expectRelayFrame, expectTypedHttp, exchange, hostileJson, HOSTILE_STRINGS, snapshot } from "../support/workers/fuzz.js";
import { gate, postJson } from "../support/workers/gate.js";
import { Client, expectFrame, newUser, note, uuid, type Frame } from "../support/workers/object-client.js";
import { mintJwt } from "../support/jwt.js";
import type { RowData } from "../../schemas/protocol.js";

vi.setConfig({ testTimeout: 60_000 });

const user = newUser();
let token = "";
let sock: Client;
let used = 0;

interface Seeded {
  row_id: string;
  title: string;
  body: string;
  archived: boolean;
  priority: number | null;
}
const seeded: Seeded[] = [];

const TITLES = ["", "a", "A", "ab", "Ab", "b", "a%b", "a_b", "100%", "x'y", 'q"r', "zz", "ba"];
const PRIORITIES = [null, -1, 0, 1, 2, 5, 10];

beforeAll(async () => {
  token = await mintJwt(user);
  sock = await Client.forUser(user);
  const mutations = [];
  for (let i = 0; i < 16; i++) {
    const row: Seeded = {
      row_id: uuid(),
      title: TITLES[i % TITLES.length]!,
      body: TITLES[(i * 5) % TITLES.length]!,
      archived: i % 3 === 0,
      priority: PRIORITIES[i % PRIORITIES.length]!,
    };
    seeded.push(row);
    mutations.push(note(row.row_id, { title: row.title, body: row.body, archived: row.archived, priority: row.priority }));
  }
  const res = await sock.push(mutations);
  expect(res.results.every((r) => r.status === "applied")).toBe(true);
  // Another user's rows, which no query of `user` may ever return.
  const other = await Client.forUser(newUser());
  await other.push([note(uuid(), { title: "a" }), note(uuid(), { title: "other" })]);
  other.close();
});

afterAll(() => sock.close());

async function socketQuery(query: unknown): Promise<Frame> {
  if (sock.closeEvent !== null || used > 150) {
    sock.close();
    sock = await Client.forUser(user);
    used = 0;
  }
  used += 1;
  const request_id = "q-" + uuid();
  const answers = await exchange(sock, JSON.stringify({ type: "query", request_id, query }), 5);
  for (const f of answers) expectRelayFrame(f);
  expectNoInternal(answers, query);
  // A frame over the size limit is refused before it is parsed, so its error has no request_id.
  const answer = answers.find((f) => "request_id" in f && f.request_id === request_id) ?? answers.find((f) => f.type === "error" && f.code === "message_too_large");
  if (!answer) throw new Error(`no answer to query ${JSON.stringify(query)}: ${JSON.stringify(answers)}`);
  return answer;
}

/** Ask both ways; check they agree and that only the user's rows come back. */
async function both(query: unknown): Promise<{ ok: true; rows: RowData[] } | { ok: false; code: string }> {
  const ws = await socketQuery(query);
  const res = await gate(postJson("/djazzkit/query", JSON.stringify(query), { Authorization: `Bearer ${token}` }));
  const http = await expectTypedHttp(res, query);
  if (http.status === 200) {
    expect(ws.type, JSON.stringify({ query, ws, http: http.body })).toBe("query_result");
    if (ws.type !== "query_result") throw new Error("unreachable");
    expect(ws.rows).toEqual(http.body!.rows);
    for (const r of ws.rows) expect(String(r.author)).toBe(user);
    return { ok: true, rows: ws.rows };
  }
  const err = expectFrame(ws, "error");
  expect(err, JSON.stringify({ query, http: http.body })).toMatchObject({ code: http.body!.code });
  return { ok: false, code: err.code };
}

// ---- random (mostly ill-formed) trees -------------------------------------------------------

const FIELDS = ["title", "body", "archived", "priority", "tags", "author", "_djazzkit_id", "_djazzkit_rev", "_djazzkit_updated_at", "_djazzkit_deleted"];
const OPS = ["eq", "ne", "lt", "lte", "gt", "gte", "in", "contains", "icontains", "startswith", "isnull"];

const anyScalar = fc.oneof(fc.constantFrom(...HOSTILE_STRINGS), fc.string({ maxLength: 10 }), fc.double(), fc.integer(), fc.boolean(), fc.constant(null));
const anyCondition: fc.Arbitrary<unknown> = fc.letrec<{ c: unknown }>((tie) => ({
  c: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({
      field: fc.oneof(fc.constantFrom(...FIELDS), fc.constantFrom(...HOSTILE_STRINGS)),
      op: fc.oneof(fc.constantFrom(...OPS), fc.constantFrom("like", "regex", "EQ", "= 1 OR 1=1", "")),
      value: fc.oneof(anyScalar, fc.array(anyScalar, { maxLength: 5 }), hostileJson),
    }, { requiredKeys: ["field", "op"] }),
    fc.record({ and: fc.array(tie("c"), { maxLength: 4 }) }),
    fc.record({ or: fc.array(tie("c"), { maxLength: 4 }) }),
    fc.record({ not: tie("c") }),
    hostileJson,
  ),
})).c;

const anyQuery = fc.record({
  model: fc.oneof(fc.constant("notes.Note"), fc.constantFrom("notes.Task", "notes.Announcement", "nope.Model", ...HOSTILE_STRINGS)),
  where: anyCondition,
  order_by: fc.oneof(
    fc.array(fc.tuple(fc.oneof(fc.constantFrom(...FIELDS), fc.constantFrom(...HOSTILE_STRINGS)), fc.oneof(fc.constantFrom("asc", "desc"), fc.string({ maxLength: 6 }))), { maxLength: 3 }),
    hostileJson,
  ),
  limit: fc.oneof(fc.integer({ min: -2, max: 1002 }), hostileJson),
  offset: fc.oneof(fc.integer({ min: -2, max: 10_002 }), hostileJson),
}, { requiredKeys: ["model"] });

// ---- well-typed trees and their reference evaluation ----------------------------------------

type Cond =
  | { field: "title" | "body"; op: string; value: string | string[] | boolean | null }
  | { field: "priority"; op: string; value: number | (number | null)[] | boolean | null }
  | { field: "archived"; op: string; value: boolean | boolean[] | null }
  | { and: Cond[] }
  | { or: Cond[] }
  | { not: Cond };

const titleValue = fc.constantFrom(...TITLES, "B", "%", "_", "'", "A%");
const textCond = fc.oneof(
  fc.record({ field: fc.constantFrom("title" as const, "body" as const), op: fc.constantFrom("eq", "ne", "lt", "lte", "gt", "gte", "contains", "icontains", "startswith"), value: titleValue }),
  fc.record({ field: fc.constantFrom("title" as const, "body" as const), op: fc.constant("in"), value: fc.array(titleValue, { maxLength: 4 }) }),
  fc.record({ field: fc.constantFrom("title" as const, "body" as const), op: fc.constantFrom("eq", "ne"), value: fc.constant(null) }),
);
const priorityValue = fc.constantFrom(-1, 0, 1, 2, 3, 5, 10, 1.5);
const numCond = fc.oneof(
  fc.record({ field: fc.constant("priority" as const), op: fc.constantFrom("eq", "ne", "lt", "lte", "gt", "gte"), value: priorityValue }),
  fc.record({ field: fc.constant("priority" as const), op: fc.constant("in"), value: fc.array(fc.oneof(priorityValue, fc.constant(null)), { maxLength: 4 }) }),
  fc.record({ field: fc.constant("priority" as const), op: fc.constantFrom("eq", "ne"), value: fc.constant(null) }),
  fc.record({ field: fc.constant("priority" as const), op: fc.constant("isnull"), value: fc.boolean() }),
);
const boolCond = fc.record({ field: fc.constant("archived" as const), op: fc.constantFrom("eq", "ne"), value: fc.boolean() });

const typedCondition: fc.Arbitrary<Cond> = fc.letrec<{ c: Cond }>((tie) => ({
  c: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    textCond as fc.Arbitrary<Cond>,
    numCond as fc.Arbitrary<Cond>,
    boolCond as fc.Arbitrary<Cond>,
    fc.record({ and: fc.array(tie("c"), { maxLength: 3 }) }),
    fc.record({ or: fc.array(tie("c"), { maxLength: 3 }) }),
    fc.record({ not: tie("c") }),
  ),
})).c;

/** Django-on-SQLite semantics: comparisons with NULL are false, `ne` is IS NOT, `in` drops nulls. */
function matches(row: Seeded, c: Cond): boolean {
  if ("and" in c) return c.and.every((x) => matches(row, x));
  if ("or" in c) return c.or.some((x) => matches(row, x));
  if ("not" in c) return !matches(row, c.not);
  const v: string | number | boolean | null = row[c.field];
  const want = c.value;
  const fold = (s: string) => s.replace(/[A-Z]/g, (ch) => ch.toLowerCase());
  switch (c.op) {
    case "isnull": return (v === null) === want;
    case "eq": return want === null ? v === null : v !== null && v === want;
    case "ne": return want === null ? v !== null : v !== want;
    case "in": return v !== null && (want as unknown[]).filter((x) => x !== null).includes(v);
    case "lt": return v !== null && (v as number | string) < (want as number | string);
    case "lte": return v !== null && (v as number | string) <= (want as number | string);
    case "gt": return v !== null && (v as number | string) > (want as number | string);
    case "gte": return v !== null && (v as number | string) >= (want as number | string);
    case "contains": return typeof v === "string" && v.includes(want as string);
    case "startswith": return typeof v === "string" && v.startsWith(want as string);
    case "icontains": return typeof v === "string" && fold(v).includes(fold(want as string));
  }
  throw new Error(`no reference for ${c.op}`);
}

describe("query ASTs", () => {
  it("random trees get the same typed answer over the socket and HTTP, and only the user's rows", async () => {
    const before = await snapshot(user);
    await fc.assert(
      fc.asyncProperty(anyQuery, async (query) => {
        await both(query);
      }),
      { numRuns: 150 },
    );
    expect(await snapshot(user)).toEqual(before);
  });

  it("well-typed trees select exactly the rows the reference evaluator selects", async () => {
    const sizes = new Set<number>();
    await fc.assert(
      fc.asyncProperty(typedCondition, async (where) => {
        const out = await both({ model: "notes.Note", where, limit: 1000 });
        if (!out.ok) {
          // Only size limits may refuse a well-typed tree.
          expect(["query_too_complex"]).toContain(out.code);
          return;
        }
        const got = out.rows.map((r) => r._djazzkit_id as string).sort();
        const want = seeded.filter((r) => matches(r, where)).map((r) => r.row_id).sort();
        expect(got, JSON.stringify(where)).toEqual(want);
        sizes.add(got.length);
      }),
      { numRuns: 150 },
    );
    // The generator is not degenerate: answers of many sizes, empty and full included.
    expect(sizes.size).toBeGreaterThan(5);
  });

  it("ordering by any field with limit/offset pages through every row exactly once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.constantFrom("title", "body", "archived", "priority", "_djazzkit_updated_at", "_djazzkit_rev", "_djazzkit_id"), fc.constantFrom("asc", "desc")), { maxLength: 3 }),
        fc.integer({ min: 1, max: 7 }),
        async (order_by, limit) => {
          const ids: string[] = [];
          for (let offset = 0; offset < seeded.length + limit; offset += limit) {
            const out = await both({ model: "notes.Note", order_by, limit, offset });
            if (!out.ok) throw new Error(out.code);
            ids.push(...out.rows.map((r) => r._djazzkit_id as string));
          }
          expect([...ids].sort()).toEqual(seeded.map((r) => r.row_id).sort());
        },
      ),
      { numRuns: 15 },
    );
  });
});
