/**
 * Where the client's bearer token comes from: a fixed string, or a callback the client calls
 * before every connect and once more after a 4401 (issue 13), so a page can hand out a fresh
 * token from its session without tearing the client down.
 */

/** Returns the current token; `undefined` / `null` connects without one. May be async. */
export type TokenProvider = () => string | undefined | null | Promise<string | undefined | null>;

/** `RelayClientOptions.token`: a token, or a `TokenProvider` (`getToken()`). */
export type TokenOption = string | TokenProvider;

/** Calls the provider and normalises its answer; a throw or a rejection rejects. */
export async function fetchToken(provider: TokenProvider): Promise<string | undefined> {
  const token = await provider();
  if (token === undefined || token === null || token === "") return undefined;
  if (typeof token !== "string") throw new TypeError(`getToken() must return a string, got ${typeof token}`);
  return token;
}
