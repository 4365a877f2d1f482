/**
 * auth/jwt.ts imports each HMAC key once per secret and algorithm (not on every verification):
 * the cached key must still be the configured secret's, for the token's own algorithm. Tokens of
 * every HMAC algorithm verify with the right secret; a changed secret refuses the old secret's
 * tokens at once; a token of one algorithm is never checked with another algorithm's key.
 */
import { describe, expect, it } from "vitest";
import { verifyJwt } from "../../auth/jwt.js";
import { RelayError } from "../../schemas/errors.js";
import { mintJwt } from "../support/jwt.js";

const A = "first-secret-that-is-32-bytes-long!!";
const B = "second-secret-that-is-32-bytes-long!";
const settings = (secret: string) => ({ DJAZZKIT_JWT_SECRET: secret, DJAZZKIT_JWT_ALGORITHMS: ["HS256", "HS384", "HS512"], DJAZZKIT_JWKS_URL: undefined, DJAZZKIT_JWT_ISSUER: undefined, DJAZZKIT_JWT_AUDIENCE: undefined });

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "accepted";
  } catch (e) {
    return e instanceof RelayError ? e.code : String(e);
  }
}

describe("HMAC keys imported once", () => {
  it("every HMAC algorithm verifies with its secret, repeatedly", async () => {
    for (const alg of ["HS256", "HS384", "HS512"] as const) {
      for (let i = 0; i < 3; i++) {
        expect(await verifyJwt(await mintJwt("7", { alg, secret: A }), settings(A))).toMatchObject({ user_id: "7", method: "jwt" });
      }
    }
  });

  it("a changed secret is used at once: the old secret's tokens are refused, the new one's accepted", async () => {
    const old = await mintJwt("7", { secret: A });
    expect(await verifyJwt(old, settings(A))).toMatchObject({ user_id: "7" });
    expect(await refusal(verifyJwt(old, settings(B)))).toBe("auth_required");
    expect(await verifyJwt(await mintJwt("8", { secret: B }), settings(B))).toMatchObject({ user_id: "8" });
    expect(await verifyJwt(old, settings(A))).toMatchObject({ user_id: "7" });
  });

  it("a token whose header names another algorithm than it was signed with is refused", async () => {
    await verifyJwt(await mintJwt("7", { alg: "HS512", secret: A }), settings(A)); // HS512 key cached
    const hs256 = await mintJwt("7", { alg: "HS256", secret: A });
    const [, payload, sig] = hs256.split(".");
    const header = Buffer.from(JSON.stringify({ alg: "HS512", typ: "JWT" })).toString("base64url");
    expect(await refusal(verifyJwt(`${header}.${payload}.${sig}`, settings(A)))).toBe("auth_required");
  });
});
