/**
 * Issue 10 acceptance, "A test uses the generated classes against the real relay": the classes
 * generated from the relay's own `GET /djazzkit/schema` (Miniflare, standalone), over
 * @djazzkit/core's SyncClient with a SQLite file per client. Django-style queries run on the
 * replica, creates fill defaults, checks the client makes give the relay's codes, instance
 * save()/delete() sync to another client, and a two-client conflict is read and resolved
 * through Model.conflict(row)._conflicts and Model.resolveConflict.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ModelError, setModelBackend, type RejectedWrite, type SyncClient } from "@djazzkit/core";
import { main } from "../../client/codegen/cli.js";
import { generate } from "../../client/codegen/generate.js";
import { Note, Task } from "../support/generated/models.js";
import { freePort, until } from "../support/ports.js";
import { startRelay, type RelayHandle } from "../support/relay.js";
import { openTestClient, standaloneManifest } from "../support/sync-client.js";
import { TEST_JWT_SECRET } from "../support/secrets.js";

let relay: RelayHandle;
let dir: string;
const open: SyncClient[] = [];
let userSeq = 0;
const newUser = () => 9100 + ++userSeq;

beforeAll(async () => {
  relay = await startRelay({ bindings: { DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET, DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" } });
  dir = mkdtempSync(join(tmpdir(), "djazzkit-models-"));
});
afterEach(async () => {
  setModelBackend(undefined);
  await Promise.all(open.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  await relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function client(user: number, name: string, wsUrl = relay.wsUrl): Promise<SyncClient> {
  const c = await openTestClient({ wsUrl, user, file: join(dir, `${name}.db`) });
  open.push(c);
  return c;
}


describe("generated classes against the real relay", () => {
  it("codegen --schema <relay URL> reads GET /djazzkit/schema and writes the classes these tests use", async () => {
    const out = join(dir, "gen");
    const lines: string[] = [];
    const code = await main(["codegen", "--schema", relay.url, "--out", out], { stdin: async () => "", out: (l) => lines.push(l), err: (l) => lines.push(l), env: {} });
    expect({ code, lines }).toMatchObject({ code: 0 });
    const fromRelay = readFileSync(join(out, "models.ts"), "utf8");
    expect(fromRelay).toBe(generate(standaloneManifest()));
    expect(fromRelay).toBe(readFileSync(new URL("../support/generated/models.ts", import.meta.url), "utf8"));
  });

  it("create fills defaults, queries run with Django lookups, and another client sees the rows", async () => {
    const user = newUser();
    const a = await client(user, "lookups-a");
    const b = await client(user, "lookups-b");
    await Promise.all([a.ready(), b.ready()]);
    setModelBackend(a);
    const milk = await Note.objects.create({ title: "Oat milk", priority: 2, tags: ["shop"] });
    expect(milk).toBeInstanceOf(Note);
    expect([milk.body, milk.archived, milk._djazzkit_pending]).toEqual(["", false, true]); // optimistic, defaults filled
    await Note.objects.create({ title: "bread", priority: 5 });
    await Note.objects.create({ title: "MILK (old)", archived: true });
    await Task.objects.create({ title: "unrelated" });
    await a.whenSynced();

    const seen = await until(
      () => Note.objects.using(b).filter({ title__icontains: "milk" }).orderBy("title").all(),
      (rows) => rows.length === 2 && rows.every((r) => !r._djazzkit_pending),
    );
    expect(seen.map((n) => [n.title, n.body, n.archived, n.priority, n.tags, n.author])).toEqual([
      ["MILK (old)", "", true, null, null, user],
      ["Oat milk", "", false, 2, ["shop"], user],
    ]);
    const onB = Note.objects.using(b);
    expect((await onB.filter({ priority__gte: 2 }).exclude({ archived: true }).orderBy("-priority").all()).map((n) => n.title)).toEqual(["bread", "Oat milk"]);
    expect((await onB.filter({ tags__isnull: true }).orderBy("title").all()).map((n) => n.title)).toEqual(["MILK (old)", "bread"]);
    expect(await onB.filter({ id__in: [milk.id] }).count()).toBe(1);
    expect((await onB.get(milk.id)).title).toBe("Oat milk");
    expect(await onB.count()).toBe(3);
    expect((await onB.orderBy("title").limit(1).offset(1).all()).map((n) => n.title)).toEqual(["Oat milk"]);
  });

  it("the client refuses with the relay's codes; the same write sent raw is refused by the relay with that code", async () => {
    const user = newUser();
    const a = await client(user, "codes-a");
    await a.ready();
    setModelBackend(a);
    let caught: unknown;
    try {
      await Note.objects.create({ title: "x".repeat(201) });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ModelError);
    expect((caught as ModelError).code).toBe("invalid_field_value");
    expect((caught as ModelError).details).toEqual({ field: "title", expected: "string" });
    expect(await a.query({ model: "notes.Note" })).toEqual([]); // nothing was written

    const rejected: RejectedWrite[] = [];
    a.on("rejected", (r) => rejected.push(r));
    await a.create("notes.Note", { title: "x".repeat(201), body: "", archived: false }); // around the model layer
    await until(() => rejected.length, (n) => n === 1);
    expect(rejected[0]).toMatchObject({ code: "invalid_field_value", by: "relay" });
    expect(await a.query({ model: "notes.Note" })).toEqual([]); // rolled back
  });

  it("instance save() and delete() reach the other client", async () => {
    const user = newUser();
    const a = await client(user, "save-a");
    const b = await client(user, "save-b");
    await Promise.all([a.ready(), b.ready()]);
    setModelBackend(a);
    const task = new Task({ title: "write tests" });
    await task.save();
    task.done = true;
    task.due = "2026-12-01";
    await task.save();
    await a.whenSynced();
    const onB = await until(() => Task.objects.using(b).filter({ id: task.id }).first(), (t) => t?.done === true);
    expect([onB!.title, onB!.due, onB!._djazzkit_rev]).toEqual(["write tests", "2026-12-01", 2]); // one branch, two revisions
    await task.delete();
    await a.whenSynced();
    await until(() => Task.objects.using(b).filter({ id: task.id }).exists(), (e) => !e);
  });

  it("a conflict made by two clients is visible through Note.conflict(row)._conflicts and resolved through Note.resolveConflict", async () => {
    const user = newUser();
    const deadUrl = `ws://127.0.0.1:${await freePort()}`;
    const a = await client(user, "conflict-a");
    const b1 = await client(user, "conflict-b");
    await Promise.all([a.ready(), b1.ready()]);
    setModelBackend(a);
    const note = await Note.objects.create({ title: "base" });
    await a.whenSynced();
    await until(() => Note.objects.using(b1).filter({ id: note.id }).first(), (n) => n?._djazzkit_rev === 1);
    await b1.close();
    const b2 = await client(user, "conflict-b", deadUrl); // offline: edits revision 1 while a does too
    const offline = await Note.objects.using(b2).get(note.id);
    offline.title = "from b";
    await offline.save();
    await b2.close();
    note.title = "from a";
    await note.save();
    await a.whenSynced();
    const b = await client(user, "conflict-b");
    await b.whenSynced();

    const inA = await until(() => Note.objects.get(note.id), (n) => n._conflicts.length === 1);
    const inB = await until(() => Note.objects.using(b).get(note.id), (n) => n._conflicts.length === 1);
    expect(inA.title).toBe(inB.title); // the same deterministic winner everywhere
    const loser = inA.title === "from a" ? "from b" : "from a";
    const view = Note.conflict(inA);
    expect(view._conflicts.map((c) => c.data.title)).toEqual([loser]);
    const { winner, conflicts } = await Note.getConflicts(note.id);
    expect([winner.data.title, conflicts.map((c) => c.data.title)]).toEqual([inA.title, [loser]]);

    await Note.resolveConflict(note.id, { title: `${inA.title} + ${loser}` });
    await a.whenSynced();
    for (const c of [a, b]) {
      const resolved = await until(() => Note.objects.using(c).get(note.id), (n) => !n._djazzkit_pending && n.title.includes("+"));
      expect(Note.conflict(resolved)._conflicts).toEqual([]);
    }
  });
});
