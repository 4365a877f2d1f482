/**
 * `auth` (PROTOCOL 4): replace the credential of an open socket. The token is verified with the
 * gate's own verifier (auth/jwt.ts). The same user -> `auth_ok` and the new expiry in the
 * attachment; an expired or invalid token -> `auth_expired` and close 4401; another user ->
 * `forbidden` and close 1008 (a socket never changes owner: reconnect with the new credential).
 */
import { CloseCode, RelayError } from "../../schemas/errors.js";
import { socketIdentity } from "../../schemas/identity.js";
import type { Auth } from "../../schemas/protocol.js";
import { verifyJwt } from "../../auth/jwt.js";
import type { ObjectContext, SocketCall } from "../object-context.js";
import { closeSocket, send, sendError } from "../send.js";

export async function handleAuth(oc: ObjectContext, sock: SocketCall, msg: Auth): Promise<void> {
  let identity;
  try {
    identity = await verifyJwt(msg.token, oc.settings);
  } catch (err) {
    if (!(err instanceof RelayError)) throw err;
    if (err.code !== "auth_expired" && err.code !== "auth_required") throw err; // e.g. JWKS unreachable
    sendError(sock.ws, "auth_expired", `credential refused: ${err.message}`, { request_id: msg.request_id });
    closeSocket(sock.ws, CloseCode.unauthenticated, "credential expired or invalid");
    return;
  }
  if (identity.user_id !== sock.state.identity.user_id) {
    sendError(sock.ws, "forbidden", "the new credential names another user; open a new socket with it", {
      request_id: msg.request_id,
    });
    closeSocket(sock.ws, CloseCode.policyViolation, "credential names another user");
    return;
  }
  // A renewed credential: a new expiry, and no cookie session to re-check any more.
  sock.update({ identity, session: undefined });
  await oc.armAlarm();
  const ok = {
    type: "auth_ok" as const,
    user_id: identity.user_id!,
    ...(identity.expires_at === null ? {} : { expires_at: identity.expires_at }),
    identity: socketIdentity(identity),
  };
  send(sock.ws, msg.request_id === undefined ? ok : { ...ok, request_id: msg.request_id });
}
