/**
 * The one error the origin client throws (PROTOCOL 6): which call failed, whether retrying can
 * help (`unavailable`: network, timeout, 5xx) or not (`rejected`: 4xx, an answer of the wrong
 * shape), and the wire error code the relay reports to clients for it.
 */
import type { ErrorCode } from "../schemas/errors.js";

export type OriginCall = "schema" | "changes" | "apply" | "resolve" | "query" | "rpc" | "auth";
export type OriginFailureKind = "unavailable" | "rejected";
export type OriginErrorCode = Extract<ErrorCode, "origin_unavailable" | "origin_rejected" | "rpc_failed">;

export interface OriginErrorInit {
  call: OriginCall;
  kind: OriginFailureKind;
  message: string;
  status?: number;
  /** The origin's own error code from its JSON error body, when it sent one. */
  originCode?: string;
  cause?: unknown;
}

/**
 * Code mapping: transport failures are `origin_unavailable`; for `rpc` any answered failure is
 * `rpc_failed` (the RPC itself failed); otherwise a refusal is `origin_rejected` and a 5xx is
 * `origin_unavailable`.
 */
function codeFor(call: OriginCall, kind: OriginFailureKind, status: number | undefined): OriginErrorCode {
  const answered = status !== undefined || kind === "rejected";
  if (call === "rpc" && answered) return "rpc_failed";
  return kind === "unavailable" ? "origin_unavailable" : "origin_rejected";
}

export class OriginError extends Error {
  readonly call: OriginCall;
  readonly kind: OriginFailureKind;
  readonly status?: number;
  readonly code: OriginErrorCode;
  readonly originCode?: string;

  constructor(init: OriginErrorInit) {
    super(`origin ${init.call} failed: ${init.message}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = "OriginError";
    this.call = init.call;
    this.kind = init.kind;
    if (init.status !== undefined) this.status = init.status;
    if (init.originCode !== undefined) this.originCode = init.originCode;
    this.code = codeFor(init.call, init.kind, init.status);
  }

  /** True when a later retry may succeed (the outbox backs off and retries these). */
  get retryable(): boolean {
    return this.kind === "unavailable";
  }

  toJSON(): { call: OriginCall; kind: OriginFailureKind; status?: number; code: OriginErrorCode; message: string } {
    const out: { call: OriginCall; kind: OriginFailureKind; status?: number; code: OriginErrorCode; message: string } = {
      call: this.call,
      kind: this.kind,
      code: this.code,
      message: this.message,
    };
    if (this.status !== undefined) out.status = this.status;
    return out;
  }
}

/** HTTP statuses that mean "try again later" rather than "no". */
export function isTransientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}
