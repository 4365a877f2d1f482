/**
 * Runs in Node before the workerd test files: a small stand-in for the Django origin and an
 * identity provider, on a free port, so gate tests can prove what the Worker does (and does not)
 * ask the origin. Its URL and a signing key are handed to the tests with `provide` / `inject`.
 *
 * - `POST /djazzkit/relay/auth`: checks the relay's signature, counts the call; a Cookie
 *   `sessionid=good-<user>` answers `{user_id: "<user>"}`, anything else 401.
 * - `GET /jwks.json`: the public half of an RS256 key whose private JWK the tests sign with.
 * - `GET /stats`: `{auth_calls, bad_signatures}`.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { TestProject } from "vitest/node";
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { verify } from "../../../schemas/signature.js";
import { TEST_RELAY_SECRET } from "../secrets.js";


declare module "vitest" {
  export interface ProvidedContext {
    gateOriginUrl: string;
    gateRsaPrivateJwk: JWK;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => resolve(body));
    req.on("error", reject);
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid: "gate-test-rsa", alg: "RS256", use: "sig" };
  const privateJwk = { ...(await exportJWK(privateKey)), kid: "gate-test-rsa", alg: "RS256" };
  const stats = { auth_calls: 0, bad_signatures: 0 };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const body = await readBody(req);
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(JSON.stringify(value));
      };
      if (req.method === "POST" && url.pathname === "/djazzkit/relay/auth") {
        stats.auth_calls += 1;
        const header = (name: string) => {
          const v = req.headers[name.toLowerCase()];
          return typeof v === "string" ? v : null;
        };
        const check = await verify(TEST_RELAY_SECRET, header("X-Djazzkit-Timestamp"), header("X-Djazzkit-Nonce"), header("X-Djazzkit-Signature"), "POST", url.pathname + url.search, body);
        if (!check.ok) {
          stats.bad_signatures += 1;
          return json(401, { code: "forbidden", message: check.reason });
        }
        const m = /(?:^|;\s*)sessionid=good-([A-Za-z0-9_-]+)/.exec(header("Cookie") ?? "");
        return m ? json(200, { user_id: m[1] }) : json(401, { code: "auth_required", message: "no session" });
      }
      if (req.method === "GET" && url.pathname === "/jwks.json") return json(200, { keys: [publicJwk] });
      if (req.method === "GET" && url.pathname === "/stats") return json(200, stats);
      return json(404, { code: "not_found" });
    })().catch((err: unknown) => {
      res.writeHead(500);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  project.provide("gateOriginUrl", `http://127.0.0.1:${port}`);
  project.provide("gateRsaPrivateJwk", privateJwk);
  return () => new Promise<void>((resolve) => server.close(() => resolve()));
}
