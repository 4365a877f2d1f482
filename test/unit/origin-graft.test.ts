/**
 * Grafting the origin's own revisions (issue 14, durable/origin/branch.ts): a
 * Django revision goes under the nearest ancestor the tree holds, never anywhere else.
 *
 *   tree:      1-a ── 2-b            origin: 1-a ── 2-d ── 3-e   (Django edited twice from 1-a)
 *   graft 3-e: 1-a ── 2-b
 *                 └── 2-d ── 3-e     (2-d interior, no body; 3-e the leaf with Django's body)
 */
import { describe, expect, it } from "vitest";
import { graftNodes } from "../../durable/origin/graft.js";

const r = (gen: number, c: string) => `${gen}-${c.repeat(32)}`;
const A = r(1, "a"), B = r(2, "b"), D = r(2, "d"), E = r(3, "e");
const held = (...revs: string[]) => (rev: string) => revs.includes(rev);

describe("graftNodes", () => {
  it("places a Django chain under the nearest revision the tree holds, interior nodes without body", () => {
    const nodes = graftNodes({ rev: E, revisions: [E, D, A], data: { title: "django" }, deleted: false }, held(A, B));
    expect(nodes).toEqual([
      { rev: D, parent: A, deleted: false, data: null },
      { rev: E, parent: D, deleted: false, data: { title: "django" } },
    ]);
  });

  it("a revision the tree already holds is an echo: nothing to add", () => {
    expect(graftNodes({ rev: B, revisions: [B, A], data: { t: 1 }, deleted: false }, held(A, B))).toEqual([]);
  });

  it("a Django delete grafts a tombstone leaf", () => {
    expect(graftNodes({ rev: D, revisions: [D, A], data: null, deleted: true }, held(A, B))).toEqual([{ rev: D, parent: A, deleted: true, data: null }]);
  });

  it("an ancestry that reaches nothing held, or whose generations do not count down by one, is refused (null)", () => {
    expect(graftNodes({ rev: E, revisions: [E, D], data: {}, deleted: false }, held(A, B))).toBeNull();
    expect(graftNodes({ rev: E, revisions: [E, A], data: {}, deleted: false }, held(A, B))).toBeNull();
    expect(graftNodes({ rev: "3-nothex", revisions: ["3-nothex", D, A], data: {}, deleted: false }, held(A))).toBeNull();
  });

  it("accepts revisions without the leaf first (the leaf is prepended)", () => {
    expect(graftNodes({ rev: D, revisions: [A], data: { x: 1 }, deleted: false }, held(A))).toEqual([{ rev: D, parent: A, deleted: false, data: { x: 1 } }]);
  });
});
