/**
 * Parsing revision ids `"<gen>-<hash>"` (DESIGN 2.1). The format is the protocol's `Rev`:
 * gen is a positive decimal without leading zeros (at most 10 digits), hash is 32 lowercase hex.
 */

const REV = /^([1-9][0-9]{0,9})-([0-9a-f]{32})$/;

export interface ParsedRev {
  gen: number;
  hash: string;
}

/** True when `rev` is a well-formed revision id. */
export function isRev(rev: unknown): rev is string {
  return typeof rev === "string" && REV.test(rev);
}

/** Splits a revision id into its generation and hash; throws a TypeError when malformed. */
export function parseRev(rev: string): ParsedRev {
  const m = typeof rev === "string" ? REV.exec(rev) : null;
  if (!m) throw new TypeError(`malformed revision id: ${JSON.stringify(rev)}`);
  return { gen: Number(m[1]), hash: m[2]! };
}

/**
 * The generation of a well-formed revision id without allocating (hot path of the winner
 * rule). Throws like `parseRev` when `rev` is malformed.
 */
export function genOf(rev: string): number {
  if (typeof rev !== "string" || !REV.test(rev)) parseRev(rev);
  const dash = rev.indexOf("-");
  let gen = 0;
  for (let i = 0; i < dash; i++) gen = gen * 10 + (rev.charCodeAt(i) - 48);
  return gen;
}
