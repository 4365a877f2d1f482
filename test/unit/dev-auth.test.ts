/**
 * Dev sign-in (scripts/dev-auth.mjs, used by `npm run dev` and `npm run token`): one random secret
 * per checkout in `.dev.vars`, kept across runs, and tokens the relay's verifier accepts for the
 * demo users with the asked lifetime.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { verifyJwt } from "../../auth/jwt.js";
// @ts-expect-error plain .mjs script without declarations
import { ensureDevSecret, mintDevToken, parseTtl } from "../../scripts/dev-auth.mjs";
import { REPO_ROOT } from "../support/bundle.js";

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });
const tmp = () => { const d = mkdtempSync(join(tmpdir(), "djazzkit-devauth-")); dirs.push(d); return d; };

describe("dev sign-in", () => {
  it("makes one random secret in .dev.vars, keeps other lines, and reuses it", () => {
    const dir = tmp();
    writeFileSync(join(dir, ".dev.vars"), "OTHER=1");
    const first = ensureDevSecret(dir);
    expect(first.created).toBe(true);
    expect(first.secret).toMatch(/^[\w-]{43}$/);
    expect(ensureDevSecret(dir)).toMatchObject({ secret: first.secret, created: false });
    expect(readFileSync(join(dir, ".dev.vars"), "utf8")).toMatch(/^OTHER=1\n/);
    expect(ensureDevSecret(tmp()).secret).not.toBe(first.secret);
  });

  it("mints tokens the relay accepts: alice is user 1, bob user 2, with the asked ttl", async () => {
    const secret = "s".repeat(43);
    const settings = { DJAZZKIT_JWT_SECRET: secret } as Parameters<typeof verifyJwt>[1];
    const now = Math.floor(Date.now() / 1000);
    const alice = await verifyJwt(await mintDevToken(secret, "alice", parseTtl("30m")), settings);
    expect(alice).toMatchObject({ user_id: "1", method: "jwt" });
    expect(alice.expires_at! - now).toBeGreaterThanOrEqual(1799);
    expect(alice.expires_at! - now).toBeLessThanOrEqual(1801);
    expect((await verifyJwt(await mintDevToken(secret, "bob"), settings)).user_id).toBe("2");
    expect((await verifyJwt(await mintDevToken(secret, "42"), settings)).user_id).toBe("42");
    await expect(mintDevToken(secret, "mallory")).rejects.toThrow(/unknown user/);
    expect(parseTtl("1h")).toBe(3600);
    expect(() => parseTtl("soon")).toThrow(/bad --ttl/);
  });

  it("npm run token refuses without a user (exit 2)", () => {
    expect(() => execFileSync(process.execPath, [join(REPO_ROOT, "scripts/token.mjs")], { stdio: "pipe" })).toThrow(/usage: npm run token/);
  });
});
