/** Fast unit tests of pure modules (Node). End-to-end suites have their own config: vitest.e2e.config.ts. */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/** Tests import `@djazzkit/core` by name, as apps do, and run its sources (no build step). */
const client = (file: string) => fileURLToPath(new URL(`./client/${file}`, import.meta.url));
export const djazzkitCoreAlias = [
  { find: /^@djazzkit\/core$/, replacement: client("index.ts") },
  { find: /^@djazzkit\/core\/(node|browser)$/, replacement: client("$1.ts") },
];

export default defineConfig({
  resolve: { alias: djazzkitCoreAlias },
  test: {
    include: ["test/unit/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
