/**
 * Gate table, first half: request sanity and the socket Origin policy (PROTOCOL 5), for
 * DJAZZKIT_WS_REQUIRE_ORIGIN on and off × Origin missing / listed / unlisted / wildcard.
 */
import { describe, expect, it } from "vitest";
import { errorBody, gate, readRefusal, RELAY, socketRequest } from "../support/workers/gate.js";

const LIST = "https://app.example.com, https://*.example.org";

describe("the sync endpoint speaks only WebSocket", () => {
  it("a plain GET is refused with 426 before anything else", async () => {
    const res = await gate(new Request(`${RELAY}/djazzkit/sync`));
    expect(res.status).toBe(426);
    expect(res.headers.get("Upgrade")).toBe("websocket");
    expect((await errorBody(res)).code).toBe("invalid_message");
  });

  it("a POST with Upgrade: websocket is refused with 426", async () => {
    const res = await gate(new Request(`${RELAY}/djazzkit/sync`, { method: "POST", headers: { Upgrade: "websocket" }, body: "x" }));
    expect(res.status).toBe(426);
  });

  it("an over-long URL is refused", async () => {
    const res = await gate(new Request(`${RELAY}/djazzkit/sync?pad=${"a".repeat(5000)}`, { headers: { Upgrade: "websocket" } }));
    expect(res.status).toBe(414);
    expect((await errorBody(res)).code).toBe("message_too_large");
  });

  it("over-large headers are refused", async () => {
    const res = await gate(socketRequest({ headers: { "X-Pad": "a".repeat(40_000) } }));
    expect(res.status).toBe(431);
    expect((await errorBody(res)).code).toBe("message_too_large");
  });

  it("unknown paths answer a JSON 404", async () => {
    const res = await gate(new Request(`${RELAY}/djazzkit/nope`));
    expect(res.status).toBe(404);
    expect((await errorBody(res)).code).toBe("invalid_message");
  });
});

type Row = { origin: string | undefined; allowed: boolean };

describe.each([
  { require: "false", list: LIST, rows: [
    { origin: undefined, allowed: true },
    { origin: "https://app.example.com", allowed: true },
    { origin: "https://evil.example.net", allowed: false },
    { origin: "https://a.example.org", allowed: true },
  ] },
  { require: "true", list: LIST, rows: [
    { origin: undefined, allowed: false },
    { origin: "https://app.example.com", allowed: true },
    { origin: "https://evil.example.net", allowed: false },
    { origin: "https://a.example.org", allowed: true },
  ] },
] as { require: string; list: string; rows: Row[] }[])("REQUIRE_ORIGIN=$require with an allow-list", ({ require, list, rows }) => {
  for (const { origin, allowed } of rows) {
    it(`Origin ${origin ?? "missing"} is ${allowed ? "admitted (101)" : origin === undefined ? "refused (403)" : "refused in-band (4403)"}`, async () => {
      const res = await gate(socketRequest(origin === undefined ? {} : { origin }), {
        DJAZZKIT_WS_REQUIRE_ORIGIN: require,
        DJAZZKIT_WS_ALLOWED_ORIGINS: list,
      });
      if (allowed) {
        expect(res.status).toBe(101);
        res.webSocket?.accept();
        res.webSocket?.close();
      } else {
        // With an Origin (a browser) the refusal comes in-band, close 4403; without one, HTTP 403.
        const refusal = await readRefusal(res);
        expect(refusal).toMatchObject({ via: origin === undefined ? "http" : "socket", status: 403, code: "forbidden" });
        if (origin !== undefined) expect(refusal.close?.code).toBe(4403);
      }
    });
  }
});

describe("wildcard patterns match subdomains only", () => {
  const cases: [string, boolean][] = [
    ["https://a.example.org", true],
    ["https://deep.sub.example.org", true],
    ["https://example.org", false],
    ["https://badexample.org", false],
    ["https://a.example.org.evil.com", false],
    ["http://a.example.org", false],
    ["https://a.example.org:8443", false],
    ["null", false],
  ];
  for (const [origin, allowed] of cases) {
    it(`${origin} ${allowed ? "matches" : "does not match"} https://*.example.org`, async () => {
      const res = await gate(socketRequest({ origin }), { DJAZZKIT_WS_ALLOWED_ORIGINS: "https://*.example.org" });
      if (!allowed) {
        expect(await readRefusal(res)).toMatchObject({ via: "socket", status: 403, code: "forbidden" });
        return;
      }
      expect(res.status).toBe(101);
      res.webSocket?.accept();
      res.webSocket?.close();
    });
  }
});

describe("without an allow-list", () => {
  it("any Origin is admitted when none is required", async () => {
    const res = await gate(socketRequest({ origin: "https://anything.example" }));
    expect(res.status).toBe(101);
    res.webSocket?.accept();
    res.webSocket?.close();
  });

  it("a missing Origin is refused when one is required", async () => {
    const res = await gate(socketRequest(), { DJAZZKIT_WS_REQUIRE_ORIGIN: "true" });
    expect(res.status).toBe(403);
  });

  it("the relay's own origin is admitted even when an allow-list does not name it", async () => {
    const res = await gate(socketRequest({ origin: RELAY }), { DJAZZKIT_WS_ALLOWED_ORIGINS: "https://app.example.com", DJAZZKIT_WS_REQUIRE_ORIGIN: "true" });
    expect(res.status).toBe(101);
    res.webSocket?.accept();
    res.webSocket?.close();
  });
});
