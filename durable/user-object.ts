/**
 * The per-user Durable Object (placeholder until the Durable Object issue fills it in):
 * accepts sockets with the Hibernation API, answers `ping` without waking, and refuses
 * frames that fail the protocol schemas with `invalid_message`.
 */
import { DurableObject } from "cloudflare:workers";
import { ClientMessage } from "../schemas/protocol.js";
import type { Env } from "../worker/env.js";

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
