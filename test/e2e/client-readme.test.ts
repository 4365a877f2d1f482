/**
 * client/README.md's examples are tested, so none of them can be refused (issue 10): every
 * ```ts block is type-checked as a module beside the classes generated from the sample manifest
 * (as `./models.js`, importing `@djazzkit/core` as an app does), and the blocks marked `run`
 * are executed in order against a real relay (Miniflare, standalone) through the README's own
 * SyncClient set-up: none may throw, and the relay must accept every write they make.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setModelBackend, type RejectedWrite, type SyncClient } from "@djazzkit/core";
import { generate } from "../../client/codegen/generate.js";
import { Manifest } from "../../schemas/manifest.js";
import { mintJwt } from "../support/jwt.js";
import { startRelay, type RelayHandle } from "../support/relay.js";
import { TEST_JWT_SECRET } from "../support/secrets.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const README = readFileSync(join(REPO, "client/README.md"), "utf8");
const blocks = [...README.matchAll(/^```ts([^\n]*)\n([\s\S]*?)^```$/gm)].map((m, i) => ({ i, run: /\brun\b/.test(m[1]!), code: m[2]! }));
const dir = join(REPO, ".test-tmp", `readme-${process.pid}-${Date.now()}`);
const file = (b: { i: number }) => join(dir, `example-${b.i}.ts`);

let relay: RelayHandle;
beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  const manifest = Manifest.parse(JSON.parse(readFileSync(join(REPO, "djazzkit.schema.json"), "utf8")));
  writeFileSync(join(dir, "models.ts"), generate(manifest));
  relay = await startRelay({ bindings: { DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET, DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: "false" } });
  for (const b of blocks) {
    // The set-up block names the relay and the replica file an app would use; point them at the test's.
    const code = b.code.replaceAll("ws://127.0.0.1:8787", relay.wsUrl).replaceAll('"replica.db"', JSON.stringify(join(dir, "replica.db")));
    writeFileSync(file(b), code);
  }
});
afterAll(async () => {
  setModelBackend(undefined);
  await relay?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("client/README.md examples", () => {
  it("has examples, and the model sections' ones run", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    expect(blocks.filter((b) => b.run).length).toBeGreaterThanOrEqual(6);
  });

  it("every ts example type-checks under strict against @djazzkit/core and the generated models", async () => {
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({
      extends: join(REPO, "tsconfig.node.json"),
      compilerOptions: { noEmit: true, noUnusedLocals: false },
      include: [],
      files: [join(dir, "models.ts"), ...blocks.map(file)],
    }));
    const out = await promisify(execFile)(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")]).then(
      () => "",
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    expect(out).toBe("");
  }, 120_000);

  it("the runnable examples run in order against a real relay and no write of theirs is refused", async () => {
    process.env.DJAZZKIT_TOKEN = await mintJwt(4242);
    const rejected: RejectedWrite[] = [];
    let client: SyncClient | undefined;
    try {
      for (const b of blocks.filter((x) => x.run)) {
        const mod = (await import(pathToFileURL(file(b)).href)) as { client?: SyncClient };
        if (mod.client !== undefined) {
          client = mod.client;
          client.on("rejected", (r) => rejected.push(r));
        }
        expect(client, "the first runnable example opens the client").toBeDefined();
        await client!.whenSynced();
      }
      const notes = await client!.query({ model: "notes.Note" });
      expect(notes.map((n) => n["title"]).sort()).toEqual(["bread", "milk"]);
      expect(notes.every((n) => !n._djazzkit_pending)).toBe(true);
      expect(rejected).toEqual([]);
    } finally {
      delete process.env.DJAZZKIT_TOKEN;
      await client?.close();
    }
  }, 120_000);
});
