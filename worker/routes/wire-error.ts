/** Errors the Durable Object returns as plain JSON over RPC, turned back into a RelayError. */
import { ErrorCode, RelayError } from "../../schemas/errors.js";

export interface WireErrorLike {
  code: string;
  message: string;
  details?: Record<string, unknown> | undefined;
}

export function fromWire(error: WireErrorLike): RelayError {
  const code = ErrorCode.safeParse(error.code);
  if (!code.success) return new RelayError("internal", `the object answered an unknown error code ${JSON.stringify(error.code)}`);
  return new RelayError(code.data, error.message, error.details);
}
