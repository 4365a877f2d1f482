/**
 * HTTP to the peer (PouchDB Server) for the bench: JSON requests over keep-alive connections,
 * and continuous `_changes` feeds read line by line.
 */
import { Agent, request, type IncomingMessage } from "node:http";

/** Keep-alive connections, as a CouchDB client library holds them. */
export const peerAgent = new Agent({ keepAlive: true, maxSockets: Infinity });

export function httpJson(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(url, {
      method,
      agent: peerAgent,
      headers: { Accept: "application/json", ...(payload === undefined ? {} : { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) }), ...headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ status: res.statusCode ?? 0, json: text === "" ? null : JSON.parse(text) });
        } catch {
          reject(new Error(`${method} ${url}: HTTP ${res.statusCode}, not JSON: ${text.slice(0, 200)}`));
        }
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** `httpJson` that throws unless the status is 2xx. */
export async function httpOk(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<unknown> {
  const res = await httpJson(method, url, body, headers);
  if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${url}: HTTP ${res.status} ${JSON.stringify(res.json).slice(0, 300)}`);
  return res.json;
}

/** `_bulk_docs`; throws when any doc failed. */
export async function bulkDocs(db: string, docs: unknown[], newEdits = true): Promise<void> {
  const out = (await httpOk("POST", `${db}/_bulk_docs`, newEdits ? { docs } : { docs, new_edits: false })) as Array<{ error?: string; reason?: string }>;
  const bad = out.find((r) => r.error !== undefined);
  if (bad) throw new Error(`peer _bulk_docs: ${bad.error} ${bad.reason}`);
}

export interface ChangesFeed {
  /** Called per change line with the receive time. */
  onChange: (change: { id: string; seq: unknown }, at: number) => void;
  close(): void;
}

/**
 * A continuous `_changes` feed from the database's current update_seq. express-pouchdb sends no
 * response header before the first change or heartbeat, so this resolves once the request is
 * sent; starting from the current seq (not `now`) means no later change can be missed while the
 * connection is still being set up.
 */
export async function continuousChanges(db: string, opts: { includeDocs?: boolean } = {}): Promise<ChangesFeed> {
  const info = (await httpOk("GET", db)) as { update_seq: unknown };
  const url = `${db}/_changes?feed=continuous&since=${encodeURIComponent(String(info.update_seq))}&heartbeat=10000${opts.includeDocs ? "&include_docs=true" : ""}`;
  const feed: ChangesFeed = { onChange: () => undefined, close: () => req.destroy() };
  // Own connection: a continuous feed holds it for good.
  const req = request(url, { agent: false }, (res: IncomingMessage) => {
    if (res.statusCode !== 200) throw new Error(`peer _changes: HTTP ${res.statusCode}`);
    let buf = "";
    res.on("data", (c: Buffer) => {
      const at = performance.now();
      buf += c.toString("utf8");
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line !== "") feed.onChange(JSON.parse(line) as { id: string; seq: unknown }, at);
      }
    });
    res.on("error", () => undefined);
  });
  req.on("error", () => undefined); // destroyed by close(), or the peer stopped
  req.end();
  return feed;
}
