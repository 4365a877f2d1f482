/**
 * The bench's ceiling object (issue 12): what local workerd reaches when a write is nothing but
 * storage. Same path as a relay push: a WebSocket through a Worker to one Durable Object
 * (hibernation API), a JSON `push` frame of N writes, then per batch ONE transaction with two
 * inserts per write (the revision and the change-log row), then a `push_result` naming each
 * write. No validation, no hashing, no revision tree: the relay's share of this figure is the
 * share of its time spent on storage and transport. Plain JS: a test-only Worker, never deployed
 * (it has its own wrangler.toml; the relay's bundle does not import it).
 */
import { DurableObject } from "cloudflare:workers";

export class Ceiling extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS revs (row_id TEXT NOT NULL, rev TEXT NOT NULL, data TEXT, PRIMARY KEY (row_id, rev))");
    this.sql.exec("CREATE TABLE IF NOT EXISTS changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, row_id TEXT NOT NULL)");
  }

  async fetch(request) {
    if (request.headers.get("Upgrade") !== "websocket") return new Response("expected a websocket", { status: 426 });
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  webSocketMessage(ws, message) {
    const msg = JSON.parse(typeof message === "string" ? message : new TextDecoder().decode(message));
    if (msg.type !== "push") return ws.send(JSON.stringify({ type: "error", code: "invalid_message" }));
    const results = [];
    this.ctx.storage.transactionSync(() => {
      for (const m of msg.mutations) {
        const rev = `1-${m.row_id}`;
        this.sql.exec("INSERT OR REPLACE INTO revs (row_id, rev, data) VALUES (?, ?, ?)", m.row_id, rev, JSON.stringify(m.data ?? null));
        this.sql.exec("INSERT INTO changes (row_id) VALUES (?)", m.row_id);
        results.push({ mutation_id: m.mutation_id, status: "applied" });
      }
    });
    ws.send(JSON.stringify({ type: "push_result", request_id: msg.request_id, results }));
  }

  webSocketClose(ws, code) {
    ws.close(code === 1005 ? 1000 : code, "bye");
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/djazzkit/health") return Response.json({ ok: true, mode: "ceiling" });
    if (url.pathname !== "/djazzkit/sync") return new Response("not found", { status: 404 });
    const name = url.searchParams.get("object") ?? "ceiling";
    return env.CEILING.get(env.CEILING.idFromName(name)).fetch(request);
  },
};
