/**
 * The signing of the origin contract (PROTOCOL 6) as laws, and the vector Django's
 * tests/test_signing.py checks too, so both sides compute the same string and MAC.
 */
import { describe, expect, it } from "vitest";
import { newNonce, sign, signedHeaders, signingString, verify } from "../../schemas/signature.js";

const N = "0123456789abcdef0123456789abcdef";

describe("origin call signatures", () => {
  it("sign the timestamp, nonce, method, path and body: the vector Django checks", async () => {
    expect(signingString("1", N, "post", "/x", "{}")).toBe(`1.${N}.POST./x.{}`);
    expect(await sign("k", "1", N, "POST", "/x", "{}")).toBe("v2=0b281b04e3d0179f9d40a016e6d05ab66f2342015c1001f442fb79aafbc5a814");
  });

  it("every set of headers has its own nonce, and verifies only with it", async () => {
    const now = Date.now();
    const a = await signedHeaders("s", "POST", "/p", "{}", now);
    const b = await signedHeaders("s", "POST", "/p", "{}", now);
    expect(a["X-Djazzkit-Nonce"]).not.toBe(b["X-Djazzkit-Nonce"]);
    expect(a["X-Djazzkit-Nonce"]).toMatch(/^[0-9a-f]{32}$/);
    const check = (h: Record<string, string>, nonce = h["X-Djazzkit-Nonce"]!) =>
      verify("s", h["X-Djazzkit-Timestamp"]!, nonce, h["X-Djazzkit-Signature"]!, "POST", "/p", "{}", now);
    expect(await check(a)).toEqual({ ok: true });
    expect(await check(a, b["X-Djazzkit-Nonce"])).toEqual({ ok: false, reason: "bad_signature" });
    expect(await check(a, "")).toEqual({ ok: false, reason: "missing" });
    expect(await check(a, "not a nonce!")).toEqual({ ok: false, reason: "malformed" });
    expect(new Set(Array.from({ length: 100 }, newNonce)).size).toBe(100);
  });
});
