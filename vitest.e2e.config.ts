/**
 * End-to-end tests in Node: the relay under Miniflare or `wrangler dev`, the real sample Django
 * under runserver, `ws` clients. One file at a time: each starts Django and workerd, and the CI
 * machine has 2 cores.
 */
import { defineConfig } from "vitest/config";
import { djazzkitCoreAlias } from "./vitest.node.config.js";

export default defineConfig({
  resolve: { alias: djazzkitCoreAlias },
  test: {
    include: ["test/e2e/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/support/global-setup.ts"],
    pool: "forks",
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
