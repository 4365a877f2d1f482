/** Integration tests inside workerd (the real runtime) through the Workers vitest pool. */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          DJAZZKIT_JWT_SECRET: "test-secret-at-least-32-bytes-long!!",
          DJAZZKIT_RELAY_SECRET: "relay-secret-for-tests",
        },
      },
    }),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    // Node-side stand-ins for the Django origin and a JWKS endpoint used by the gate tests.
    globalSetup: ["test/workers/global-setup.ts"],
  },
});
