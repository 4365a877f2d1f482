/**
 * The per-user Durable Object: a sync server for one user's rows (PROTOCOL 2-4). This class is
 * only the entry points; every concept lives in its own module under durable/.
 *
 * Every entry point has one shape (STYLE 5): guard, decode the socket attachment with its
 * schema, ensure storage is initialised, dispatch to a handler, all inside one try/catch that
 * logs `UserObject.<method>` and answers a typed `error` frame. A failing frame never crashes
 * the object nor disturbs another socket. Per-socket state lives only in the attachment and
 * SQLite (hibernation-safe); `ping` is answered by the runtime without waking the object.
 */
import { DurableObject } from "cloudflare:workers";
import { loadSettings, type Settings, type SettingsVars } from "../schemas/config.js";
import type { QueryOutcome, RpcOutcome } from "../schemas/contract.js";
import { CloseCode, RelayError } from "../schemas/errors.js";
import { IDENTITY_HEADER, Identity, SESSION_HEADER } from "../schemas/identity.js";
import type { ClientMessage } from "../schemas/protocol.js";
import type { BoundedQuery } from "../schemas/query.js";
import { isExpired, newAttachment, tryReadAttachment, writeAttachment } from "./attachment.js";
import { armAlarm } from "./alarm.js";
import { credentialDueMs, enforceCredentials, rememberSession, sessionKey, type SessionCheck } from "./credential-watch.js";
import { decodeFrame, peekRequestId } from "./frame.js";
import { handleAuth } from "./handlers/auth.js";
import { handleGetConflicts, handleListConflicts, handleResolveConflict } from "./handlers/conflicts.js";
import { handlePush } from "./handlers/push.js";
import { handleQuery, runQueryFor } from "./handlers/query.js";
import { handleSyncStart } from "./handlers/sync-start.js";
import { LocalManifestSource } from "./origin/manifest-source.js";
import { OriginBackedLink, originClientFor } from "./origin/backed-link.js";
import { SocketCall, type ObjectContext } from "./object-context.js";
import { StandaloneLink } from "./origin/link.js";
import { takeToken } from "./rate-limit.js";
import { closeSocket, sendError, send } from "./send.js";
import { bindOwner } from "./storage/owner.js";
import { migrate, queryIndexesFor } from "./storage/migrations.js";
import { adoptDataSource, dataSourceOf } from "./storage/data-source.js";
import { WriteQueue } from "./writes/queue.js";

export class UserObject extends DurableObject<SettingsVars> {
  private oc: ObjectContext | undefined;
  /** Re-checks a cookie socket's session with the origin (null standalone: no cookie sockets). */
  private sessionCheck: SessionCheck | null = null;

  constructor(ctx: DurableObjectState, env: SettingsVars) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('{"type":"ping"}', '{"type":"pong"}'));
  }

  /** Storage migrated and collaborators built, once per object instance. */
  private ready(): ObjectContext {
    if (this.oc === undefined) {
      const settings: Settings = loadSettings(this.env);
      migrate(this.ctx.storage);
      // Data from another source (standalone before, or another origin) is not served: new epoch.
      adoptDataSource(this.ctx.storage, dataSourceOf(settings));
      const writes = new WriteQueue();
      // Standalone: the bundled manifest, the object as system of record. With an origin: its
      // GET schema (cached, TTL) and the outbox, pulls, resolver and forwarding.
      const origin = settings.DJAZZKIT_ORIGIN_URL === undefined ? null : new OriginBackedLink(this.ctx, settings, writes);
      // One alarm for everything (alarm.ts): the link composes the credential deadlines into its own.
      const recheckMs = settings.DJAZZKIT_SESSION_RECHECK_S * 1000;
      const credentialsDue = () => credentialDueMs(this.ctx, recheckMs);
      if (origin !== null) {
        origin.otherDueMs = credentialsDue;
        const client = originClientFor(settings);
        this.sessionCheck = (cookie) => client.auth({ Cookie: cookie });
      }
      const arm = async (fromAlarm = false): Promise<void> => {
        if (origin !== null) return origin.arm(fromAlarm);
        try {
          await armAlarm(this.ctx, credentialsDue(), fromAlarm);
        } catch (err) {
          console.error("UserObject.armAlarm", err);
        }
      };
      // A new instance (first use, eviction, restart): make sure due work has an alarm.
      void arm();
      const manifests = origin?.manifests ?? new LocalManifestSource();
      // Query indexes follow the manifest (storage/query-indexes.ts): built here when it is at
      // hand, re-synced before a query when a refresh brought another.
      const manifest = manifests.cached();
      if (manifest !== undefined) queryIndexesFor(this.ctx.storage, manifest);
      this.oc = {
        ctx: this.ctx,
        sql: this.ctx.storage.sql,
        settings,
        manifests,
        origin: origin ?? new StandaloneLink(),
        writes,
        armAlarm: arm,
      };
    }
    return this.oc;
  }

  /** WebSocket upgrade from the Worker, which put the authenticated identity in a header. */
  override async fetch(request: Request): Promise<Response> {
    try {
      if (request.headers.get("Upgrade")?.toLowerCase() !== "websocket") {
        return Response.json({ code: "invalid_message", message: "expected a WebSocket upgrade" }, { status: 426 });
      }
      const identity = Identity.safeParse(safeJson(request.headers.get(IDENTITY_HEADER)));
      if (!identity.success) {
        return Response.json({ code: "auth_required", message: "missing identity" }, { status: 401 });
      }
      const oc = this.ready();
      bindOwner(oc.sql, identity.data);
      const cookie = identity.data.method === "cookie" ? request.headers.get(SESSION_HEADER) : null;
      const cookieKey = cookie === null ? null : await sessionKey(cookie);
      const pair = new WebSocketPair();
      const [client, server] = [pair[0], pair[1]];
      // Anonymous sockets all share one object: capped as a whole, like one user's sockets.
      const anonymous = identity.data.user_id === null;
      const cap = anonymous ? oc.settings.DJAZZKIT_MAX_ANONYMOUS_SOCKETS : oc.settings.DJAZZKIT_MAX_SOCKETS_PER_USER;
      if (this.ctx.getWebSockets().length >= cap) {
        // Refused after the upgrade so the client sees a close code it can act on (retry later).
        server.accept();
        server.close(CloseCode.tryAgainLater, anonymous ? "too many anonymous sockets" : "too many sockets for this user");
        return new Response(null, { status: 101, webSocket: client });
      }
      // Cookie kept, socket accepted and attachment written in one synchronous step (see
      // credential-watch.ts: a concurrent check must never see one without the other).
      const now = Date.now();
      const attachment = newAttachment(identity.data, now);
      if (cookie !== null && cookieKey !== null) attachment.session = rememberSession(oc.sql, cookieKey, cookie, now);
      this.ctx.acceptWebSocket(server);
      writeAttachment(server, attachment);
      // Its expiry and session re-check are now deadlines on the object's alarm.
      await oc.armAlarm();
      return new Response(null, { status: 101, webSocket: client });
    } catch (err) {
      console.error("UserObject.fetch", err);
      const e = err instanceof RelayError ? err : new RelayError("internal", "internal error");
      return Response.json(e.toJSON(), { status: e.status });
    }
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    let requestId: string | undefined;
    try {
      const oc = this.ready();
      const state = tryReadAttachment(ws);
      if (state === null) {
        // Unrecoverable per-socket state: this socket only is closed; the client reconnects.
        console.error("UserObject.webSocketMessage", "socket attachment does not decode");
        sendError(ws, "internal", "socket state lost; reconnect");
        closeSocket(ws, CloseCode.internalError, "internal error");
        return;
      }
      const sock = new SocketCall(ws, state);
      const now = Date.now();
      const bucket = takeToken(sock.state.bucket, now, oc.settings.DJAZZKIT_RATE_LIMIT_PER_S, oc.settings.DJAZZKIT_RATE_LIMIT_BURST);
      sock.update({ bucket: bucket.state });
      if (!bucket.allowed) {
        sendError(ws, "rate_limited", "too many frames; slow down", {
          request_id: peekRequestId(message),
          details: { retry_after_ms: bucket.retry_after_ms },
        });
        return;
      }
      const frame = decodeFrame(message, oc.settings.DJAZZKIT_MAX_MESSAGE_BYTES);
      if (!frame.ok) {
        sendError(ws, frame.code, frame.message, { request_id: frame.requestId });
        if (frame.close !== undefined) closeSocket(ws, frame.close, frame.code);
        return;
      }
      requestId = "request_id" in frame.msg ? frame.msg.request_id : undefined;
      // An expired credential may still be replaced by an `auth` frame; anything else is refused.
      if (frame.msg.type !== "auth" && isExpired(sock.state, now)) {
        sendError(ws, "auth_expired", "credential expired; reconnect with a fresh one", { request_id: requestId });
        closeSocket(ws, CloseCode.unauthenticated, "credential expired");
        return;
      }
      await this.dispatch(oc, sock, frame.msg);
    } catch (err) {
      if (err instanceof RelayError) {
        sendError(ws, err.code, err.message, { request_id: requestId, details: err.details });
        return;
      }
      console.error("UserObject.webSocketMessage", err);
      sendError(ws, "internal", "internal error", { request_id: requestId });
    }
  }

  private async dispatch(oc: ObjectContext, sock: SocketCall, msg: ClientMessage): Promise<void> {
    switch (msg.type) {
      case "sync_start":
        return handleSyncStart(oc, sock, msg);
      case "push":
        return handlePush(oc, sock, msg);
      case "query":
        return handleQuery(oc, sock, msg);
      case "rpc": {
        const outcome = await oc.origin.rpc(sock.state.identity, msg.name, msg.args ?? null);
        if (outcome.ok) send(sock.ws, { type: "rpc_result", request_id: msg.request_id, result: outcome.result });
        else sendError(sock.ws, outcome.error.code, outcome.error.message, { request_id: msg.request_id, details: outcome.error.details });
        return;
      }
      case "get_conflicts":
        return handleGetConflicts(oc, sock, msg);
      case "resolve_conflict":
        return handleResolveConflict(oc, sock, msg);
      case "list_conflicts":
        return handleListConflicts(oc, sock, msg);
      case "auth":
        return handleAuth(oc, sock, msg);
      case "ping": // normally answered by the auto-response without waking the object
        send(sock.ws, { type: "pong" });
        return;
    }
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      // Complete the closing handshake; the socket leaves getWebSockets() by itself.
      closeSocket(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
    } catch (err) {
      console.error("UserObject.webSocketClose", err);
    }
  }

  override async webSocketError(_ws: WebSocket, error: unknown): Promise<void> {
    console.error("UserObject.webSocketError", error);
  }

  /** POST /djazzkit/query at the Worker (bounds already checked there; re-checked here). */
  async runQuery(identity: Identity, query: BoundedQuery): Promise<QueryOutcome> {
    try {
      const oc = this.ready();
      const who = Identity.parse(identity);
      bindOwner(oc.sql, who);
      return await runQueryFor(oc, who, query);
    } catch (err) {
      console.error("UserObject.runQuery", err);
      const e = err instanceof RelayError ? err : new RelayError("internal", "internal error");
      return { ok: false, error: e.toJSON() };
    }
  }

  /** POST /djazzkit/rpc/<name> at the Worker: forwarded to the origin (standalone: rpc_failed). */
  async callRpc(identity: Identity, name: string, args: unknown): Promise<RpcOutcome> {
    try {
      return await this.ready().origin.rpc(Identity.parse(identity), name, args);
    } catch (err) {
      console.error("UserObject.callRpc", err);
      return { ok: false, error: { code: "internal", message: "internal error" } };
    }
  }

  /**
   * The one alarm: credential deadlines (expired sockets closed 4401, sessions re-checked), then
   * the origin's outbox drain and schema re-check; finally the next due time of all of them.
   */
  override async alarm(): Promise<void> {
    const oc = this.ready();
    try {
      await enforceCredentials(this.ctx, { recheckMs: oc.settings.DJAZZKIT_SESSION_RECHECK_S * 1000, check: this.sessionCheck });
    } catch (err) {
      console.error("UserObject.alarm (credentials)", err);
    }
    try {
      await oc.origin.alarm();
    } catch (err) {
      console.error("UserObject.alarm", err);
    }
    await oc.armAlarm(true);
  }

  /** The origin changed this user's rows (standalone: nothing to pull). */
  async poke(): Promise<void> {
    try {
      await this.ready().origin.poke();
    } catch (err) {
      console.error("UserObject.poke", err);
    }
  }
}

function safeJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
