/**
 * The protocol's string formats and limits, free of zod: protocol.ts builds its schemas from
 * them, and the client's frame guard (client/frame-guard.ts) checks frames with them without
 * shipping the schema library to browsers.
 */

/** A revision id: `<generation>-<32 hex of SHA-256>`. */
export const REV_RE = /^[1-9][0-9]{0,9}-[0-9a-f]{32}$/;
/** A cursor is "<epoch>:<seq>" (PROTOCOL 2.4). */
export const CURSOR_RE = /^[0-9a-f]{1,64}:[0-9]{1,16}$/;
export const MAX_REQUEST_ID_CHARS = 128;
export const MAX_MUTATION_ID_CHARS = 200;
export const MAX_ROW_ID_CHARS = 128;
export const MAX_MODEL_CHARS = 200;

/** The WebSocket subprotocol: clients always offer it, the gate answers it (PROTOCOL 4, 5). */
export const SUBPROTOCOL = "djazzkit";
/** The subprotocol entry that carries a bearer token, for browsers: `djazzkit.bearer.<token>`. */
export const BEARER_SUBPROTOCOL_PREFIX = "djazzkit.bearer.";
/**
 * The most bytes a frame sent either way should have: under the relay's default inbound limit
 * (DJAZZKIT_MAX_MESSAGE_BYTES, 1 MiB), and frames near 1 MiB fail on hibernated sockets.
 */
export const FRAME_BUDGET_BYTES = 900_000;

/**
 * Mutation ids the relay makes for itself (winner corrections, resolver results) start with
 * this prefix. A client may never send one (`invalid_message`), so the relay's own writes and
 * a client's can never share an id at the relay or at the origin.
 */
export const RELAY_MUTATION_ID_PREFIX = "relay:";
export function isRelayMutationId(id: string): boolean {
  return id.startsWith(RELAY_MUTATION_ID_PREFIX);
}
