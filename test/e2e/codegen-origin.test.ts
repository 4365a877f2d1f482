/**
 * `djazzkit codegen` against a relay in origin mode and against the Django origin itself: the
 * relay's `GET /djazzkit/schema` serves Django's manifest, and an origin URL with the relay
 * secret reads the signed `GET schema`; both write the same classes as Django's manifest gives.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../client/codegen/cli.js";
import { generate } from "../../client/codegen/generate.js";
import { OriginClient } from "../../origin-client/client.js";
import { startStack, type Stack } from "../support/stack.js";

let stack: Stack;
let dir: string;
beforeAll(async () => {
  stack = await startStack();
  dir = mkdtempSync(join(tmpdir(), "djazzkit-codegen-origin-"));
});
afterAll(async () => {
  await stack?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function codegen(args: string[], env: Record<string, string> = {}): Promise<{ code: number; text: string; said: string[] }> {
  const out = join(dir, `out-${Math.random().toString(36).slice(2)}`);
  const said: string[] = [];
  const code = await main(["codegen", ...args, "--out", out], { stdin: async () => "", out: (l) => said.push(l), err: (l) => said.push(l), env });
  return { code, said, text: code === 0 ? readFileSync(join(out, "models.ts"), "utf8") : "" };
}

describe("codegen from a relay with an origin, and from the origin", () => {
  it("both give the classes of Django's manifest", async () => {
    const django = await new OriginClient({ baseUrl: stack.django.url, secret: stack.secret }).schema();
    const expected = generate(django);
    const viaRelay = await codegen(["--schema", stack.url]);
    expect(viaRelay.said.join("\n")).toContain(`schema ${django.schema_version}`);
    expect(viaRelay.text).toBe(expected);
    const viaOrigin = await codegen(["--schema", `${stack.django.url}/djazzkit/relay/`], { DJAZZKIT_RELAY_SECRET: stack.secret });
    expect(viaOrigin.text).toBe(expected);
    const wrongSecret = await codegen(["--schema", `${stack.django.url}/djazzkit/relay/`, "--secret", "not-the-secret-at-all-0123456789"]);
    expect(wrongSecret.code).toBe(1);
    expect(wrongSecret.said.join("\n")).toContain("did not give its schema");
  });
});
