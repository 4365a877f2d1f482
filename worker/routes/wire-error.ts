/** Errors the Durable Object returns as plain JSON over RPC, turned back into a RelayError. */
import type { WireError } from "../../schemas/contract.js";
import { ErrorCode, RelayError } from "../../schemas/errors.js";

export function fromWire(error: WireError): RelayError {
  const code = ErrorCode.safeParse(error.code);
  if (!code.success) return new RelayError("internal", `the object answered an unknown error code ${JSON.stringify(error.code)}`);
  return new RelayError(code.data, error.message, error.details);
}
