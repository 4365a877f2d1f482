/**
 * Browser end-to-end support: Debian's Chromium driven by `playwright-core` (docs/TOOLCHAIN.md:
 * never a browser download), and a tiny static HTTP server per page origin. Fails loudly, never
 * skips, when Chromium is missing: `.ci/run` installs the `chromium` package.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type BrowserContext } from "playwright-core";

export const CHROMIUM = process.env.DJAZZKIT_TEST_CHROMIUM ?? "/usr/bin/chromium";

/** Flags for a root, headless, offline machine (without the background-networking ones Chromium keeps dialling out). */
const ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium), as .ci/run does`);
  }
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** A browser with its own profile directory (OPFS and storage survive closing it, like a device). */
export async function launchPersistentChromium(profileDir: string, options: { viewport?: { width: number; height: number } } = {}): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (apt-get install -y chromium), as .ci/run does`);
  }
  return chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: ARGS, ...options });
}

export interface StaticSite {
  /** `http://127.0.0.1:<port>`: the page origin. */
  origin: string;
  close(): Promise<void>;
}

/** Serves `files` (path -> [content type, body]) on 127.0.0.1 at a free port. */
export async function serveStatic(files: Record<string, [string, string]>): Promise<StaticSite> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    const file = files[path];
    if (file === undefined) {
      res.writeHead(404).end("not found");
      return;
    }
    res.writeHead(200, { "Content-Type": file[0], "Cache-Control": "no-store" }).end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
