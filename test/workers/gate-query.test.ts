/**
 * `POST /djazzkit/query` and `POST /djazzkit/rpc/:name`: body bounds, JSON errors, and the query
 * bounds of PROTOCOL 4.2, all refused before any object is asked. A recording stand-in for the
 * object namespace shows exactly what an admitted request hands over (identity, bounded query).
 */
import { describe, expect, it } from "vitest";
import { errorBody, gate, postJson, recordingNamespace, RELAY, type Overrides } from "../support/workers/gate.js";
import { mintJwt } from "../support/jwt.js";

const model = "notes.Note";

async function query(body: unknown, overrides: Overrides = {}, headers: Record<string, string> = {}) {
  const rec = recordingNamespace({ query: { ok: true, rows: [{ _djazzkit_id: "r1" }], total: 1 } });
  const res = await gate(postJson("/djazzkit/query", body, headers), overrides, rec.bindings);
  return { res, calls: rec.calls };
}

async function expectRefused(body: unknown, code: string, overrides: Overrides = {}) {
  const { res, calls } = await query(body, overrides);
  expect(res.status).toBe(400);
  expect((await errorBody(res)).code).toBe(code);
  expect(calls).toEqual([]);
}

describe("limit bounds", () => {
  for (const limit of [0, -1, 1001, 1.5, "10", null, true]) {
    it(`limit ${JSON.stringify(limit)} is limit_out_of_range and reaches no object`, async () => {
      await expectRefused({ model, limit }, "limit_out_of_range");
    });
  }
  for (const limit of [1, 1000]) {
    it(`limit ${limit} is admitted`, async () => {
      const { res, calls } = await query({ model, limit });
      expect(res.status).toBe(200);
      expect((calls[0]!.args[1] as { limit: number }).limit).toBe(limit);
    });
  }
});

describe("offset bounds", () => {
  for (const offset of [-1, 10001, 2.5, "0"]) {
    it(`offset ${JSON.stringify(offset)} is offset_out_of_range and reaches no object`, async () => {
      await expectRefused({ model, offset }, "offset_out_of_range");
    });
  }
  it("offset 10000 is admitted", async () => {
    const { res } = await query({ model, offset: 10000 });
    expect(res.status).toBe(200);
  });
});

describe("defaults and configured maxima", () => {
  it("a query without limit and offset reaches the object with limit 100, offset 0", async () => {
    const { res, calls } = await query({ model });
    expect(res.status).toBe(200);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[1]).toEqual({ model, limit: 100, offset: 0 });
  });

  it("DJAZZKIT_QUERY_MAX_LIMIT=2000 admits limit 1500, refused by default", async () => {
    await expectRefused({ model, limit: 1500 }, "limit_out_of_range");
    const { res } = await query({ model, limit: 1500 }, { DJAZZKIT_QUERY_MAX_LIMIT: "2000" });
    expect(res.status).toBe(200);
  });

  it("DJAZZKIT_QUERY_MAX_LIMIT=50 refuses limit 51 and the default limit 100", async () => {
    await expectRefused({ model, limit: 51 }, "limit_out_of_range", { DJAZZKIT_QUERY_MAX_LIMIT: "50" });
    await expectRefused({ model }, "limit_out_of_range", { DJAZZKIT_QUERY_MAX_LIMIT: "50" });
    const { res } = await query({ model, limit: 50 }, { DJAZZKIT_QUERY_MAX_LIMIT: "50" });
    expect(res.status).toBe(200);
  });

  it("DJAZZKIT_QUERY_MAX_OFFSET=10 refuses offset 11; 20000 admits offset 15000", async () => {
    await expectRefused({ model, offset: 11 }, "offset_out_of_range", { DJAZZKIT_QUERY_MAX_OFFSET: "10" });
    await expectRefused({ model, offset: 15000 }, "offset_out_of_range");
    const { res } = await query({ model, offset: 15000 }, { DJAZZKIT_QUERY_MAX_OFFSET: "20000" });
    expect(res.status).toBe(200);
  });
});

describe("query structure", () => {
  it("an unknown operator is invalid_query", async () => {
    await expectRefused({ model, where: { field: "title", op: "regex", value: ".*" } }, "invalid_query");
  });

  it("an unknown key is invalid_query", async () => {
    await expectRefused({ model, select: ["*"] }, "invalid_query");
  });

  it("a missing model is invalid_query", async () => {
    await expectRefused({ limit: 10 }, "invalid_query");
  });

  it("a body that is not an object is invalid_query", async () => {
    await expectRefused([1, 2], "invalid_query");
  });

  it("an over-deep tree is query_too_complex", async () => {
    let where: unknown = { field: "title", op: "eq", value: "x" };
    for (let i = 0; i < 20; i++) where = { not: where };
    await expectRefused({ model, where }, "query_too_complex");
  });

  it("a very deep hostile tree is refused without a stack overflow", async () => {
    let where: unknown = { field: "title", op: "eq", value: "x" };
    for (let i = 0; i < 5000; i++) where = { and: [where] };
    await expectRefused({ model, where }, "query_too_complex");
  });

  it("too many conditions is query_too_complex", async () => {
    const and = Array.from({ length: 100 }, () => ({ field: "title", op: "eq", value: "x" }));
    await expectRefused({ model, where: { and } }, "query_too_complex");
  });

  it("a long `in` list is query_too_complex", async () => {
    await expectRefused({ model, where: { field: "id", op: "in", value: Array.from({ length: 600 }, (_, i) => i) } }, "query_too_complex");
  });

  it("a nested query with every operator is admitted intact", async () => {
    const where = {
      and: [
        { field: "title", op: "icontains", value: "milk" },
        { not: { field: "archived", op: "eq", value: true } },
        { or: [{ field: "n", op: "in", value: [1, 2] }, { field: "d", op: "isnull", value: true }] },
      ],
    };
    const body = { model, where, order_by: [["_djazzkit_updated_at", "desc"]], limit: 50, offset: 0 };
    const { res, calls } = await query(body);
    expect(res.status).toBe(200);
    expect(calls[0]!.args[1]).toEqual(body);
  });
});

describe("bodies", () => {
  it("invalid JSON is invalid_message", async () => {
    await expectRefused("{not json", "invalid_message");
  });

  it("a body over DJAZZKIT_MAX_MESSAGE_BYTES is message_too_large (413)", async () => {
    const { res, calls } = await query({ model, pad: "x".repeat(5000) }, { DJAZZKIT_MAX_MESSAGE_BYTES: "4096" });
    expect(res.status).toBe(413);
    expect((await errorBody(res)).code).toBe("message_too_large");
    expect(calls).toEqual([]);
  });

  it("a streamed body without Content-Length is bounded too", async () => {
    const rec = recordingNamespace();
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 10; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1000)));
        controller.close();
      },
    });
    const req = new Request(`${RELAY}/djazzkit/query`, { method: "POST", body: stream });
    const res = await gate(req, { DJAZZKIT_MAX_MESSAGE_BYTES: "4096" }, rec.bindings);
    expect(res.status).toBe(413);
    expect(rec.calls).toEqual([]);
  });

  it("GET on the query endpoint is not a query", async () => {
    const res = await gate(new Request(`${RELAY}/djazzkit/query`));
    expect(res.status).toBe(404);
  });
});

describe("answers and identity", () => {
  it("answers {rows, total} from the object", async () => {
    const { res } = await query({ model });
    expect(await res.json()).toEqual({ rows: [{ _djazzkit_id: "r1" }], total: 1 });
  });

  it("an object error travels back with its code and status", async () => {
    const rec = recordingNamespace({ query: { ok: false, error: { code: "unknown_field", message: "unknown field x" } } });
    const res = await gate(postJson("/djazzkit/query", { model }), {}, rec.bindings);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ code: "unknown_field", message: "unknown field x" });
  });

  it("a bearer token routes to the user's object with the verified identity", async () => {
    const token = await mintJwt("alice");
    const { res, calls } = await query({ model }, {}, { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(calls[0]!.object).toBe("user:alice");
    expect(calls[0]!.args[0]).toMatchObject({ user_id: "alice", method: "jwt" });
  });

  it("without a credential and with the fallback on, the anonymous object answers", async () => {
    const { calls } = await query({ model });
    expect(calls[0]!.object).toBe("anonymous");
    expect(calls[0]!.args[0]).toEqual({ user_id: null, expires_at: null, method: "anonymous" });
  });

  it("without a credential and with the fallback off, 401 and no object", async () => {
    const { res, calls } = await query({ model }, { DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" });
    expect(res.status).toBe(401);
    expect((await errorBody(res)).code).toBe("auth_required");
    expect(calls).toEqual([]);
  });

  it("an expired token with the fallback off is auth_expired", async () => {
    const token = await mintJwt("alice", { expiresInS: -600 });
    const { res } = await query({ model }, { DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" }, { Authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect((await errorBody(res)).code).toBe("auth_expired");
  });
});

describe("RPC over HTTP", () => {
  it("calls the user's object with the name and args", async () => {
    const rec = recordingNamespace({ rpc: { ok: true, result: { sum: 3 } } });
    const token = await mintJwt("bob");
    const res = await gate(postJson("/djazzkit/rpc/math.add", { args: { a: 1, b: 2 } }, { Authorization: `Bearer ${token}` }), {}, rec.bindings);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ result: { sum: 3 } });
    expect(rec.calls).toHaveLength(1);
    expect(rec.calls[0]!.object).toBe("user:bob");
    expect(rec.calls[0]!.args.slice(1)).toEqual(["math.add", { a: 1, b: 2 }]);
  });

  it("an RPC failure travels back with its code", async () => {
    const rec = recordingNamespace({ rpc: { ok: false, error: { code: "rpc_failed", message: "boom" } } });
    const res = await gate(postJson("/djazzkit/rpc/explode", { args: [] }), {}, rec.bindings);
    expect(res.status).toBe(502);
    expect((await errorBody(res)).code).toBe("rpc_failed");
  });

  it("a bad name, a bad body or an oversized body reaches no object", async () => {
    const rec = recordingNamespace();
    const bad = [
      await gate(postJson("/djazzkit/rpc/1bad", { args: [] }), {}, rec.bindings),
      await gate(postJson("/djazzkit/rpc/ok", { args: [], extra: 1 }), {}, rec.bindings),
      await gate(postJson("/djazzkit/rpc/ok", "nope{"), {}, rec.bindings),
      await gate(postJson("/djazzkit/rpc/ok", { args: "x".repeat(5000) }), { DJAZZKIT_MAX_MESSAGE_BYTES: "4096" }, rec.bindings),
      await gate(postJson("/djazzkit/rpc/ok", { args: [] }), { DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" }, rec.bindings),
    ];
    expect(bad.map((r) => r.status)).toEqual([400, 400, 400, 413, 401]);
    expect(rec.calls).toEqual([]);
  });
});
