/** Integration tests inside workerd (the real runtime) through the Workers vitest pool. */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";
import { TEST_JWT_SECRET, TEST_RELAY_SECRET } from "./test/support/secrets.js";

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          DJAZZKIT_JWT_SECRET: TEST_JWT_SECRET,
          DJAZZKIT_RELAY_SECRET: TEST_RELAY_SECRET,
        },
      },
    }),
  ],
  test: {
    include: ["test/workers/**/*.test.ts"],
    // Node-side stand-ins for the Django origin and a JWKS endpoint used by the gate tests.
    globalSetup: ["test/support/workers/global-setup.ts"],
  },
});
