/**
 * Decodes one inbound frame with the `RelayMessage` union's shapes (frame-guard.ts: no zod in the SDK). Anything else (binary, not JSON,
 * an unknown type, a wrong field) becomes an `invalid_message` error; the client reports it
 * and carries on, so a relay newer than the SDK cannot crash it.
 */
import type { RelayMessage } from "../schemas/protocol.js";
import { guardRelayMessage } from "./frame-guard.js";
import { RelayClientError } from "./errors.js";

export function parseFrame(data: unknown): RelayMessage | RelayClientError {
  if (typeof data !== "string") return new RelayClientError("invalid_message", "binary frame ignored");
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return new RelayClientError("invalid_message", "frame is not JSON", { frame: data.slice(0, 200) });
  }
  const parsed = guardRelayMessage(json);
  if (!parsed) return new RelayClientError("invalid_message", "frame does not match the protocol", { frame: data.slice(0, 200) });
  return parsed;
}
