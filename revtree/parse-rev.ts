/**
 * Parsing revision ids `"<gen>-<hash>"` (PROTOCOL 2.1). The format is the protocol's `Rev`:
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
 * The generation of a revision id, for the hot path of the winner rule (every leaf, every
 * write). Checks the shape ("<gen>-" + 32 characters, gen without leading zeros) with a
 * character loop instead of the regex, and leaves the hash characters to `parseRev`/`isRev`:
 * any strings compare in a total order, so only a bad gen could pick a wrong winner.
 * Throws a TypeError like `parseRev` when the shape is wrong.
 */
export function genOf(rev: string): number {
  if (typeof rev !== "string") parseRev(rev);
  const dash = rev.indexOf("-");
  if (dash < 1 || dash > 10 || rev.length !== dash + 33 || rev.charCodeAt(0) === 48) parseRev(rev);
  let gen = 0;
  for (let i = 0; i < dash; i++) {
    const digit = rev.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) parseRev(rev);
    gen = gen * 10 + digit;
  }
  return gen;
}
