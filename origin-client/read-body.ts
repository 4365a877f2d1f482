/**
 * Read a response body as text without ever holding more than `maxBytes` of it: an origin that
 * answers with a huge (or endless) body fails the call instead of exhausting the isolate's
 * 128 MB memory.
 */
export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`answer body is larger than ${maxBytes} bytes`);
    this.name = "BodyTooLargeError";
  }
}

export async function readBoundedText(res: Response, maxBytes: number): Promise<string> {
  const declared = res.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared) && Number(declared) > maxBytes) {
    await res.body?.cancel().catch(() => {});
    throw new BodyTooLargeError(maxBytes);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let total = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLargeError(maxBytes);
    }
    text += decoder.decode(value, { stream: true });
  }
  return text + decoder.decode();
}
