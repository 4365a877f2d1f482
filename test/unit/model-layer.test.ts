import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Manifest } from "../../schemas/manifest.js";
import { FakeModelBackend } from "../support/fake-model-backend.js";
import { Note, Task, MANIFEST, SCHEMA_VERSION } from "../support/generated/models.js";
import { DoesNotExist, ModelError, MultipleObjectsReturned, setModelBackend } from "./model-test-types.js";

const committed = Manifest.parse(JSON.parse(readFileSync(new URL("../../djazzkit.schema.json", import.meta.url), "utf8")));
let backend: FakeModelBackend;
beforeEach(() => {
  backend = new FakeModelBackend(MANIFEST);
  setModelBackend(backend);
});
afterEach(() => setModelBackend(undefined));

async function refusal(p: Promise<unknown>): Promise<{ code: string; details: unknown }> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return { code: (e as ModelError).code, details: (e as ModelError).details };
  }
  throw new Error("expected a refusal");
}

describe("generated classes over a ModelBackend", () => {
  it("the generated MANIFEST and SCHEMA_VERSION are the manifest they came from", () => {
    expect(MANIFEST).toEqual(committed);
    expect(SCHEMA_VERSION).toBe(committed.schema_version);
  });

  it("create fills the manifest's defaults and nulls, and leaves the owner to the relay", async () => {
    const note = await Note.objects.create({ title: "milk" });
    expect(backend.calls.at(-1)).toEqual({
      op: "create", model: "notes.Note", rowId: note.id,
      data: { title: "milk", body: "", archived: false, priority: null, tags: null },
    });
    expect(note.title).toBe("milk");
    expect(note.body).toBe("");
    expect(note._djazzkit_pending).toBe(true);
    expect(note.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("values the relay would refuse are refused before sending, with the relay's codes", async () => {
    const sent = () => backend.calls.filter((c) => c.op !== "query").length;
    expect(await refusal(Note.objects.create({ title: "x".repeat(201) }))).toEqual({
      code: "invalid_field_value", details: { field: "title", expected: "string" },
    });
    expect(await refusal(Note.objects.create({ body: "no title" } as never))).toEqual({
      code: "invalid_field_value", details: { field: "title", expected: "string" },
    });
    expect((await refusal(Note.objects.create({ title: "t", priority: 1.5 })))).toMatchObject({ code: "invalid_field_value", details: { field: "priority" } });
    expect((await refusal(Note.objects.create({ title: "t", nope: 1 } as never)))).toEqual({ code: "unknown_field", details: { field: "nope" } });
    expect((await refusal(Task.objects.create({ title: "t", due: "2023-02-29" })))).toMatchObject({ code: "invalid_field_value", details: { field: "due", expected: "date" } });
    expect(sent()).toBe(0);
  });

  it("save() creates first, then sends only the changed fields; nothing changed sends nothing", async () => {
    const note = new Note({ title: "a" });
    expect(note.archived).toBe(false); // the default, before any save
    await note.save();
    backend.settle();
    note.priority = 3;
    note.tags = ["x"];
    await note.save();
    expect(backend.calls.at(-1)).toEqual({ op: "update", model: "notes.Note", rowId: note.id, data: { priority: 3, tags: ["x"] } });
    const before = backend.calls.length;
    await note.save();
    expect(backend.calls.length).toBe(before);
    note.title = "y".repeat(201);
    expect(await refusal(note.save())).toMatchObject({ code: "invalid_field_value", details: { field: "title" } });
  });

  it("queries return instances; get, first, count, exists", async () => {
    const a = await Note.objects.create({ title: "Oat milk", priority: 1 });
    const b = await Note.objects.create({ title: "bread", priority: 5 });
    await Note.objects.create({ title: "MILK again", priority: null, archived: true });
    const milk = await Note.objects.filter({ title__icontains: "milk" }).orderBy("title").all();
    expect(milk.map((n) => n.title)).toEqual(["MILK again", "Oat milk"]);
    expect(milk[0]).toBeInstanceOf(Note);
    expect((await Note.objects.get(a.id)).title).toBe("Oat milk");
    expect((await Note.objects.get({ priority__gte: 5 })).id).toBe(b.id);
    expect(await Note.objects.count()).toBe(3);
    expect(await Note.objects.exclude({ archived: true }).count()).toBe(2);
    expect((await Note.objects.orderBy("-priority").first())?.id).toBe(b.id);
    expect(await Note.objects.filter({ title: "none" }).first()).toBeNull();
    expect(await Note.objects.filter({ priority__isnull: true }).exists()).toBe(true);
    await expect(Note.objects.get("00000000-0000-4000-8000-000000000000")).rejects.toBeInstanceOf(DoesNotExist);
    await expect(Note.objects.get({ title__icontains: "milk" })).rejects.toBeInstanceOf(MultipleObjectsReturned);
  });

  it("delete() removes the row from queries; refresh() re-reads it", async () => {
    const n = await Note.objects.create({ title: "t" });
    const copy = await Note.objects.get(n.id);
    await Note.objects.filter({ id: n.id }).first().then((x) => x!.set("title", "changed").save());
    expect((await copy.refresh()).title).toBe("changed");
    await n.delete();
    expect(await Note.objects.filter({ id: n.id }).exists()).toBe(false);
    await expect(copy.refresh()).rejects.toBeInstanceOf(DoesNotExist);
  });

  it("subscribe calls back now and on each change of its model, as instances, until unsubscribed", async () => {
    const seen: string[][] = [];
    const stop = Note.objects.filter({ archived: false }).orderBy("title").subscribe((rows) => seen.push(rows.map((r) => r.title)));
    await Note.objects.create({ title: "b" });
    await Note.objects.create({ title: "a" });
    await Task.objects.create({ title: "unrelated" });
    stop();
    await Note.objects.create({ title: "c" });
    expect(seen).toEqual([[], ["b"], ["a", "b"]]);
  });

  it("the conflict API: getConflicts, resolveConflict, conflict(row)._conflicts and conflict(row).resolveConflict", async () => {
    const n = await Note.objects.create({ title: "w" });
    const row = backend.rows.get(n.id)!;
    backend.rows.set(n.id, { ...row, _conflicts: [{ rev: "2-b", data: { title: "loser", body: "", archived: false, priority: 9, tags: null, author: 1, _djazzkit_id: n.id } }] });
    const fresh = await Note.objects.get(n.id);
    const view = Note.conflict(fresh);
    expect(view.hasConflicts).toBe(true);
    expect(view._conflicts).toEqual([{ rev: "2-b", data: { title: "loser", body: "", archived: false, priority: 9, tags: null, author: 1 } }]);
    expect(fresh._conflicts[0]!.data.title).toBe("loser");
    expect(Note.conflict(backend.rows.get(n.id)!)._conflicts).toHaveLength(1);
    const { winner, conflicts } = await Note.getConflicts(n.id);
    expect(winner.data.title).toBe("w");
    expect(conflicts.map((c) => c.rev)).toEqual(["2-b"]);
    await view.resolveConflict({ title: "merged", priority: view._conflicts[0]!.data.priority });
    expect(backend.calls.at(-1)).toEqual({ op: "resolveConflict", model: "notes.Note", rowId: n.id, data: { title: "merged", priority: 9 } });
    expect(Note.conflict(await Note.objects.get(n.id))._conflicts).toEqual([]);
    await Note.resolveConflict(n.id, { body: "again" });
    expect(backend.calls.at(-1)).toMatchObject({ op: "resolveConflict", data: { body: "again" } });
    expect(await refusal(Note.resolveConflict(n.id, { title: "z".repeat(300) }))).toMatchObject({ code: "invalid_field_value" });
  });

  it("objects.using(backend) picks another backend, and its instances keep it", async () => {
    const other = new FakeModelBackend(MANIFEST);
    const n = await Note.objects.using(other).create({ title: "elsewhere" });
    expect(other.rows.has(n.id)).toBe(true);
    expect(backend.rows.size).toBe(0);
    n.title = "still elsewhere";
    await n.save();
    expect(other.calls.at(-1)?.op).toBe("update");
    expect(backend.calls).toEqual([]);
  });

  it("without a backend, using a model is a clear no_backend error", async () => {
    setModelBackend(undefined);
    expect((await refusal(Note.objects.all())).code).toBe("no_backend");
  });

  it("a field named like a member stays reachable with get/set and never shadows the method", async () => {
    // (the generated class for such a model is compiled in codegen-compile.test.ts)
    const n = new Note({ title: "t" });
    expect(typeof n.save).toBe("function");
    expect(n.get("title")).toBe("t");
    expect(JSON.parse(JSON.stringify(n))).toMatchObject({ id: n.id, title: "t", body: "" });
  });
});

describe("save() change detection", () => {
  beforeEach(() => {
    backend = new FakeModelBackend(MANIFEST);
    setModelBackend(backend);
  });
  it("json values are compared deeply: reordered keys are no change, a nested edit is one", async () => {
    const n = await Note.objects.create({ title: "t", tags: { a: 1, b: [1, { c: 2 }] } });
    const sent = () => backend.calls.filter((c) => c.op === "update").length;
    n.tags = { b: [1, { c: 2 }], a: 1 };
    await n.save();
    expect(sent()).toBe(0);
    n.tags = { b: [1, { c: 3 }], a: 1 };
    await n.save();
    expect(backend.calls.at(-1)).toMatchObject({ op: "update", data: { tags: { b: [1, { c: 3 }], a: 1 } } });
    n.tags = [1, 2];
    await n.save();
    n.tags = { 0: 1, 1: 2 };
    await n.save();
    expect(sent()).toBe(3); // an array and an object with the same keys differ
  });
});
