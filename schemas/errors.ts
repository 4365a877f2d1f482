/**
 * Stable error codes of the wire contract (PROTOCOL 4.1) and the WebSocket close codes.
 * The same strings are used over WebSocket (`error` frames, push results) and HTTP
 * (JSON bodies `{code, message}` with a 4xx/5xx status).
 */
import { z } from "zod";

/** The stable codes, as a plain list the browser SDK checks frames with (no zod there). */
export const ERROR_CODES = [
  "invalid_message",
  "message_too_large",
  "unknown_model",
  "unknown_field",
  "invalid_field_value",
  "forbidden",
  "auth_required",
  "auth_expired",
  "schema_mismatch",
  "unknown_base_rev",
  "mutation_id_reused",
  "too_many_mutations",
  "rate_limited",
  "limit_out_of_range",
  "offset_out_of_range",
  "invalid_query",
  "query_too_complex",
  "origin_unavailable",
  "origin_rejected",
  "rpc_failed",
  "internal",
] as const;
/** Marked pure: bundles that use only ERROR_CODES, RelayError and CloseCode (the browser SDK) drop zod. */
export const ErrorCode = /* @__PURE__ */ z.enum(ERROR_CODES);
export type ErrorCode = z.infer<typeof ErrorCode>;

/** HTTP status used when an error code travels over HTTP. */
export const HTTP_STATUS: Record<ErrorCode, number> = {
  invalid_message: 400,
  message_too_large: 413,
  unknown_model: 400,
  unknown_field: 400,
  invalid_field_value: 400,
  forbidden: 403,
  auth_required: 401,
  auth_expired: 401,
  schema_mismatch: 409,
  unknown_base_rev: 409,
  mutation_id_reused: 409,
  too_many_mutations: 400,
  rate_limited: 429,
  limit_out_of_range: 400,
  offset_out_of_range: 400,
  invalid_query: 400,
  query_too_complex: 400,
  origin_unavailable: 502,
  origin_rejected: 422,
  rpc_failed: 502,
  internal: 500,
};

/** WebSocket close codes (PROTOCOL 4.1). */
export const CloseCode = {
  policyViolation: 1008,
  frameTooLarge: 1009,
  internalError: 1011,
  restarting: 1012,
  tryAgainLater: 1013,
  unauthenticated: 4401,
  originNotAllowed: 4403,
} as const;

/**
 * The one error type of the relay: carries a stable code, a human message, and optional
 * details. Thrown by pure validation code and mapped to a frame or a response at the edge.
 */
export class RelayError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;
  /** HTTP status when it differs from the code's usual one (e.g. 426 for a non-upgrade, 401 for a bad signature). */
  readonly statusOverride?: number;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, status?: number) {
    super(message);
    this.name = "RelayError";
    this.code = code;
    if (details !== undefined) this.details = details;
    if (status !== undefined) this.statusOverride = status;
  }
  get status(): number {
    return this.statusOverride ?? HTTP_STATUS[this.code];
  }
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}
