import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("health", () => {
  it("answers ok", async () => {
    const res = await exports.default.fetch("http://relay.test/djazzkit/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true, mode: "standalone" });
  });
});
