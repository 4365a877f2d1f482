import { describe, expect, it } from "vitest";
import { Note, Task } from "../support/generated/models.js";
import { Q, ModelError, type NoteFieldsQ } from "./model-test-types.js";

const q = () => Note.objects;
const where = (qs: { toQuery(): { where?: unknown } }) => qs.toQuery().where;

describe("Django lookups become the relay's query AST", () => {
  it("each supported lookup maps to its operator", () => {
    const cases: Array<[Record<string, unknown>, unknown]> = [
      [{ title: "a" }, { field: "title", op: "eq", value: "a" }],
      [{ title__exact: "a" }, { field: "title", op: "eq", value: "a" }],
      [{ title__contains: "a" }, { field: "title", op: "contains", value: "a" }],
      [{ title__icontains: "milk" }, { field: "title", op: "icontains", value: "milk" }],
      [{ title__startswith: "M" }, { field: "title", op: "startswith", value: "M" }],
      [{ priority__gt: 1 }, { field: "priority", op: "gt", value: 1 }],
      [{ priority__gte: 2 }, { field: "priority", op: "gte", value: 2 }],
      [{ priority__lt: 3 }, { field: "priority", op: "lt", value: 3 }],
      [{ priority__lte: 4 }, { field: "priority", op: "lte", value: 4 }],
      [{ priority__in: [1, 2] }, { field: "priority", op: "in", value: [1, 2] }],
      [{ tags__isnull: true }, { field: "tags", op: "isnull", value: true }],
      [{ tags__isnull: false }, { field: "tags", op: "isnull", value: false }],
      [{ priority__range: [1, 5] }, { and: [{ field: "priority", op: "gte", value: 1 }, { field: "priority", op: "lte", value: 5 }] }],
    ];
    for (const [lookups, ast] of cases) expect(where(q().filter(lookups as NoteFieldsQ))).toEqual(ast);
  });

  it("exact null is isnull, as in Django (field=None)", () => {
    expect(where(q().filter({ priority: null }))).toEqual({ field: "priority", op: "isnull", value: true });
  });

  it("id and pk name the row id; id__in a list of ids", () => {
    expect(where(q().filter({ id: "r1" }))).toEqual({ field: "_djazzkit_id", op: "eq", value: "r1" });
    expect(where(q().filter({ pk: "r1" }))).toEqual({ field: "_djazzkit_id", op: "eq", value: "r1" });
    expect(where(q().filter({ id__in: ["a", "b"] }))).toEqual({ field: "_djazzkit_id", op: "in", value: ["a", "b"] });
  });

  it("lookups in one filter are AND-ed; chained filters flatten into one AND", () => {
    expect(where(q().filter({ archived: false, priority__gte: 2 }).filter({ title__icontains: "x" }))).toEqual({
      and: [
        { field: "archived", op: "eq", value: false },
        { field: "priority", op: "gte", value: 2 },
        { field: "title", op: "icontains", value: "x" },
      ],
    });
  });

  it("exclude negates all its lookups together (Django's NOT (a AND b))", () => {
    expect(where(q().exclude({ archived: true, priority: 1 }))).toEqual({
      not: { and: [{ field: "archived", op: "eq", value: true }, { field: "priority", op: "eq", value: 1 }] },
    });
    expect(where(q().filter({ title: "a" }).exclude({ archived: true }))).toEqual({
      and: [{ field: "title", op: "eq", value: "a" }, { not: { field: "archived", op: "eq", value: true } }],
    });
  });

  it("Q objects give OR and NOT", () => {
    expect(where(q().filter(Q({ title: "a" }).or({ priority__lt: 3 }, Q({ tags__isnull: true }).not())))).toEqual({
      or: [
        { field: "title", op: "eq", value: "a" },
        { field: "priority", op: "lt", value: 3 },
        { not: { field: "tags", op: "isnull", value: true } },
      ],
    });
  });

  it("orderBy, limit and offset", () => {
    expect(q().orderBy("-priority", "title", "id").limit(10).offset(20).toQuery()).toEqual({
      model: "notes.Note",
      order_by: [["priority", "desc"], ["title", "asc"], ["_djazzkit_id", "asc"]],
      limit: 10,
      offset: 20,
    });
    expect(q().toQuery()).toEqual({ model: "notes.Note" });
  });

  it("querysets are immutable: refining one leaves the original as it was", () => {
    const base = Task.objects.filter({ done: false });
    base.filter({ title: "x" }).orderBy("title").limit(1);
    expect(base.toQuery()).toEqual({ model: "notes.Task", where: { field: "done", op: "eq", value: false } });
  });

  it("unknown fields and relation lookups are unknown_field; lookups the AST lacks are invalid_query", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ModelError);
        return (e as ModelError).code;
      }
      return "no error";
    };
    expect(code(() => q().filter({ nope: 1 } as NoteFieldsQ))).toBe("unknown_field");
    expect(code(() => q().filter({ author__username: "x" } as NoteFieldsQ))).toBe("unknown_field");
    expect(code(() => q().orderBy("-nope" as "title"))).toBe("unknown_field");
    for (const lookup of ["iexact", "endswith", "iendswith", "istartswith", "regex", "year"]) {
      expect(code(() => q().filter({ [`title__${lookup}`]: "x" } as NoteFieldsQ))).toBe("invalid_query");
    }
    expect(code(() => q().filter({ priority__in: 3 } as unknown as NoteFieldsQ))).toBe("invalid_query");
    expect(code(() => q().filter({ tags__isnull: "yes" } as unknown as NoteFieldsQ))).toBe("invalid_query");
    expect(code(() => q().filter({ priority__range: [1] } as unknown as NoteFieldsQ))).toBe("invalid_query");
    expect(code(() => q().filter({ priority: Number.NaN }))).toBe("invalid_query");
  });
});

describe("lookups the relay would refuse for the field's type", () => {
  it("text lookups apply to text fields only (string, date, datetime, uuid)", () => {
    expect(() => Note.objects.filter({ priority__contains: 1 } as unknown as NoteFieldsQ)).toThrow(ModelError);
    expect(() => Note.objects.filter({ tags__icontains: "x" } as unknown as NoteFieldsQ)).toThrow(/text fields only/);
    expect(Task.objects.filter({ due__startswith: "2024-" }).toQuery().where).toEqual({ field: "due", op: "startswith", value: "2024-" });
    expect(Note.objects.filter({ id__in: [] }).toQuery().where).toEqual({ field: "_djazzkit_id", op: "in", value: [] });
  });
});
