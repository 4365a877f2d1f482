/**
 * @djazzkit/core as a package: the browser bundle of the SDK (everything but the SQLite engine)
 * stays within issue 10's budget of 40 KB min+gzip and carries no zod; the built package is
 * importable by name from Node with its `exports` and type declarations.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/bundle.js";

/** The budget, in bytes of minified and gzipped JavaScript. */
const BUDGET_BYTES = 40 * 1024;

describe("@djazzkit/core package", () => {
  it("the browser SDK without the SQLite engine is at most 40 KB min+gzip and has no zod", async () => {
    const out = await build({
      entryPoints: [join(REPO_ROOT, "client/index.ts")],
      bundle: true, minify: true, format: "esm", platform: "browser", target: "es2022", write: false, metafile: true,
      mainFields: ["browser", "module", "main"], external: ["@sqlite.org/sqlite-wasm", "better-sqlite3"], logLevel: "error",
    });
    const code = out.outputFiles[0]!.contents;
    const gz = gzipSync(code, { level: 9 }).byteLength;
    // Modules that contribute code (esbuild lists tree-shaken ones with 0 bytes).
    const inputs = Object.entries(Object.values(out.metafile.outputs)[0]!.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([f]) => f);
    console.info(`@djazzkit/core browser bundle: ${code.byteLength} B minified, ${gz} B min+gzip (budget ${BUDGET_BYTES} B), ${inputs.length} modules`);
    expect(inputs.filter((f) => f.includes("node_modules/zod"))).toEqual([]);
    expect(gz).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it("builds to dist/ and imports by name from Node: `@djazzkit/core` and `@djazzkit/core/node`, with declarations", () => {
    execFileSync(process.execPath, [join(REPO_ROOT, "client/build.mjs")], { cwd: REPO_ROOT, stdio: "pipe", timeout: 240_000 });
    for (const f of ["index.js", "node.js", "browser.js", "types/client/index.d.ts", "types/client/node.d.ts", "types/client/browser.d.ts"]) {
      expect(existsSync(join(REPO_ROOT, "client/dist", f)), f).toBe(true);
    }
    // A plain Node process (no test aliases): resolution goes through package.json `exports`.
    const script = `
      const core = await import("@djazzkit/core");
      const { openNodeStore } = await import("@djazzkit/core/node");
      const db = openNodeStore(":memory:");
      const m = { schema_version: "0123456789abcdef", models: {} };
      const c = new core.SyncClient({ url: "ws://127.0.0.1:9/x", schemaVersion: m.schema_version, manifest: m, store: db, socketFactory: () => ({ readyState: 0, send() {}, close() {}, onopen: null, onmessage: null, onclose: null, onerror: null }) });
      await c.opened;
      await c.close();
      console.log(JSON.stringify({ SyncClient: typeof core.SyncClient, RelayClient: typeof core.RelayClient, ephemeral: db.ephemeral }));`;
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: REPO_ROOT, encoding: "utf8", timeout: 60_000 });
    expect(JSON.parse(out.trim().split("\n").at(-1)!)).toEqual({ SyncClient: "function", RelayClient: "function", ephemeral: true });
  });
});
