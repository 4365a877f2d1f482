/**
 * Decodes one inbound frame with the `RelayMessage` union. Anything else (binary, not JSON,
 * an unknown type, a wrong field) becomes an `invalid_message` error; the client reports it
 * and carries on, so a relay newer than the SDK cannot crash it.
 */
import { RelayMessage } from "../schemas/protocol.js";
import { RelayClientError } from "./errors.js";

export function parseFrame(data: unknown): RelayMessage | RelayClientError {
  if (typeof data !== "string") return new RelayClientError("invalid_message", "binary frame ignored");
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return new RelayClientError("invalid_message", "frame is not JSON", { frame: data.slice(0, 200) });
  }
  const parsed = RelayMessage.safeParse(json);
  if (!parsed.success) {
    return new RelayClientError("invalid_message", "frame does not match the protocol", {
      frame: data.slice(0, 200),
      issues: parsed.error.issues.slice(0, 5).map((i) => ({ path: i.path.map(String), message: i.message })),
    });
  }
  return parsed.data;
}
