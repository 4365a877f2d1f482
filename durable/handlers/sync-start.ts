/**
 * `sync_start` (PROTOCOL 4): check the client's schema version, then catch up from its cursor in
 * bounded `changes` frames, then `sync_ready`; from then on the socket receives broadcasts.
 * A version mismatch answers the exact `schema_mismatch` frame and parks the socket: it stays
 * open, nothing syncs, pushes are refused, until a sync_start with the server's version.
 */
import { CloseCode, RelayError } from "../../schemas/errors.js";
import { socketIdentity } from "../../schemas/identity.js";
import type { SchemaManifest } from "../../schemas/manifest.js";
import type { SchemaMismatch, SyncStart } from "../../schemas/protocol.js";
import { catchUp } from "../storage/changes-feed.js";
import type { ObjectContext, SocketCall } from "../object-context.js";
import { closeSocket, send, sendRaw, sendRelayError } from "../send.js";

export function schemaMismatchFrame(clientVersion: string, serverVersion: string): SchemaMismatch {
  return {
    type: "schema_mismatch",
    client_schema_version: clientVersion,
    server_schema_version: serverVersion,
    message: `client schema ${clientVersion} does not match the server schema ${serverVersion}; update the client`,
  };
}

export async function handleSyncStart(oc: ObjectContext, sock: SocketCall, msg: SyncStart): Promise<void> {
  const manifest = await manifestOrRetryLater(oc, sock);
  if (manifest === null) return;
  if (msg.schema_version !== manifest.schema_version) {
    sock.update({ sync: "mismatch", client_id: msg.client_id, schema_version: msg.schema_version });
    send(sock.ws, schemaMismatchFrame(msg.schema_version, manifest.schema_version));
    return;
  }
  await oc.origin.beforeCatchUp();
  // From here to `live` nothing awaits: every write committed before is in the catch-up,
  // every write committed after is broadcast to this socket.
  const feed = catchUp(oc.sql, msg.since);
  let step = feed.next();
  while (!step.done) {
    sendRaw(sock.ws, step.value);
    step = feed.next();
  }
  sock.update({ sync: "live", client_id: msg.client_id, schema_version: msg.schema_version });
  const who = sock.state.identity;
  send(sock.ws, {
    type: "sync_ready",
    cursor: step.value.cursor,
    server_schema_version: manifest.schema_version,
    identity: socketIdentity(who),
    ...(who.credential === undefined ? {} : { credential: who.credential }),
  });
}

/**
 * The schema to check the client against. An object that has never read the origin's schema
 * cannot answer a sync_start while the origin is unreachable: it says so and closes with 1013
 * (try again later), so the client reconnects with backoff instead of waiting for a
 * `sync_ready` that would never come on this socket.
 */
async function manifestOrRetryLater(oc: ObjectContext, sock: SocketCall): Promise<SchemaManifest | null> {
  try {
    return await oc.manifests.current();
  } catch (err) {
    if (!(err instanceof RelayError) || err.code !== "origin_unavailable") throw err;
    sendRelayError(sock.ws, err);
    closeSocket(sock.ws, CloseCode.tryAgainLater, "origin unavailable; reconnect later");
    return null;
  }
}
