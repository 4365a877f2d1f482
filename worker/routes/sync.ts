/**
 * `GET /djazzkit/sync`: hand an admitted WebSocket upgrade to the identity's Durable Object.
 * The identity travels in IDENTITY_HEADER, which is always replaced here, so a client-sent copy
 * never reaches the object; the credential itself (Authorization, Cookie, bearer subprotocol)
 * is not forwarded, since the object needs only the verified identity.
 */
import type { Handler } from "hono";
import { IDENTITY_HEADER, SESSION_HEADER } from "../../schemas/identity.js";
import { SUBPROTOCOL } from "../../schemas/wire-format.js";
import { offeredSubprotocols } from "../credentials.js";
import type { Gate } from "../env.js";
import { userObject } from "../user-object.js";

export function forwardSocket(): Handler<Gate> {
  return async function forwardSocket(c) {
    const identity = c.var.identity;
    const speaksDjazzkit = offeredSubprotocols(c.req.raw.headers).includes(SUBPROTOCOL);
    const headers = new Headers(c.req.raw.headers);
    headers.delete(IDENTITY_HEADER);
    headers.delete(SESSION_HEADER);
    if (c.var.session !== undefined) headers.set(SESSION_HEADER, c.var.session);
    headers.delete("Authorization");
    headers.delete("Cookie");
    if (speaksDjazzkit) headers.set("Sec-WebSocket-Protocol", SUBPROTOCOL);
    else headers.delete("Sec-WebSocket-Protocol");
    headers.set(IDENTITY_HEADER, asciiJson(identity));

    const res = await userObject(c.env, identity).fetch(new Request(c.req.url, { method: "GET", headers }));
    if (res.status !== 101 || !res.webSocket) return res;
    // A browser fails the handshake unless the server picks one of the protocols it offered.
    const out = new Headers(res.headers);
    if (speaksDjazzkit) out.set("Sec-WebSocket-Protocol", SUBPROTOCOL);
    return new Response(null, { status: 101, webSocket: res.webSocket, headers: out });
  };
}

/**
 * JSON with every non-ASCII character escaped (`\uXXXX`), so a user id such as "café" travels in a
 * header as ASCII: raw UTF-8 in a header value is a workerd quirk (it warns; fetch() per spec
 * throws a TypeError), not something to rely on. JSON.parse on the object side reads it back
 * unchanged.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`);
}
