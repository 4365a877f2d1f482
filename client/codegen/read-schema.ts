/**
 * Where `djazzkit codegen --schema <source>` reads the manifest from:
 * - a file path (e.g. `djazzkit.schema.json`);
 * - `-`: standard input, so `python manage.py djazzkit_schema | npx djazzkit codegen --schema - ...` works;
 * - a relay URL: `GET <relay>/djazzkit/schema` (a URL already ending in `/schema` is used as is);
 * - an origin URL, when a secret is given (`--secret` or `DJAZZKIT_RELAY_SECRET`): the signed
 *   `GET schema` of the origin contract, the URL's path being the prefix (default `/djazzkit/relay/`).
 * The answer must be a valid manifest; anything else is a CodegenError naming the source.
 */
import { readFile } from "node:fs/promises";
import { Manifest } from "../../schemas/manifest.js";
import { OriginClient } from "../../origin-client/client.js";

export class CodegenError extends Error {
  override readonly name = "CodegenError";
}

export interface ReadSchemaOptions {
  /** Standard input's text (read only for `-`). */
  stdin?: () => Promise<string>;
  /** Signs origin calls; without it a URL is read as a relay. */
  secret?: string;
  fetch?: typeof fetch;
}

export async function readSchema(source: string, opts: ReadSchemaOptions = {}): Promise<Manifest> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    if (opts.secret) return fromOrigin(source, opts.secret, opts.fetch);
    text = await fromRelay(source, opts.fetch ?? fetch);
  } else if (source === "-") {
    if (opts.stdin === undefined) throw new CodegenError("--schema - needs standard input");
    text = await opts.stdin();
  } else {
    try {
      text = await readFile(source, "utf8");
    } catch (err) {
      throw new CodegenError(`cannot read ${source}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return parse(text, source === "-" ? "standard input" : source);
}

function parse(text: string, where: string): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CodegenError(`${where} is not JSON (expected the manifest printed by manage.py djazzkit_schema)`);
  }
  const parsed = Manifest.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CodegenError(`${where} is not a schema manifest: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`);
  }
  return parsed.data;
}

async function fromRelay(url: string, fetchFn: typeof fetch): Promise<string> {
  const u = new URL(url);
  if (!/\/schema\/?$/.test(u.pathname)) u.pathname = u.pathname.replace(/\/?$/, "") + "/djazzkit/schema";
  let res: Response;
  try {
    res = await fetchFn(u);
  } catch (err) {
    throw new CodegenError(`cannot reach ${u}: ${err instanceof Error ? err.message : String(err)}`);
  }
  const body = await res.text();
  if (!res.ok) throw new CodegenError(`${u} answered ${res.status}: ${body.slice(0, 200)}`);
  return body;
}

async function fromOrigin(url: string, secret: string, fetchFn?: typeof fetch): Promise<Manifest> {
  const u = new URL(url);
  const prefix = u.pathname === "/" ? undefined : u.pathname;
  const client = new OriginClient({ baseUrl: u.origin, ...(prefix ? { prefix } : {}), secret, ...(fetchFn ? { fetch: fetchFn } : {}) });
  try {
    return await client.schema();
  } catch (err) {
    throw new CodegenError(`the origin at ${url} did not give its schema: ${err instanceof Error ? err.message : String(err)}`);
  }
}
