/** `GET /djazzkit/schema` (read by `djazzkit codegen --schema <relay URL>`): the manifest, touching no object. */
import { describe, expect, it } from "vitest";
import manifest from "../../djazzkit.schema.json";
import { gate, recordingNamespace, RELAY } from "../support/workers/gate.js";

describe("GET /djazzkit/schema", () => {
  it("standalone: the bundled manifest, defaults, max_length and choices included", async () => {
    const rec = recordingNamespace();
    const res = await gate(new Request(`${RELAY}/djazzkit/schema`), {}, rec.bindings);
    expect(res.status).toBe(200);
    const body = (await res.json()) as typeof manifest;
    expect(body).toEqual(manifest);
    expect(body.models["notes.Note"].fields.body).toEqual({ type: "string", nullable: false, default: "" });
    expect(rec.calls).toEqual([]);
  });

  it("with an origin but no secret, or an unreachable origin: 502 origin_unavailable, never a stale file", async () => {
    const rec = recordingNamespace();
    const noSecret = await gate(new Request(`${RELAY}/djazzkit/schema`), { DJAZZKIT_ORIGIN_URL: "http://127.0.0.1:9" }, rec.bindings);
    expect(noSecret.status).toBe(502);
    expect(await noSecret.json()).toMatchObject({ code: "origin_unavailable" });
    const down = await gate(new Request(`${RELAY}/djazzkit/schema`), {
      DJAZZKIT_ORIGIN_URL: "http://127.0.0.1:9", DJAZZKIT_RELAY_SECRET: "s".repeat(32), DJAZZKIT_ORIGIN_TIMEOUT_MS: "2000",
    }, rec.bindings);
    expect(down.status).toBe(502);
    expect(await down.json()).toMatchObject({ code: "origin_unavailable" });
    expect(rec.calls).toEqual([]);
  });
});
