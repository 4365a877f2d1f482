/**
 * Fuzzing the WebSocket frame surface of the user object (issue 5), in the real runtime: random
 * JSON, near-valid messages of every client type with mutated fields, and hand-made hostile
 * frames. Laws: every frame gets an answer that obeys the protocol and is never `internal`; a
 * refused frame writes nothing; a control socket of the same user is undisturbed; the prototype
 * of Object is untouched.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  deepJson, exchange, expectControlUndisturbed, expectNoInternal, expectPrototypeClean, expectRelayFrame,
  hostileJson, hostileString, refusedOnly, snapshot, withProtoKey,
} from "../support/workers/fuzz.js";
import { Client, mid, newUser, note, SCHEMA_VERSION, task, uuid, type Frame, type Outgoing } from "../support/workers/object-client.js";
import { mintJwt } from "../support/jwt.js";

vi.setConfig({ testTimeout: 60_000 });

const user = newUser();
let control: Client;
let hostile: Client | null = null;
let used = 0;
let seededNote = "";
let seededRev = "";

/** The hostile socket, reopened when it was closed, parked by a schema mismatch, or is near its rate limit. */
async function hostileSocket(): Promise<Client> {
  if (hostile === null || hostile.closeEvent !== null || used >= 120) {
    hostile?.close();
    hostile = await Client.forUser(user);
    used = 0;
  }
  used += 1;
  return hostile;
}

/** Feed one frame to the hostile socket and check the laws. Returns what it caused. */
async function feed(frame: string | ArrayBuffer): Promise<Frame[]> {
  const ws = await hostileSocket();
  const before = await snapshot(user);
  const answers = await exchange(ws, frame);
  const input = typeof frame === "string" ? frame.slice(0, 400) : "<binary>";
  for (const f of answers) expectRelayFrame(f);
  expectNoInternal(answers, input);
  if (answers.some((f) => f.type === "schema_mismatch")) hostile?.close(), (hostile = null);
  if (ws.closeEvent === null && answers.length === 0) throw new Error(`no answer to ${input}`);
  if (refusedOnly(answers)) expect(await snapshot(user), `refused input wrote something: ${input}`).toEqual(before);
  return answers;
}

beforeAll(async () => {
  control = await Client.forUser(user);
  await control.syncStart();
  const seeded = await control.push([note(uuid(), { title: "seed" }), task(uuid())]);
  seededRev = seeded.results[0]!.rev!;
  seededNote = "";
  // The row id of the seeded note, from its broadcast.
  const changes = await control.takeWhere("changes", (f) => f.rows.some((r) => r.model === "notes.Note"));
  seededNote = changes.rows.find((r) => r.model === "notes.Note")!.row_id;
  await control.expectNone(() => false, 50);
  control.clear();
  control.frames.length = 0;
});

afterAll(async () => {
  await expectControlUndisturbed(control, user);
  await expectPrototypeClean(user);
  hostile?.close();
  control.close();
});

/** A valid message of each client type, built fresh (unique ids) for every run. */
async function validMessage(type: string): Promise<Outgoing> {
  const request_id = "r-" + uuid();
  switch (type) {
    case "sync_start":
      return { type, client_id: "c-" + uuid(), schema_version: SCHEMA_VERSION, since: null };
    case "push":
      return { type, request_id, mutations: [note(uuid(), { title: "fuzz", priority: 3, tags: ["a"] }), { ...note(seededNote, { title: "u" }, "update", seededRev) }] };
    case "query":
      return { type, request_id, query: { model: "notes.Note", where: { and: [{ field: "title", op: "icontains", value: "s" }, { not: { field: "priority", op: "gt", value: 1 } }] }, order_by: [["title", "asc"]], limit: 10, offset: 0 } };
    case "rpc":
      return { type, request_id, name: "notes.echo", args: { x: 1 } };
    case "get_conflicts":
      return { type, request_id, model: "notes.Note", row_id: seededNote };
    case "resolve_conflict":
      return { type, request_id, mutation_id: mid(), model: "notes.Note", row_id: seededNote, data: { title: "resolved" } };
    case "list_conflicts":
      return { type, request_id, model: "notes.Note" };
    case "auth":
      return { type, request_id, token: await mintJwt(user) };
    default:
      return { type: "ping" };
  }
}

const TYPES = ["sync_start", "push", "query", "rpc", "get_conflicts", "resolve_conflict", "list_conflicts", "auth", "ping"];

/** Every path to a value inside `v` (objects and arrays), the root excluded. */
function paths(v: unknown, prefix: Array<string | number> = [], out: Array<Array<string | number>> = []): Array<Array<string | number>> {
  if (typeof v === "object" && v !== null) {
    for (const [k, child] of Object.entries(v)) {
      const p = [...prefix, Array.isArray(v) ? Number(k) : k];
      out.push(p);
      paths(child, p, out);
    }
  }
  return out;
}

function containerAt(root: Outgoing, path: Array<string | number>): Record<string | number, unknown> | null {
  let cur: unknown = root;
  for (const k of path.slice(0, -1)) {
    if (typeof cur !== "object" || cur === null) return null;
    cur = (cur as Record<string | number, unknown>)[k];
  }
  return typeof cur === "object" && cur !== null ? (cur as Record<string | number, unknown>) : null;
}

const PROTO_SLOT = "__fuzz_proto_slot__";

const mutationOp = fc.record({
  at: fc.nat(),
  kind: fc.constantFrom("replace", "delete", "add", "proto"),
  key: fc.oneof(fc.constantFrom("constructor", "prototype", "__proto__", "type", "request_id", "data", "extra"), fc.string({ maxLength: 10 })),
  value: hostileJson,
});

/** Apply mutation ops to a message; a `proto` op plants a literal `__proto__` key in the JSON text. */
function mutate(msg: Outgoing, ops: Array<{ at: number; kind: string; key: string; value: unknown }>): string {
  for (const op of ops) {
    const all = paths(msg);
    if (all.length === 0) continue;
    const path = all[op.at % all.length]!;
    const container = containerAt(msg, path);
    if (container === null) continue;
    const last = path[path.length - 1]!;
    if (op.kind === "replace") container[last] = op.value;
    else if (op.kind === "delete") delete container[last];
    else if (op.kind === "add" && !Array.isArray(container)) Object.defineProperty(container, op.key, { value: op.value, enumerable: true, configurable: true, writable: true });
    else if (op.kind === "proto" && !Array.isArray(container)) container[PROTO_SLOT] = op.value;
  }
  return JSON.stringify(msg).replaceAll(`"${PROTO_SLOT}"`, '"__proto__"');
}

describe("socket frames", () => {
  it("any JSON value as a frame gets a typed answer and writes nothing it refuses", async () => {
    await fc.assert(
      fc.asyncProperty(hostileJson, async (value) => {
        await feed(JSON.stringify(value) ?? "null");
      }),
      { numRuns: 60 },
    );
  });

  it("objects with a valid type and random fields get a typed answer", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TYPES), fc.dictionary(fc.constantFrom("request_id", "client_id", "schema_version", "since", "mutations", "query", "name", "args", "model", "row_id", "mutation_id", "data", "token"), hostileJson, { maxKeys: 6 }), async (type, fields) => {
        await feed(JSON.stringify({ ...fields, type }));
      }),
      { numRuns: 80 },
    );
  });

  it("near-valid messages of every type with mutated fields get a typed answer; refused ones write nothing", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TYPES), fc.array(mutationOp, { minLength: 1, maxLength: 3 }), async (type, ops) => {
        await feed(mutate(await validMessage(type), ops));
      }),
      { numRuns: 150 },
    );
  });

  it("every unmutated message type is answered normally (the fuzz baseline)", async () => {
    for (const type of TYPES) {
      const answers = await feed(JSON.stringify(await validMessage(type)));
      if (type === "rpc") expect(answers).toContainEqual(expect.objectContaining({ type: "error", code: "rpc_failed" }));
      else if (type !== "get_conflicts" && type !== "resolve_conflict") expect(answers.some((f) => f.type === "error"), JSON.stringify(answers)).toBe(false);
    }
  });
});

describe("anonymous sockets", () => {
  it("near-valid messages of every type never write anything into the anonymous object", async () => {
    let anon = await Client.open(null);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...TYPES), fc.array(mutationOp, { maxLength: 2 }), async (type, ops) => {
        if (anon.closeEvent !== null || ++sent % 100 === 0) {
          anon.close();
          anon = await Client.open(null);
        }
        const frame = mutate(await validMessage(type), ops);
        const answers = await exchange(anon, frame);
        for (const f of answers) expectRelayFrame(f);
        expectNoInternal(answers, frame);
        // Anonymous sockets own no rows: nothing is ever applied.
        for (const f of answers) if (f.type === "push_result") for (const r of f.results) expect(r.status).toBe("rejected");
      }),
      { numRuns: 60 },
    );
    anon.close();
    const state = await snapshot(null);
    expect([state.rows, state.revisions, state.mutations, state.outbox]).toEqual([0, 0, 0, 0]);
  });
});

describe("hand-made hostile frames", () => {
  const pushOf = (data: string) =>
    `{"type":"push","request_id":"h","mutations":[{"mutation_id":"${mid()}","model":"notes.Note","row_id":"${uuid()}","operation":"create","data":${data}}]}`;

  const cases: Array<[string, () => string | ArrayBuffer]> = [
    ["an empty binary frame", () => new ArrayBuffer(0)],
    ["a binary frame holding valid JSON", () => new TextEncoder().encode('{"type":"ping"}').buffer as ArrayBuffer],
    ["random bytes", () => crypto.getRandomValues(new Uint8Array(4096)).buffer as ArrayBuffer],
    ["an empty text frame", () => ""],
    ["whitespace", () => " \n\t "],
    ["a bare string", () => '"push"'],
    ["a number", () => "1e308"],
    ["NaN as text", () => "NaN"],
    ["arrays nested 63 deep in a query", () => `{"type":"query","request_id":"d63","query":${deepJson(61, "array")}}`],
    ["arrays nested 65 deep in a query", () => `{"type":"query","request_id":"d65","query":${deepJson(65, "array")}}`],
    ["objects nested 10000 deep in rpc args", () => `{"type":"rpc","request_id":"d10k","name":"x","args":${deepJson(10_000, "object")}}`],
    ["a json field nested 40 deep", () => pushOf(`{"title":"t","body":"b","archived":false,"tags":${deepJson(40, "array")}}`)],
    ["a json field nested 31 deep", () => pushOf(`{"title":"t","body":"b","archived":false,"tags":${deepJson(29, "object")}}`)],
    ["__proto__ at the top", () => withProtoKey('{"type":"ping"}')],
    ["__proto__ in a mutation", () => `{"type":"push","mutations":[{"__proto__":{"polluted":true},"mutation_id":"${mid()}","model":"notes.Note","row_id":"${uuid()}","operation":"delete"}]}`],
    ["__proto__ in a json field value", () => pushOf(`{"title":"t","body":"b","archived":false,"tags":{"__proto__":{"polluted":true}}}`)],
    ["__proto__ in a query condition", () => `{"type":"query","request_id":"p","query":{"model":"notes.Note","where":{"__proto__":{"field":"title"},"field":"title","op":"eq","value":"x"}}}`],
    ["__proto__ in resolve data", () => `{"type":"resolve_conflict","request_id":"p2","mutation_id":"${mid()}","model":"notes.Note","row_id":"${seededNote}","data":{"__proto__":{"polluted":true},"title":"x"}}`],
    ["constructor.prototype in a json field", () => pushOf(`{"title":"t","body":"b","archived":false,"tags":{"constructor":{"prototype":{"polluted":true}}}}`)],
    ["constructor as a field name", () => pushOf(`{"title":"t","body":"b","archived":false,"constructor":{"prototype":{"polluted":true}}}`)],
    ["prototype as a model", () => `{"type":"list_conflicts","request_id":"m","model":"prototype"}`],
    ["constructor as a model in a query", () => `{"type":"query","request_id":"m2","query":{"model":"constructor"}}`],
    ["toString as a model in a push", () => `{"type":"push","mutations":[{"mutation_id":"${mid()}","model":"toString","row_id":"${uuid()}","operation":"delete"}]}`],
    ["hasOwnProperty as a field in a query", () => `{"type":"query","request_id":"m3","query":{"model":"notes.Note","where":{"field":"hasOwnProperty","op":"eq","value":1}}}`],
    ["1e308 as an integer", () => pushOf(`{"title":"t","body":"b","archived":false,"priority":1e308}`)],
    ["-0 as an integer", () => pushOf(`{"title":"t","body":"b","archived":false,"priority":-0}`)],
    ["1e400 (Infinity once parsed) as an integer", () => pushOf(`{"title":"t","body":"b","archived":false,"priority":1e400}`)],
    ["NaN as a string for an integer", () => pushOf(`{"title":"t","body":"b","archived":false,"priority":"NaN"}`)],
    ["an unsafe integer", () => pushOf(`{"title":"t","body":"b","archived":false,"priority":9007199254740993}`)],
    ["1e308 as limit", () => `{"type":"query","request_id":"l","query":{"model":"notes.Note","limit":1e308}}`],
    ["-0 as offset", () => `{"type":"query","request_id":"o","query":{"model":"notes.Note","offset":-0}}`],
    ["1e400 as a query value", () => `{"type":"query","request_id":"v","query":{"model":"notes.Note","where":{"field":"priority","op":"lt","value":1e400}}}`],
    ["an escaped lone surrogate in a title", () => pushOf(`{"title":"\\ud800","body":"\\udfff\\ud800","archived":false}`)],
    ["an escaped lone surrogate in a mutation id", () => `{"type":"push","mutations":[{"mutation_id":"\\ud800${mid()}","model":"notes.Note","row_id":"${uuid()}","operation":"create","data":{"title":"t","body":"b","archived":false}}]}`],
    ["an escaped lone surrogate in a request id", () => `{"type":"query","request_id":"\\udc00","query":{"model":"notes.Note"}}`],
    ["an escaped lone surrogate in a client id", () => `{"type":"sync_start","client_id":"\\ud800","schema_version":"${SCHEMA_VERSION}"}`],
    ["an escaped lone surrogate in a query value", () => `{"type":"query","request_id":"s","query":{"model":"notes.Note","where":{"field":"title","op":"icontains","value":"\\ud800"}}}`],
    ["an escaped lone surrogate in a model", () => `{"type":"list_conflicts","request_id":"s2","model":"\\ud800"}`],
    ["NUL bytes in a title", () => pushOf(`{"title":"a\\u0000b","body":"\\u0000","archived":false}`)],
    ["a NUL in a query value", () => `{"type":"query","request_id":"n","query":{"model":"notes.Note","where":{"field":"title","op":"contains","value":"\\u0000"}}}`],
    ["a 129-char request id", () => `{"type":"query","request_id":"${"r".repeat(129)}","query":{"model":"notes.Note"}}`],
    ["a 100 kB client id", () => `{"type":"sync_start","client_id":"${"c".repeat(100_000)}","schema_version":"${SCHEMA_VERSION}"}`],
    ["a 900 kB title", () => pushOf(`{"title":"${"t".repeat(900_000)}","body":"b","archived":false}`)],
    ["an 8193-char token", () => `{"type":"auth","request_id":"t","token":"${"a".repeat(8193)}"}`],
    ["10,000 mutations", () => `{"type":"push","mutations":[${Array.from({ length: 10_000 }, () => "{}").join(",")}]}`],
    ["an in list of 501 values", () => `{"type":"query","request_id":"in","query":{"model":"notes.Note","where":{"field":"title","op":"in","value":[${Array.from({ length: 501 }, (_, i) => `"${i}"`).join(",")}]}}}`],
    ["a frame just over the limit", () => `{"type":"ping","pad":"${"x".repeat(1_048_576)}"}`],
  ];

  for (const [name, build] of cases) {
    it(`${name}: a typed answer, nothing written when refused`, async () => {
      await feed(build());
    });
  }

  it("regression: get_conflicts finds a row by the id it was pushed with, in any letter case", async () => {
    // A push accepts an upper-case UUID and stores it lowercased; get_conflicts looked the raw id up.
    const row = uuid().toUpperCase();
    const c = await Client.forUser(user);
    const created = await c.push([note(row, { title: "upper" })]);
    expect(created.results[0]!.status).toBe("applied");
    for (const asked of [row, row.toLowerCase()]) {
      const answer = await c.request({ type: "get_conflicts", model: "notes.Note", row_id: asked });
      expect(answer).toMatchObject({ type: "conflicts", row_id: row.toLowerCase(), winner: { rev: created.results[0]!.rev }, conflicts: [] });
    }
    c.close();
  });

  it("the seeded row was never changed by a refused frame, and the prototype is clean", async () => {
    await expectPrototypeClean(user);
  });
});
