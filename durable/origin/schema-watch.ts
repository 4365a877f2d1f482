/**
 * When the server's schema version changes while clients are connected (PROTOCOL 4: the origin's
 * schema changed), every socket that synced with another version receives `schema_mismatch`
 * and is parked (nothing syncs, pushes refused) until it sends a matching `sync_start`.
 * Standalone the bundled manifest never changes; the origin link calls this after a refresh.
 */
import { tryReadAttachment, writeAttachment } from "../attachment.js";
import { schemaMismatchFrame } from "../handlers/sync-start.js";
import { send } from "../send.js";

/** Park every socket whose schema version differs from `serverVersion`; returns how many. */
export function announceSchemaVersion(ctx: DurableObjectState, serverVersion: string): number {
  let parked = 0;
  for (const ws of ctx.getWebSockets()) {
    const state = tryReadAttachment(ws);
    if (state === null || state.schema_version === null || state.schema_version === serverVersion) continue;
    if (state.sync === "mismatch") continue; // already told
    writeAttachment(ws, { ...state, sync: "mismatch" });
    send(ws, schemaMismatchFrame(state.schema_version, serverVersion));
    parked += 1;
  }
  return parked;
}
