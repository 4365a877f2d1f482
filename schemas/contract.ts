/**
 * The contract between the Worker (gate) and the Durable Object for calls that are not
 * WebSocket frames: `runQuery` and `callRpc` answer an outcome, never throw across the RPC
 * boundary, and a refusal travels as a wire error (`{code, message, details?}`) that the gate
 * turns back into a RelayError. Both sides import these from here, so neither imports the other.
 */
import { z } from "zod";
import { ErrorCode } from "./errors.js";

/** A RelayError as plain JSON (what `RelayError.toJSON()` produces). */
export const WireError = z.object({
  code: ErrorCode,
  message: z.string(),
  details: z.record(z.string(), z.unknown()).optional(),
});
export type WireError = z.infer<typeof WireError>;

/** Answer of `UserObject.runQuery` (and of a remote query forwarded to the origin). */
export const QueryOutcome = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), rows: z.array(z.record(z.string(), z.unknown())), total: z.number().int().optional() }),
  z.object({ ok: z.literal(false), error: WireError }),
]);
export type QueryOutcome = z.infer<typeof QueryOutcome>;

/** Answer of `UserObject.callRpc` (the origin's RPC result, or why it failed). */
export const RpcOutcome = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: WireError }),
]);
export type RpcOutcome = z.infer<typeof RpcOutcome>;
