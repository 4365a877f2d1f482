/**
 * vitest globalSetup of the end-to-end suite: bundle the Worker once for the whole run and hand
 * the path to every test file (forked workers inherit process.env).
 */
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { BUNDLE_ENV, bundleWorker } from "./bundle.js";

export default async function setup(): Promise<() => void> {
  const started = Date.now();
  const path = await bundleWorker({ force: true });
  process.env[BUNDLE_ENV] = path;
  console.log(`[e2e] worker bundled in ${Date.now() - started} ms: ${path}`);
  return () => {
    rmSync(dirname(path), { recursive: true, force: true });
    delete process.env[BUNDLE_ENV];
  };
}
