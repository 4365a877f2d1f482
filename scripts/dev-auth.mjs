/**
 * Dev sign-in for `npm run dev` and `npm run token`: a random HS256 secret kept in `.dev.vars`
 * (git-ignored; `wrangler dev` reads it, `wrangler deploy` never does) and short-lived tokens
 * signed with it. Nothing here is reachable over HTTP: no endpoint ever mints tokens.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT } from "jose";

/** Demo users: the relay's owner fields are integers, so names map to ids (as in the Django sample). */
export const DEMO_USERS = { alice: "1", bob: "2" };
const KEY = "DJAZZKIT_JWT_SECRET";

/** Reads the dev secret from `<root>/.dev.vars`, creating it (and the file) the first time. */
export function ensureDevSecret(root) {
  const file = join(root, ".dev.vars");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const found = text.match(new RegExp(`^${KEY}\\s*=\\s*"?([^"\\n]+)"?\\s*$`, "m"));
  if (found) return { secret: found[1], created: false, file };
  const secret = randomBytes(32).toString("base64url");
  const sep = text === "" || text.endsWith("\n") ? "" : "\n";
  writeFileSync(file, `${text}${sep}# Dev-only JWT secret made by \`npm run dev\` (never deployed).\n${KEY}="${secret}"\n`, { mode: 0o600 });
  return { secret, created: true, file };
}

/** `1h`, `30m`, `90s`, `2d` or plain seconds. */
export function parseTtl(ttl) {
  const m = /^(\d+)([smhd]?)$/.exec(String(ttl).trim());
  if (!m) throw new Error(`bad --ttl ${JSON.stringify(ttl)}: use e.g. 90s, 30m, 1h, 2d`);
  return Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]];
}

/** A token for `user` (a demo name or a numeric id), valid `ttlS` seconds. */
export async function mintDevToken(secret, user, ttlS = 3600) {
  const sub = DEMO_USERS[user] ?? String(user);
  if (!/^[1-9]\d*$/.test(sub)) throw new Error(`unknown user ${JSON.stringify(user)}: use ${Object.keys(DEMO_USERS).join(", ")} or a numeric user id`);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ name: DEMO_USERS[user] ? user : `user ${sub}` })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setSubject(sub).setIssuedAt(now).setExpirationTime(now + ttlS)
    .sign(new TextEncoder().encode(secret));
}

/** The page link that signs in as `user`: the token rides in the fragment, never sent to a server. */
export function signInLink(base, token) {
  return `${base}/#token=${token}`;
}
