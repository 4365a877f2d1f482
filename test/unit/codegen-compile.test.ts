/**
 * Acceptance (issue 10, "Code generation"): generated code compiles under `strict` for the
 * sample manifest, for a manifest with every field type (nullable and not, defaults, choices),
 * and for model names that clash with TypeScript keywords or with each other across apps. One
 * tsc run checks all three, each with a usage file whose `@ts-expect-error` lines prove the
 * types are precise (a loose `any` would leave them unused, which tsc reports as an error).
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { generate } from "../../client/codegen/generate.js";
import { modelNames } from "../../client/codegen/naming.js";
import { Manifest } from "../../schemas/manifest.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const read = (p: string) => Manifest.parse(JSON.parse(readFileSync(join(REPO, p), "utf8")));
const dir = mkdtempSync(join(tmpdir(), "djazzkit-codegen-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAMPLE_USAGE = `
import { Q, setModelBackend, type ModelBackend, type JsonValue } from "@djazzkit/core";
import { Note, Task, Announcement, SCHEMA_VERSION, MANIFEST, MODELS, type NoteFields } from "./models.js";
declare const backend: ModelBackend;
setModelBackend(backend);
export async function use(): Promise<void> {
  const version: "${read("djazzkit.schema.json").schema_version}" = SCHEMA_VERSION;
  const notes: Note[] = await Note.objects.filter({ title__icontains: "milk", priority__gte: 2, tags__isnull: false, id__in: ["x"] })
    .exclude({ archived: true }).orderBy("-priority", "title").limit(10).offset(5).all();
  const n = notes[0]!;
  const title: string = n.title; const priority: number | null = n.priority; const tags: JsonValue | null = n.tags;
  const author: number = n.author;
  n.priority = null; await n.save(); await n.delete();
  const count: number = await Note.objects.count();
  const first: Note | null = await Note.objects.first();
  const got: Note = await Note.objects.get("3f0b6f0e-9d3c-4b8e-8a57-1d2c3b4a5f60");
  const made: Note = await Note.objects.create({ title: "milk" });
  await Note.objects.filter(Q<NoteFields>({ title: "a" }).or({ priority__lt: 3 }).not()).all();
  const stop: () => void = Note.objects.filter({ archived: false }).subscribe((rows: Note[]) => void rows);
  stop();
  const c = await Note.getConflicts(made.id);
  const loser: string | undefined = c.conflicts[0]?.data.body;
  await Note.resolveConflict(made.id, { title: "merged" });
  const view = Note.conflict(made);
  await view.resolveConflict({ body: view._conflicts[0]!.data.body });
  const due: string | null = (await Task.objects.get({ title: "t" })).due;
  const shared: Announcement[] = await Announcement.objects.orderBy("-published_at").all();
  const label: "notes.Note" = MODELS["notes.Note"].label;
  void [version, title, priority, tags, author, count, first, got, loser, due, shared, label, MANIFEST];
  // @ts-expect-error unknown field
  Note.objects.filter({ nope: 1 });
  // @ts-expect-error wrong value type for the lookup
  Note.objects.filter({ priority__gte: "2" });
  // @ts-expect-error booleans have no ordering lookups
  Note.objects.filter({ archived__gt: true });
  // @ts-expect-error json fields have no text lookups
  Note.objects.filter({ tags__icontains: "x" });
  // @ts-expect-error title is required on create (no default)
  await Note.objects.create({ body: "b" });
  // @ts-expect-error unknown ordering field
  Note.objects.orderBy("-nope");
  // @ts-expect-error a string is not a nullable number
  n.priority = "3";
  // @ts-expect-error the conflict API is per generated class, not on the abstract base
  void (await import("@djazzkit/core")).Model.getConflicts("x");
}
`;

const EVERY_USAGE = `
import type { JsonValue } from "@djazzkit/core";
import { Everything, ByUuid, Notice, type EverythingFields, type EverythingCreate } from "./models.js";
export async function use(e: Everything): Promise<void> {
  const choice: "low" | "high" = e.choice;
  const blank: "a" | "b" | "" | null = e.choice_blank;
  const intChoice: 1 | 2 = e.int_choice;
  const s: string = e.s; const sn: string | null = e.s_null;
  const i: number = e.i; const fl: number = e.fl; const d: string = e.d; const dn: string | null = e.d_null;
  const b: boolean = e.b; const bn: boolean | null = e.b_null;
  const dt: string = e.dt; const day: string = e.day; const u: string = e.u; const un: string | null = e.u_null;
  const j: JsonValue = e.j; const jn: JsonValue | null = e.j_null; const owner: number = e.owner;
  const minimal: EverythingCreate = { i: 1, dt: "2024-01-01T00:00:00Z", u: "3f0b6f0e-9d3c-4b8e-8a57-1d2c3b4a5f60" };
  await Everything.objects.create(minimal);
  await Everything.objects.filter({ choice: "high", int_choice__in: [1, 2], dt__gte: "2024-01-01", d__lt: "3", u__startswith: "3f" }).all();
  const byUuid: string = (await ByUuid.objects.get({ name: "n" })).user;
  await ByUuid.objects.create({ name: "n" });
  await Notice.objects.all();
  const fields: (keyof EverythingFields)[] = ["s", "j_null", "owner"];
  void [choice, blank, intChoice, s, sn, i, fl, d, dn, b, bn, dt, day, u, un, j, jn, owner, byUuid, fields];
  // @ts-expect-error not one of the choices
  e.choice = "medium";
  // @ts-expect-error integer choices are literals
  e.int_choice = 3;
  // @ts-expect-error i has no default: required
  await Everything.objects.create({ dt: "2024-01-01T00:00:00Z", u: "x" });
  // @ts-expect-error non-nullable
  e.dt = null;
}
`;

const CLASH_USAGE = `
import * as m from "./models.js";
export async function use(): Promise<void> {
  const names = [m.BlogPost, m.ShopPost, m.ShopDelete, m.ShopInterface, m.ShopString, m.ShopObject, m.ShopPromise, m.AModel,
    m.NoteFields, m.CNote, m.XManager, m.XSCHEMA_VERSION, m.XMODELS, m.YDefault, m.Default, m.MyAppEnum, m.Member];
  const labels: string[] = names.map((c) => c.label);
  const member = await m.Member.objects.create({});
  const save: string = member.get("save");
  const cls: string = member.get("class");
  const title: string = member.title;
  member.set("delete", true);
  await member.save();
  const cnote: m.CNote = await m.CNote.objects.create({ title: "x" });
  const f: m.CNoteFields = { title: "x", owner: 1 };
  const nf: m.NoteFieldsFields = f;
  void [labels, save, cls, title, cnote, nf, m.SCHEMA_VERSION, m.MANIFEST, m.MODELS];
  // @ts-expect-error the save field does not shadow save()
  const notString: string = member.save;
}
`;

function writeCase(name: string, manifest: Manifest, usage: string): string {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, "models.ts"), generate(manifest));
  writeFileSync(join(d, "usage.ts"), usage);
  return d;
}

describe("djazzkit codegen output", () => {
  it("compiles under strict for the sample, every-type and name-clash manifests", async () => {
    const cases = [
      writeCase("sample", read("djazzkit.schema.json"), SAMPLE_USAGE),
      writeCase("every-type", read("test/fixtures/codegen/every-type.json"), EVERY_USAGE),
      writeCase("name-clashes", read("test/fixtures/codegen/name-clashes.json"), CLASH_USAGE),
    ];
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        strict: true, noEmit: true, target: "ES2022", module: "ES2022", moduleResolution: "Bundler", lib: ["ES2023", "DOM"],
        types: ["node"], typeRoots: [join(REPO, "node_modules/@types")], skipLibCheck: true, noUncheckedIndexedAccess: true,
        noImplicitOverride: true, isolatedModules: true, exactOptionalPropertyTypes: false,
        paths: { "@djazzkit/core": [join(REPO, "client/index.ts")] },
      },
      files: cases.flatMap((d) => [join(d, "models.ts"), join(d, "usage.ts")]),
    }));
    const tsc = join(REPO, "node_modules/typescript/bin/tsc");
    const result = await promisify(execFile)(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")]).then(
      () => "",
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    expect(result).toBe("");
  }, 120_000);

  it("a broken usage does fail the same check (the test can fail)", async () => {
    const d = writeCase("broken", read("djazzkit.schema.json"), `import { Note } from "./models.js";\nexport const x: number = new Note().title;\n`);
    writeFileSync(join(d, "tsconfig.json"), JSON.stringify({
      compilerOptions: { strict: true, noEmit: true, target: "ES2022", module: "ES2022", moduleResolution: "Bundler", lib: ["ES2023", "DOM"],
        types: [], skipLibCheck: true, paths: { "@djazzkit/core": [join(REPO, "client/index.ts")] } },
      files: [join(d, "models.ts"), join(d, "usage.ts")],
    }));
    const out = await promisify(execFile)(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", join(d, "tsconfig.json")]).then(
      () => "",
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    expect(out).toContain("usage.ts");
    expect(out).toContain("TS2322");
  }, 120_000);

  it("names: keywords and globals get the app prefix, same names across apps both do, derived names never collide", () => {
    const names = modelNames(Object.keys(read("test/fixtures/codegen/name-clashes.json").models));
    const cls = Object.fromEntries(names.map((n) => [n.label, n.cls]));
    expect(cls).toMatchObject({
      "blog.Post": "BlogPost", "shop.Post": "ShopPost", "shop.delete": "ShopDelete", "shop.interface": "ShopInterface",
      "shop.string": "ShopString", "shop.Object": "ShopObject", "shop.Promise": "ShopPromise", "a.Model": "AModel",
      "b.NoteFields": "NoteFields", "c.Note": "CNote", "x.SCHEMA_VERSION": "XSCHEMA_VERSION", "y.default": "YDefault",
      "y.Default": "Default", "my_app.enum": "MyAppEnum", "z.Member": "Member",
    });
    const all = names.flatMap((n) => [n.cls, n.fields, n.create]);
    expect(new Set(all).size).toBe(all.length);
    expect(modelNames(["a.X", "b.Y"]).map((n) => n.cls)).toEqual(["X", "Y"]);
    expect(modelNames(["b.Y", "a.X"])).toEqual(modelNames(["b.Y", "a.X"]));
  });

  it("the committed generated sample (used by the model tests and README) is up to date", () => {
    const fresh = generate(read("djazzkit.schema.json"));
    // Regenerate with: npx djazzkit codegen --schema djazzkit.schema.json --out test/support/generated
    const committedOutput = readFileSync(join(REPO, "test/support/generated/models.ts"), "utf8");
    expect(committedOutput === fresh, "test/support/generated/models.ts is stale: npx djazzkit codegen --schema djazzkit.schema.json --out test/support/generated").toBe(true);
  });

  it("the demo's generated models (demo/src/generated) are up to date", () => {
    const fresh = generate(read("djazzkit.schema.json"));
    const demo = readFileSync(join(REPO, "demo/src/generated/models.ts"), "utf8");
    expect(demo === fresh, "demo/src/generated/models.ts is stale: npx djazzkit codegen --schema djazzkit.schema.json --out demo/src/generated").toBe(true);
  });
});
