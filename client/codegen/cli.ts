/**
 * `djazzkit codegen --schema <file | - | relay or origin URL> --out <dir> [--import <module>] [--secret <s>]`:
 * reads the manifest (read-schema.ts), writes `<dir>/models.ts` (generate.ts). Exit codes: 0 done,
 * 1 the schema could not be read or written, 2 bad usage.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generate } from "./generate.js";
import { CodegenError, readSchema } from "./read-schema.js";

export const USAGE = `usage: djazzkit codegen --schema <manifest.json | - | relay or origin URL> --out <dir> [--import <module>] [--secret <secret>]

  --schema   the manifest: a file, "-" for standard input (manage.py djazzkit_schema | ...),
             a relay URL (GET /djazzkit/schema), or an origin URL with --secret
  --out      directory to write models.ts into (created if missing)
  --import   module the generated code imports (default @djazzkit/core)
  --secret   DJAZZKIT_RELAY_SECRET, to read an origin's signed GET schema (or set the variable)`;

export interface CliIo {
  stdin: () => Promise<string>;
  out: (line: string) => void;
  err: (line: string) => void;
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    io.out(USAGE);
    return 0;
  }
  if (command !== "codegen") {
    io.err(command === undefined ? USAGE : `unknown command ${JSON.stringify(command)}\n${USAGE}`);
    return 2;
  }
  let values: { schema?: string; out?: string; import?: string; secret?: string };
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: { schema: { type: "string" }, out: { type: "string" }, import: { type: "string" }, secret: { type: "string" } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    io.err(`${err instanceof Error ? err.message : String(err)}\n${USAGE}`);
    return 2;
  }
  if (values.schema === undefined || values.out === undefined) {
    io.err(`--schema and --out are required\n${USAGE}`);
    return 2;
  }
  try {
    const secret = values.secret ?? io.env.DJAZZKIT_RELAY_SECRET;
    const manifest = await readSchema(values.schema, { stdin: io.stdin, ...(secret ? { secret } : {}), ...(io.fetch ? { fetch: io.fetch } : {}) });
    const file = join(values.out, "models.ts");
    await mkdir(values.out, { recursive: true });
    await writeFile(file, generate(manifest, values.import ? { importFrom: values.import } : {}));
    const n = Object.keys(manifest.models).length;
    io.out(`wrote ${file}: ${n} model${n === 1 ? "" : "s"}, schema ${manifest.schema_version}`);
    return 0;
  } catch (err) {
    if (err instanceof CodegenError) {
      io.err(`djazzkit codegen: ${err.message}`);
      return 1;
    }
    io.err(`djazzkit codegen: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return 1;
  }
}
