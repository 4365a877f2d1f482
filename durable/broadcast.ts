/**
 * Broadcasting winner changes to every live socket of the user, the author included, so all
 * replicas converge on the same winner (PROTOCOL 3 step 2). Called only after the write
 * transaction committed; the output gate then holds the frames until the write is durable.
 * Sockets are found with `getWebSockets()` and their state read from the attachment, so a
 * rebuilt object broadcasts exactly as before hibernation. A socket whose credential has
 * expired gets nothing: it is closed with 4401 instead (credential-watch.ts).
 */
import { packChanges } from "./storage/changes-feed.js";
import { tryReadAttachment } from "./attachment.js";
import { closeIfExpired } from "./credential-watch.js";
import type { WinnerRow } from "./storage/rows-record.js";
import { sendRaw, send } from "./send.js";
import { currentSeq, getEpoch } from "./storage/meta.js";
import type { RelayMessage } from "../schemas/protocol.js";

/** Send the changed rows (any order) to every live socket. */
export function broadcastChanges(ctx: DurableObjectState, changed: readonly WinnerRow[]): void {
  if (changed.length === 0) return;
  const sql = ctx.storage.sql;
  // Encoded once for all sockets, and only when one is live (a push from a socket that never
  // sent sync_start, to an object with no live socket, reads and encodes nothing).
  let frames: string[] | undefined;
  const now = Date.now();
  for (const ws of ctx.getWebSockets()) {
    const state = tryReadAttachment(ws);
    if (state?.sync !== "live" || closeIfExpired(ws, state, now)) continue;
    frames ??= packChanges([...changed].sort((a, b) => a.seq - b.seq), getEpoch(sql), currentSeq(sql));
    for (const frame of frames) sendRaw(ws, frame);
  }
}

/** Send one frame to the sockets whose state matches `filter` (e.g. the author's, for `mutation_confirmed`). */
export function sendToSockets(
  ctx: DurableObjectState,
  filter: (state: NonNullable<ReturnType<typeof tryReadAttachment>>) => boolean,
  msg: RelayMessage,
): void {
  const now = Date.now();
  for (const ws of ctx.getWebSockets()) {
    const state = tryReadAttachment(ws);
    if (state !== null && filter(state) && !closeIfExpired(ws, state, now)) send(ws, msg);
  }
}
