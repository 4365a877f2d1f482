#!/usr/bin/env node
/**
 * `npm run token -- <user> [--ttl 1h]`: prints a relay token for scripts, signed with the dev
 * secret in `.dev.vars` (made on first use, as `npm run dev` does). <user>: alice, bob or a numeric id.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { ensureDevSecret, mintDevToken, parseTtl } from "./dev-auth.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
try {
  const { values, positionals } = parseArgs({ options: { ttl: { type: "string", default: "1h" } }, allowPositionals: true });
  if (positionals.length !== 1) throw new Error("usage: npm run token -- <alice|bob|user-id> [--ttl 1h]");
  const { secret, created, file } = ensureDevSecret(root);
  if (created) console.error(`created a dev secret in ${file}`);
  console.log(await mintDevToken(secret, positionals[0], parseTtl(values.ttl)));
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(2);
}
