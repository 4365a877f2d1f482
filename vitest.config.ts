/** Integration tests inside workerd (the real runtime) through the Workers vitest pool. */
import { cloudflareTest } from "@cloudflare/vitest-pool-workers";
import { mkdirSync } from "node:fs";
import { defineConfig } from "vitest/config";
import { TEST_JWT_SECRET, TEST_RELAY_SECRET } from "./test/support/secrets.js";

// wrangler.toml serves the demo from demo/dist ([assets]); these relay tests do not use it, but
// the pool refuses a config whose assets directory is missing (a fresh clone before a build).
mkdirSync(new URL("./demo/dist", import.meta.url), { recursive: true });

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
