/**
 * Content-addressed revision ids (PROTOCOL 2.1):
 * `"<gen>-" + first 32 lowercase hex of SHA-256(canonicalJson([deleted, parentRev, data]))`,
 * gen = the parent's gen + 1, or 1 for a root. The same edit made twice, on any replica,
 * gets the same id. Uses only the WebCrypto global (workerd, Node 20, browsers).
 */
import { canonicalJson } from "./canonical-json.js";
import { genOf } from "./parse-rev.js";
import type { RowData } from "./types.js";

const HEX_CHARS = 32; // 128 bits of the digest
const MAX_GEN = 9_999_999_999; // the protocol's Rev allows at most 10 digits
const encoder = new TextEncoder();

/**
 * The id of the revision with this tombstone flag, parent and body. Throws a TypeError when
 * `parentRev` is malformed or `data` has no JSON form (a cycle, a BigInt), and a RangeError
 * past generation 9,999,999,999.
 */
export async function revisionId(deleted: boolean, parentRev: string | null, data: RowData | null): Promise<string> {
  const gen = parentRev === null ? 1 : genOf(parentRev) + 1;
  if (gen > MAX_GEN) throw new RangeError("revisionId: generation out of range");
  const text = canonicalJson([deleted, parentRev, data]);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  let hex = "";
  for (let i = 0; i < HEX_CHARS / 2; i++) hex += digest[i]!.toString(16).padStart(2, "0");
  return `${gen}-${hex}`;
}
