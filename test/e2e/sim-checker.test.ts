/**
 * The simulation checker (test/sim/checker.ts) on hand-made histories: each rule catches what
 * it should and lets through what the design allows. No stack needed.
 */
import { describe, expect, it } from "vitest";
import type { StoredRow } from "../../client/index.js";
import { check, type CheckInput } from "../sim/checker.js";
import { History } from "../sim/history.js";

const N = "notes.Note";
const row = (rev: string, extra: Partial<StoredRow> = {}): StoredRow =>
  ({ model: N, row_id: "r1", rev, data: { title: rev }, deleted: false, conflicts: [], ...extra }) as StoredRow;

function input(h: History, over: Partial<CheckInput> = {}): CheckInput {
  return { history: h, users: [], originMode: false, made: new Map([["c:1", { model: N, row_id: "r1" }], ["c:2", { model: N, row_id: "r1" }]]), ...over };
}
const change = (h: History, client: string, rev: string, extra: Record<string, unknown> = {}) =>
  h.add(client, "change", { model: N, row_id: "r1", rev, deleted: false, conflicts: [], ...extra });

describe("checker rule (2): no going back", () => {
  it("flags a superseded live revision that returns as winner", () => {
    const h = new History();
    change(h, "a", "1-aa");
    change(h, "a", "2-bb");
    change(h, "a", "1-aa");
    expect(check(input(h)).join()).toMatch(/\(2\) a saw notes.Note\/r1 go back to 1-aa/);
  });
  it("allows a conflict leaf to become winner, and a returning tombstone", () => {
    const h = new History();
    change(h, "a", "2-bb", { conflicts: ["2-aa"] });
    change(h, "a", "2-aa"); // 2-bb tombstoned: the conflict wins
    change(h, "a", "5-dd", { deleted: true });
    change(h, "a", "3-cc");
    change(h, "a", "5-dd", { deleted: true });
    expect(check(input(h))).toEqual([]);
  });
  it("exempts rows with an origin rejection (undo)", () => {
    const h = new History();
    change(h, "a", "1-aa");
    change(h, "a", "2-bb");
    h.add("a", "rejected", { mutation_id: "c:2", rev: "2-bb", code: "origin_rejected" });
    change(h, "a", "1-aa");
    expect(check(input(h))).toEqual([]);
  });
  it("flags conflicts on an lww row", () => {
    const h = new History();
    h.add("a", "change", { model: "notes.Task", row_id: "t", rev: "2-a", deleted: false, conflicts: ["2-b"] });
    expect(check(input(h)).join()).toMatch(/lww row/);
  });
});

describe("checker rule (3): convergence", () => {
  it("flags a client that differs from the object, and an origin that differs", () => {
    const h = new History();
    const v = check(input(h, {
      originMode: true, applied: [],
      users: [{ userId: "1", clients: [{ name: "a", rows: [row("1-aa")] }], object: [row("2-bb")], origin: { [N]: [{ row_id: "r1", data: { title: "1-aa" }, rev: "1-aa", conflicts: [] }] } }],
    }));
    expect(v.filter((x) => x.startsWith("(3)"))).toHaveLength(2);
  });
  it("treats a deleted winner as a row the origin no longer has", () => {
    const h = new History();
    const del = row("2-bb", { deleted: true, data: null as unknown as StoredRow["data"] });
    expect(check(input(h, { originMode: true, applied: [], users: [{ userId: "1", clients: [{ name: "a", rows: [del] }], object: [del], origin: { [N]: [] } }] }))).toEqual([]);
  });
});

describe("checker rule (1): exactly once at the origin", () => {
  it("flags an acked mutation missing at the origin, a duplicate, and a relay-refused one that got there", () => {
    const h = new History();
    h.add("a", "ack", { mutation_id: "c:1", status: "applied", rev: "1-aa" });
    h.add("a", "ack", { mutation_id: "c:2", status: "rejected", code: "unknown_base_rev" });
    const v = check(input(h, { originMode: true, applied: [{ mutation_id: "c:2", status: "applied" }, { mutation_id: "c:2", status: "applied" }] }));
    expect(v.join("\n")).toMatch(/acked c:1 never reached the origin/);
    expect(v.join("\n")).toMatch(/c:2 appears 2 times/);
    expect(v.join("\n")).toMatch(/c:2 was refused by the relay/);
  });
  it("accepts an origin rejection learnt from a duplicate ack", () => {
    const h = new History();
    h.add("a", "ack", { mutation_id: "c:1", status: "applied", rev: "1-aa" });
    h.add("a", "ack", { mutation_id: "c:1", status: "rejected", code: "origin_rejected", duplicate: true });
    expect(check(input(h, { originMode: true, applied: [{ mutation_id: "c:1", status: "rejected" }] }))).toEqual([]);
  });
});
