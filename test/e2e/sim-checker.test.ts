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
  it("exempts a row whose rejection only the origin's record shows (seed 11: author offline at the drain)", () => {
    // b's update 2-bb wins; a's fork-update 3-cc (titled REJECT) is acked applied, then a goes
    // offline; the origin rejects it and the relay undoes it; b's catch-up brings 2-bb back.
    const h = new History();
    change(h, "b", "2-bb");
    h.add("a", "ack", { mutation_id: "c:2", status: "applied", rev: "3-cc" });
    change(h, "b", "3-cc");
    change(h, "b", "2-bb");
    const applied = [{ mutation_id: "c:2", status: "rejected", rev: "3-cc" }];
    expect(check(input(h, { originMode: true, applied }))).toEqual([]);
    // Without the origin's verdict the return is still a violation.
    expect(check(input(h, { originMode: true, applied: [{ mutation_id: "c:2", status: "applied", rev: "3-cc" }] })).join()).toMatch(/\(2\) b saw notes.Note\/r1 go back to 2-bb/);
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

describe("checker rule (4): nothing refused is kept (issue 8 item 2)", () => {
  const user = (object: StoredRow[], origin?: Record<string, unknown>[]) => ({
    userId: "7", clients: [{ name: "a", rows: object }], object,
    ...(origin ? { origin: { [N]: origin as never } } : {}),
  });
  it("flags a REJECT winner on the object or a client, and a revision the origin rejected", () => {
    const h = new History();
    h.add("a", "rejected", { mutation_id: "c:2", rev: "3-rej", code: "origin_rejected" });
    const bad = [row("2-aa", { data: { title: "REJECT" } })];
    expect(check(input(h, { users: [user(bad)] })).join("\n")).toMatch(/\(4\) user 7: object holds notes.Note\/r1 titled REJECT/);
    const kept = [row("2-aa", { conflicts: ["3-rej"] })];
    expect(check(input(h, { users: [user(kept)] })).join("\n")).toMatch(/\(4\) user 7: object keeps notes.Note\/r1 revision 3-rej, which the origin rejected/);
  });
  it("flags a Django row or retained conflict holding a refused state, and passes a clean one", () => {
    const h = new History();
    const object = [row("2-aa", { conflicts: ["2-bb"] })];
    const django = (title: string, conflictTitle: string) => [{ row_id: "r1", rev: "2-aa", data: { title }, conflicts: [{ rev: "2-bb", data: { title: conflictTitle } }] }];
    expect(check(input(h, { originMode: true, applied: [], users: [user(object, django("REJECT", "ok"))] })).join("\n")).toMatch(/\(4\) user 7: Django's row notes.Note\/r1 is titled REJECT/);
    expect(check(input(h, { originMode: true, applied: [], users: [user(object, django("2-aa", "REJECT"))] })).join("\n")).toMatch(/\(4\) user 7: Django keeps a conflict 2-bb/);
    expect(check(input(h, { originMode: true, applied: [{ mutation_id: "c:2", status: "rejected", rev: "2-bb" }], users: [user(object, django("2-aa", "ok"))] })).join("\n")).toMatch(/Django holds notes.Note\/r1 revision 2-bb, which it rejected/);
    expect(check(input(h, { users: [user(object)] })).filter((x) => x.startsWith("(4)"))).toEqual([]);
  });
});

describe("checker rule (5): a confirmed write is not lost (issue 8 item 2)", () => {
  const users = (object: StoredRow[]) => [{ userId: "7", clients: [], object }];
  it("flags a confirmed revision that is neither winner nor conflict with no later write", () => {
    const h = new History();
    h.add("a", "op", { op: "update", model: N, row_id: "r1", mutation_id: "c:1" });
    h.add("a", "ack", { mutation_id: "c:1", status: "applied", rev: "2-mine" });
    h.add("a", "confirmed", { mutation_id: "c:1", rev: "2-mine" });
    expect(check(input(h, { users: users([row("3-other")]) })).join("\n")).toMatch(/\(5\) confirmed c:1/);
    expect(check(input(h, { users: users([row("3-other", { conflicts: ["2-mine"] })]) })).filter((x) => x.startsWith("(5)"))).toEqual([]);
  });
  it("lets a later applied write supersede it, but not a later write the origin rejected", () => {
    const h = new History();
    h.add("a", "op", { op: "update", model: N, row_id: "r1", mutation_id: "c:1" });
    h.add("a", "ack", { mutation_id: "c:1", status: "applied", rev: "2-mine" });
    h.add("a", "confirmed", { mutation_id: "c:1", rev: "2-mine" });
    h.add("a", "op", { op: "update", model: N, row_id: "r1", mutation_id: "c:2" });
    h.add("a", "ack", { mutation_id: "c:2", status: "applied", rev: "3-next" });
    expect(check(input(h, { users: users([row("3-next")]) })).filter((x) => x.startsWith("(5)"))).toEqual([]);
    h.add("a", "rejected", { mutation_id: "c:2", rev: "3-next", code: "origin_rejected" });
    expect(check(input(h, { users: users([row("3-pulled")]) })).join("\n")).toMatch(/\(5\) confirmed c:1/);
  });
  it("lets a write its killed author never saw acked supersede it (seed 81): known by its confirmation or by the origin", () => {
    const h = new History();
    h.add("a", "op", { op: "create", model: N, row_id: "r1", mutation_id: "c:1" });
    h.add("a", "ack", { mutation_id: "c:1", status: "applied", rev: "1-mine" });
    h.add("a", "confirmed", { mutation_id: "c:1", rev: "1-mine" });
    h.add("a", "op", { op: "update", model: N, row_id: "r1", mutation_id: "c:2" });
    h.add("a", "fault", { fault: "process killed" });
    // No ack and no confirmation of c:2: nothing shows it was applied.
    expect(check(input(h, { users: users([row("2-next")]) })).join("\n")).toMatch(/\(5\) confirmed c:1/);
    // The origin holds it as applied.
    const applied = [{ mutation_id: "c:2", status: "applied" }] as unknown as CheckInput["applied"];
    expect(check(input(h, { users: users([row("2-next")]), applied })).filter((x) => x.startsWith("(5)"))).toEqual([]);
    // The restarted process (same client id) got its mutation_confirmed.
    h.add("a-p1", "confirmed", { mutation_id: "c:2", rev: "2-next" });
    expect(check(input(h, { users: users([row("2-next")]) })).filter((x) => x.startsWith("(5)"))).toEqual([]);
  });
});

describe("checker rule (6): no acked write is lost or attributed to another user (issue 8 item 1)", () => {
  const T = "notes.Task";
  const proc = (name: string, userId: string, made: Array<[string, string, string]>) =>
    ({ name, userId, made: new Map(made.map(([id, row_id, op]) => [id, { model: T, row_id, op }])) });
  const task = (row_id: string): StoredRow => ({ model: T, row_id, rev: "1-aa", data: {}, deleted: false, conflicts: [] }) as StoredRow;
  const view = (userId: string, object: StoredRow[], origin?: Record<string, Array<{ row_id: string; data: Record<string, unknown>; rev: string | null; conflicts: [] }>>) =>
    ({ userId, clients: [], object, ...(origin ? { origin } : {}) });
  const clean = () => {
    const h = new History();
    h.add("p1", "push", { ids: ["app:x:1"] });
    h.add("p1", "ack", { mutation_id: "app:x:1", status: "applied", rev: "1-aa" });
    h.add("p2", "push", { ids: ["app:y:1"] });
    h.add("p2", "ack", { mutation_id: "app:y:1", status: "applied", rev: "1-bb" });
    return h;
  };
  const processes = [proc("p1", "1", [["app:x:1", "ra", "create"]]), proc("p2", "2", [["app:y:1", "rb", "create"]])];
  const users = [view("1", [task("ra")]), view("2", [task("rb")])];

  it("passes two users sharing a client id with distinct mutation ids", () => {
    expect(check(input(clean(), { processes, users }))).toEqual([]);
  });

  it("flags one id made by two processes (a restart or another user reusing <clientId>:1)", () => {
    const twice = [proc("p1", "1", [["app:1", "ra", "create"]]), proc("p2", "2", [["app:1", "rb", "create"]])];
    expect(check(input(new History(), { processes: twice, users })).join()).toMatch(/\(6a\) mutation id app:1 was made by p1 \(user 1\) and again by p2 \(user 2\)/);
  });

  it("flags a first send answered as a duplicate, and the acked create missing from the object", () => {
    const h = new History();
    h.add("p1", "push", { ids: ["app:x:1"] });
    h.add("p1", "ack", { mutation_id: "app:x:1", status: "applied", rev: "1-aa", duplicate: true });
    const v = check(input(h, { processes, users: [view("1", []), view("2", [])] })).join("\n");
    expect(v).toMatch(/\(6b\) p1's first send of app:x:1 was answered as a duplicate/);
    expect(v).toMatch(/\(6c\) p1's acked create app:x:1 of notes.Task\/ra is not in user 1's object/);
  });

  it("lets a re-sent or proxy-duplicated push be answered as a duplicate", () => {
    const h = new History();
    h.add("p1", "push", { ids: ["app:x:1"] });
    h.add("p1", "push", { ids: ["app:x:1"] });
    h.add("p1", "ack", { mutation_id: "app:x:1", status: "applied", rev: "1-aa", duplicate: true });
    h.add("p2", "push", { ids: ["app:y:1"] });
    h.add("p2", "ack", { mutation_id: "app:y:1", status: "applied", rev: "1-bb" });
    h.add("p2", "ack", { mutation_id: "app:y:1", status: "applied", rev: "1-bb", duplicate: true });
    h.add("p1", "push", { ids: ["app:x:2"] });
    h.add("p1", "fault", { fault: "dup_push", frame: "push app:x:2" });
    h.add("p1", "fault", { fault: "drop_ack", frame: "push_result app:x:2" });
    h.add("p1", "ack", { mutation_id: "app:x:2", status: "applied", rev: "2-cc", duplicate: true });
    const both = [proc("p1", "1", [["app:x:1", "ra", "create"], ["app:x:2", "ra", "update"]]), processes[1]!];
    expect(check(input(h, { processes: both, users }))).toEqual([]);
  });

  it("flags a row of one user held for another, and an origin record under the wrong user or missing", () => {
    const origin = { [T]: [{ row_id: "ra", data: {}, rev: "1-aa", conflicts: [] as [] }] };
    const v = check(input(clean(), {
      processes, originMode: true,
      users: [view("1", [task("ra")]), view("2", [task("rb"), task("ra")], origin)],
      applied: [{ mutation_id: "app:x:1", status: "applied", user_id: "2", row_id: "ra" }],
    })).join("\n");
    expect(v).toMatch(/\(6d\) user 2's object holds notes.Task\/ra, which user 1 created/);
    expect(v).toMatch(/\(6d\) user 2's origin holds notes.Task\/ra, which user 1 created/);
    expect(v).toMatch(/\(6e\) the origin records app:x:1 for user 2, but user 1's p1 made it/);
    expect(v).toMatch(/\(6e\) acked app:x:1 of user 1 never reached the origin as that user's write/);
    expect(v).toMatch(/\(6e\) acked app:y:1 of user 2 never reached the origin/);
  });
});

describe("checker rule (7): closed for the credential only once it expired", () => {
  const at = (h: History, t: number, client: string, kind: "token" | "close", fields: Record<string, unknown>) =>
    h.events.push({ t, client, kind, ...fields });
  it("flags a 4401 well before the token's exp, and a 4401 of a long-lived token", () => {
    const h = new History();
    at(h, 0, "a", "token", { expires_in_s: 3 });
    at(h, 500, "a", "close", { code: 4401, state: "connecting" });
    at(h, 700, "b", "close", { code: 4401, state: "waiting_for_token" });
    const v = check(input(h)).join("\n");
    expect(v).toMatch(/\(7\) a was closed 4401 2500 ms before its token's exp/);
    expect(v).toMatch(/\(7\) b was closed 4401 with a long-lived token/);
  });
  it("allows a 4401 at exp (whole seconds) and other close codes at any time", () => {
    const h = new History();
    at(h, 0, "a", "token", { expires_in_s: 3 });
    at(h, 100, "a", "close", { code: 1006, state: "backoff" });
    at(h, 2_200, "a", "close", { code: 4401, state: "connecting" });
    at(h, 2_300, "a", "token", { expires_in_s: 2 });
    at(h, 4_400, "a", "close", { code: 4401, state: "connecting" });
    expect(check(input(h))).toEqual([]);
  });
});
