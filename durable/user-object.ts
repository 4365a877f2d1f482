/**
 * The per-user Durable Object (placeholder until the Durable Object issue fills it in):
 * accepts sockets with the Hibernation API, answers `ping` without waking, and refuses
 * frames that fail the protocol schemas with `invalid_message`.
 */
import { DurableObject } from "cloudflare:workers";
import { ClientMessage } from "../schemas/protocol.js";
import type { Env } from "../worker/env.js";
import type { Identity } from "../schemas/identity.js";
import type { BoundedQuery } from "../schemas/query.js";
import type { ErrorCode } from "../schemas/errors.js";

export interface WireError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}
export type QueryOutcome = { ok: true; rows: Record<string, unknown>[]; total?: number } | { ok: false; error: WireError };
export type RpcOutcome = { ok: true; result: unknown } | { ok: false; error: WireError };

export class UserObject extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** Run a bounded query for `identity` (placeholder: filled in by the Durable Object issue). */
  async runQuery(_identity: Identity, _query: BoundedQuery): Promise<QueryOutcome> {
    return { ok: false, error: { code: "internal", message: "queries are not implemented yet" } };
  }

  /** Forward an RPC to the origin for `identity` (placeholder). */
  async callRpc(_identity: Identity, _name: string, _args: unknown): Promise<RpcOutcome> {
    return { ok: false, error: { code: "rpc_failed", message: "no origin configured" } };
  }

  /** The origin changed rows of this user: pull them (placeholder). */
  async poke(): Promise<void> {}

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    let parsed: unknown;
    try {
      parsed = typeof message === "string" ? JSON.parse(message) : undefined;
    } catch {
      parsed = undefined;
    }
    const msg = ClientMessage.safeParse(parsed);
    if (!msg.success) {
      ws.send(JSON.stringify({ type: "error", code: "invalid_message", message: "frame is not a valid message" }));
    }
  }
}
