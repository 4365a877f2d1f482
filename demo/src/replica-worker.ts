/**
 * The demo's replica Worker: the SQLite replica over OPFS and its SyncClient (serveReplica), plus
 * the two things only this app needs: the "offline" switch (the socket is closed and no new one
 * opens until the switch is turned back; writes keep going to the replica and its outbox) and the
 * schema-mismatch question, which waits for the person's choice in the page's banner.
 */
import { serveReplica } from "@djazzkit/core/browser";
import type { Manifest, SchemaMismatchInfo, SchemaMismatchPolicy, WebSocketLike } from "@djazzkit/core";
import { MANIFEST, SCHEMA_VERSION } from "./generated/models.js";
import type { DemoToPage, PageToDemo } from "./messages.js";

const params = new URL(self.location.href).searchParams;
const token = params.get("token"); // absent: the Django session cookie signs the socket in
const who = params.get("user") ?? "session";
const post = (m: DemoToPage) => self.postMessage(m);

let offline = params.get("offline") === "1";
let wakeUp: (() => void) | undefined;
const sockets = new Set<WebSocketLike>();
let choose: ((policy: SchemaMismatchPolicy) => void) | undefined;

self.addEventListener("message", (event: MessageEvent) => {
  const msg = event.data as PageToDemo;
  if (typeof msg !== "object" || msg === null || !("demo" in msg)) return;
  if (msg.demo === "offline") {
    offline = msg.offline;
    if (offline) for (const s of sockets) s.close(1000, "offline switch");
    else { wakeUp?.(); wakeUp = undefined; }
  } else if (msg.demo === "schema_choice" && choose) {
    const pick = choose;
    choose = undefined;
    void policyFor(msg.choice).then(pick);
  }
});

/** "reset": drop the replica and resync; "migrate": keep local rows and pending writes. */
async function policyFor(choice: "reset" | "migrate"): Promise<SchemaMismatchPolicy> {
  const manifest = await fetch("/djazzkit/schema").then((r) => (r.ok ? (r.json() as Promise<Manifest>) : undefined), () => undefined);
  return { policy: choice, migrate: () => {}, ...(manifest ? { manifest } : {}) };
}

const sync = new URL("/djazzkit/sync", self.location.href);
sync.protocol = sync.protocol === "https:" ? "wss:" : "ws:";

void serveReplica({
  url: sync.href,
  schemaVersion: SCHEMA_VERSION,
  manifest: MANIFEST,
  // Asked before every connect: while offline it waits for the switch, so nothing dials out.
  token: async () => {
    while (offline) await new Promise<void>((resolve) => { wakeUp = resolve; });
    return token;
  },
  socketFactory: (url, protocols) => {
    const ws = new WebSocket(url, protocols) as unknown as WebSocketLike & { addEventListener(t: "close", f: () => void): void };
    sockets.add(ws);
    ws.addEventListener("close", () => sockets.delete(ws));
    return ws;
  },
  // The third choice, "later", is simply not answering yet: the client waits in schema_mismatch.
  onSchemaMismatch: (info: SchemaMismatchInfo) => new Promise<SchemaMismatchPolicy>((resolve) => {
    choose = resolve;
    post({ demo: "schema_mismatch", info });
  }),
  storeName: `demo-${who}.db`,
  store: { directory: `.djazzkit-demo-${who}` },
  relay: { backoff: { baseMs: 200, maxMs: 5000 } },
});
