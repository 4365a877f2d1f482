/**
 * `djazzkit codegen`: the command in-process (sources, usage and error exits) and as the built
 * `bin` file, fed by Django's `manage.py djazzkit_schema` through a pipe, as the README shows.
 * Needs Debian's Django (/usr/bin/python3); fails loudly without it.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main, type CliIo } from "../../client/codegen/cli.js";
import { generate } from "../../client/codegen/generate.js";
import { Manifest } from "../../schemas/manifest.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const SAMPLE = join(REPO, "djazzkit.schema.json");
const committed = Manifest.parse(JSON.parse(readFileSync(SAMPLE, "utf8")));
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "djazzkit-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function io(over: Partial<CliIo> = {}): CliIo & { lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { stdin: async () => "", out: (l) => lines.push(l), err: (l) => errors.push(l), env: {}, lines, errors, ...over };
}

describe("djazzkit codegen (in-process)", () => {
  it("--schema <file> writes <out>/models.ts, the generator's output for that manifest", async () => {
    const out = join(dir, "from-file");
    const t = io();
    expect(await main(["codegen", "--schema", SAMPLE, "--out", out], t)).toBe(0);
    expect(readFileSync(join(out, "models.ts"), "utf8")).toBe(generate(committed));
    expect(t.lines[0]).toContain(`3 models, schema ${committed.schema_version}`);
  });

  it("--schema - reads standard input; --import changes the runtime module", async () => {
    const out = join(dir, "from-stdin");
    const t = io({ stdin: async () => readFileSync(SAMPLE, "utf8") });
    expect(await main(["codegen", "--schema", "-", "--out", out, "--import", "./runtime.js"], t)).toBe(0);
    expect(readFileSync(join(out, "models.ts"), "utf8")).toBe(generate(committed, { importFrom: "./runtime.js" }));
  });

  it("a relay URL is read at /djazzkit/schema; with a secret a URL is the origin's signed GET schema", async () => {
    const seen: Array<{ url: string; signed: boolean }> = [];
    const fakeFetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
      const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
      seen.push({ url: String(input instanceof Request ? input.url : input), signed: headers.has("X-Djazzkit-Signature") });
      return new Response(JSON.stringify(committed), { headers: { "Content-Type": "application/json" } });
    }) as typeof fetch;
    expect(await main(["codegen", "--schema", "http://relay.test:8787", "--out", join(dir, "relay")], io({ fetch: fakeFetch }))).toBe(0);
    expect(await main(["codegen", "--schema", "http://relay.test:8787/djazzkit/schema", "--out", join(dir, "relay2")], io({ fetch: fakeFetch }))).toBe(0);
    expect(await main(["codegen", "--schema", "http://origin.test/djazzkit/relay/", "--out", join(dir, "origin")],
      io({ fetch: fakeFetch, env: { DJAZZKIT_RELAY_SECRET: "s".repeat(32) } }))).toBe(0);
    expect(seen).toEqual([
      { url: "http://relay.test:8787/djazzkit/schema", signed: false },
      { url: "http://relay.test:8787/djazzkit/schema", signed: false },
      { url: "http://origin.test/djazzkit/relay/schema", signed: true },
    ]);
    expect(readFileSync(join(dir, "origin", "models.ts"), "utf8")).toBe(generate(committed));
  });

  it("unreadable or invalid schemas exit 1 naming the source; bad usage exits 2 with the usage", async () => {
    const bad = io({ stdin: async () => "{not json" });
    expect(await main(["codegen", "--schema", "-", "--out", join(dir, "x")], bad)).toBe(1);
    expect(bad.errors.join("\n")).toContain("standard input is not JSON");
    const wrong = io({ stdin: async () => JSON.stringify({ schema_version: "nothex", models: {} }) });
    expect(await main(["codegen", "--schema", "-", "--out", join(dir, "x")], wrong)).toBe(1);
    expect(wrong.errors.join("\n")).toContain("schema_version");
    const missing = io();
    expect(await main(["codegen", "--schema", join(dir, "nope.json"), "--out", join(dir, "x")], missing)).toBe(1);
    expect(missing.errors.join("\n")).toContain("cannot read");
    const down = io({ fetch: (async () => new Response("no", { status: 503 })) as typeof fetch });
    expect(await main(["codegen", "--schema", "http://relay.test", "--out", join(dir, "x")], down)).toBe(1);
    expect(down.errors.join("\n")).toContain("answered 503");
    for (const argv of [[], ["codegen"], ["codegen", "--schema", SAMPLE], ["generate"], ["codegen", "--schema", SAMPLE, "--out", dir, "--bogus"]]) {
      const t = io();
      expect(await main(argv, t)).toBe(2);
      expect(t.errors.join("\n")).toContain("usage: djazzkit codegen");
    }
  });
});

describe("the djazzkit bin", () => {
  it("`manage.py djazzkit_schema | djazzkit codegen --schema - --out <dir>` writes the classes for Django's manifest", async () => {
    const bin = join(dir, "djazzkit.js");
    // The package's bin entry, built as client/build.mjs builds it.
    await build({ entryPoints: [join(REPO, "client/bin/djazzkit.ts")], outfile: bin, bundle: true, format: "esm", platform: "node", target: "node20", logLevel: "error" });
    const pkg = JSON.parse(readFileSync(join(REPO, "client/package.json"), "utf8")) as { bin: Record<string, string> };
    expect(pkg.bin).toEqual({ djazzkit: "./dist/djazzkit.js" });

    const out = join(dir, "piped");
    const env = { ...process.env, DJAZZKIT_RELAY_SCHEMA_SALT: "", PYTHONDONTWRITEBYTECODE: "1" };
    const django = spawn("/usr/bin/python3", ["manage.py", "djazzkit_schema"], { cwd: join(REPO, "django/sample"), env, stdio: ["ignore", "pipe", "inherit"] });
    const codegen = spawn(process.execPath, [bin, "codegen", "--schema", "-", "--out", out], { stdio: ["pipe", "pipe", "pipe"] });
    django.stdout.pipe(codegen.stdin);
    let said = "";
    codegen.stdout.on("data", (b: Buffer) => (said += b.toString()));
    codegen.stderr.on("data", (b: Buffer) => (said += b.toString()));
    const [djangoCode, codegenCode] = await Promise.all([
      new Promise<number | null>((r) => django.on("close", r)),
      new Promise<number | null>((r) => codegen.on("close", r)),
    ]);
    expect(djangoCode).toBe(0);
    expect({ codegenCode, said }).toEqual({ codegenCode: 0, said: `wrote ${join(out, "models.ts")}: 3 models, schema ${committed.schema_version}\n` });
    // Django's manifest is the committed one (notes' SampleManifestTests), so the classes are too.
    expect(readFileSync(join(out, "models.ts"), "utf8")).toBe(generate(committed));
    const help = await promisify(execFile)(process.execPath, [bin, "--help"]);
    expect(help.stdout).toContain("--schema");
  }, 60_000);
});
