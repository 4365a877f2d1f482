/**
 * The browser SDK checks relay frames and query ASTs by hand (no zod in its bundle). Those guards
 * must accept exactly what the zod schemas accept: checked here on valid frames of every type and
 * on random corruptions of them (a key dropped, a value replaced, a key added), and on random
 * corruptions of query ASTs (same error code as the relay's parseQuery).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { guardRelayMessage, isValidMutation } from "../../client/frame-guard.js";
import { RelayError } from "../../schemas/errors.js";
import { Mutation, RelayMessage } from "../../schemas/protocol.js";
import { parseQuery } from "../../schemas/query.js";
import { parseQueryGuarded } from "../../schemas/query-guard.js";
import { queryArb } from "./query-arbitraries.js";

const REV = `2-${"a".repeat(32)}`;
const VALID: Record<string, unknown>[] = [
  { type: "schema_mismatch", client_schema_version: "a", server_schema_version: "b", message: "m" },
  { type: "changes", rows: [{ model: "notes.Note", row_id: "r1", rev: REV, data: { title: "x" }, deleted: false, conflicts: [REV] }], cursor: "ab:3", more: false, reset: true },
  { type: "changes", rows: [{ model: "notes.Note", row_id: "r1", rev: REV, data: null, deleted: true, conflicts: [] }], cursor: "ab:3", more: true },
  { type: "sync_ready", cursor: "ab:3", server_schema_version: "v", identity: { user_id: "7", anonymous: false }, credential: "expired" },
  { type: "sync_ready", cursor: "ab:3", server_schema_version: "v" },
  { type: "push_result", request_id: "q", results: [{ mutation_id: "m", status: "applied", rev: REV, duplicate: true }, { mutation_id: "n", status: "rejected", code: "forbidden", message: "no" }] },
  { type: "mutation_confirmed", mutation_id: "m", rev: REV },
  { type: "mutation_rejected", mutation_id: "m", rev: REV, code: "origin_rejected", message: "no" },
  { type: "query_result", request_id: "q", rows: [{ a: 1 }], total: 1 },
  { type: "rpc_result", request_id: "q", result: [1, { x: null }] },
  { type: "conflicts", request_id: "q", model: "notes.Note", row_id: "r", winner: { rev: REV, data: { a: 1 } }, conflicts: [{ rev: REV, data: null }] },
  { type: "conflict_list", request_id: "q", rows: [{ model: "m", row_id: "r", rev: REV, conflicts: [REV] }] },
  { type: "auth_ok", request_id: "q", user_id: "7", expires_at: 1700000000, identity: { user_id: null, anonymous: true } },
  { type: "error", request_id: "q", code: "rate_limited", message: "slow", details: { retry_after_ms: 100 } },
  { type: "pong" },
];
const zodAccepts = (v: unknown) => RelayMessage.safeParse(v).success;
const guardAccepts = (v: unknown) => guardRelayMessage(v) !== undefined;

/** Replaces the value at a random path of a JSON value. */
function corrupt(v: unknown, path: number[], replacement: unknown, mode: "replace" | "drop" | "add"): unknown {
  if (typeof v !== "object" || v === null) return replacement;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(v) ? [...v] : { ...(v as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0 || path.length === 0) {
    if (mode === "add" && !Array.isArray(copy)) (copy as Record<string, unknown>)["extra"] = replacement;
    return copy;
  }
  const key = keys[path[0]! % keys.length]!;
  const child = (copy as Record<string, unknown>)[key];
  if (path.length === 1 || typeof child !== "object" || child === null) {
    if (mode === "drop" && !Array.isArray(copy)) delete (copy as Record<string, unknown>)[key];
    else if (mode === "add" && !Array.isArray(copy)) (copy as Record<string, unknown>)["extra"] = replacement;
    else (copy as Record<string, unknown>)[key] = replacement;
    return copy;
  }
  (copy as Record<string, unknown>)[key] = corrupt(child, path.slice(1), replacement, mode);
  return copy;
}
const jsonValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, "", "x", REV, "ab:3", "forbidden", "notes.Note", "applied", [], {}, [REV], { a: 1 }),
  fc.jsonValue({ maxDepth: 2 }),
);

describe("frame guard agrees with the zod protocol schema", () => {
  it("accepts every valid frame", () => {
    for (const f of VALID) {
      expect(zodAccepts(f), JSON.stringify(f)).toBe(true);
      expect(guardAccepts(f), JSON.stringify(f)).toBe(true);
    }
  });

  it("accepts and refuses the same random corruptions of valid frames", () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.array(fc.nat(), { minLength: 1, maxLength: 4 }), jsonValue, fc.constantFrom("replace", "drop", "add") as fc.Arbitrary<"replace" | "drop" | "add">,
        (frame, path, value, mode) => {
          const bad = corrupt(frame, path, value, mode);
          expect(guardAccepts(bad), JSON.stringify(bad)).toBe(zodAccepts(bad));
        }),
      { numRuns: 5000 },
    );
  });

  it("mutations: the hand check accepts exactly what Mutation accepts", () => {
    const valid = { mutation_id: "c:p:1", model: "notes.Note", row_id: "r", operation: "update", base_rev: REV, data: { a: 1 } };
    fc.assert(
      fc.property(fc.array(fc.nat(), { minLength: 1, maxLength: 2 }), jsonValue, fc.constantFrom("replace", "drop", "add") as fc.Arbitrary<"replace" | "drop" | "add">, (path, value, mode) => {
        const m = corrupt(valid, path, value, mode);
        expect(isValidMutation(m), JSON.stringify(m)).toBe(Mutation.safeParse(m).success);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("query guard agrees with the relay's parseQuery", () => {
  const BOUNDS = { maxLimit: 1000, maxOffset: 10_000 };
  const outcome = (parse: typeof parseQuery, raw: unknown) => {
    try {
      return { ok: parse(raw, BOUNDS) };
    } catch (err) {
      if (err instanceof RelayError) return { code: err.code };
      throw err;
    }
  };
  it("same parsed query or the same error code for random corruptions of random ASTs", () => {
    fc.assert(
      fc.property(queryArb, fc.array(fc.nat(), { minLength: 1, maxLength: 6 }), jsonValue, fc.constantFrom("replace", "drop", "add") as fc.Arbitrary<"replace" | "drop" | "add">,
        (q, path, value, mode) => {
          const raw = corrupt(q, path, value, mode);
          expect(outcome(parseQueryGuarded, raw), JSON.stringify(raw)).toEqual(outcome(parseQuery, raw));
        }),
      { numRuns: 5000 },
    );
  });
});
