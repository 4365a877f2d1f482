/** Fast unit tests of pure modules (Node). End-to-end suites have their own config: vitest.e2e.config.ts. */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
