/**
 * The origin client: every call of the origin contract (PROTOCOL 6), relay to Django.
 *
 * Each call is signed with `signedHeaders` over `<timestamp>.<nonce>.<METHOD>.<path and query>.<body>`
 * exactly as sent, with a fresh nonce; the user it concerns travels only inside what is signed
 * (the JSON body, or `?user=` of `changes`), never in a header of its own. It is bounded in time
 * (one deadline covers connect, headers and body) and in answer size, and has its answer parsed
 * with the zod schemas before anything trusts it. Every failure is one `OriginError`.
 * Pure `fetch`: runs in workerd and in Node 20.
 */
import type { z } from "zod";
import {
  ApplyAnswer,
  AuthAnswer,
  OriginChangesAnswer,
  OriginErrorBody,
  OriginQueryAnswer,
  ResolveAnswer,
  normalizeOriginPrefix,
  RpcAnswer,
  type ApplyMutation,
  type ResolveRequest,
} from "../schemas/origin.js";
import { SchemaManifest } from "../schemas/manifest.js";
import type { RowData } from "../schemas/protocol.js";
import { signedHeaders } from "../schemas/signature.js";
import { isTransientStatus, OriginError, type OriginCall } from "./errors.js";
import { BodyTooLargeError, readBoundedText } from "./read-body.js";

export { OriginError } from "./errors.js";
export type { OriginCall, OriginErrorCode, OriginFailureKind } from "./errors.js";

/** Default answer size bound: a changes page of a few hundred rows is far below it. */
export const DEFAULT_MAX_ANSWER_BYTES = 8 * 1024 * 1024;
/** Default deadline of one call (DJAZZKIT_ORIGIN_TIMEOUT_MS's default). */
export const DEFAULT_TIMEOUT_MS = 10_000;
/** An origin error message longer than this is cut before it reaches logs or clients. */
const MAX_ERROR_MESSAGE_CHARS = 300;

export interface OriginClientOptions {
  /** DJAZZKIT_ORIGIN_URL, e.g. `https://app.example.com` (a path in it is kept). */
  baseUrl: string;
  /** DJAZZKIT_ORIGIN_PREFIX, default `/djazzkit/relay/`. */
  prefix?: string;
  /** DJAZZKIT_RELAY_SECRET. */
  secret: string;
  /** DJAZZKIT_ORIGIN_TIMEOUT_MS. */
  timeoutMs?: number;
  maxAnswerBytes?: number;
  fetch?: typeof fetch;
  /** Clock for the signature timestamp (tests). */
  now?: () => number;
}

export interface ChangesPage {
  since?: string | null;
  limit?: number;
}

/** Headers of the client's request that `auth` forwards (PROTOCOL 6 `POST auth`). */
export const FORWARDED_AUTH_HEADERS = ["cookie", "authorization"] as const;

interface CallSpec<S extends z.ZodType> {
  call: OriginCall;
  method: "GET" | "POST";
  path: string;
  query?: Record<string, string | number | null | undefined>;
  body?: unknown;
  extraHeaders?: Record<string, string>;
  answer: S;
}

export class OriginClient {
  readonly #base: URL;
  readonly #prefix: string;
  readonly #secret: string;
  readonly #timeoutMs: number;
  readonly #maxAnswerBytes: number;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(opts: OriginClientOptions) {
    if (!opts.secret) throw new Error("OriginClient needs DJAZZKIT_RELAY_SECRET to sign origin calls");
    this.#base = new URL(opts.baseUrl);
    this.#prefix = normalizeOriginPrefix(opts.prefix);
    this.#secret = opts.secret;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxAnswerBytes = opts.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    // Bound to globalThis: workerd throws "Illegal invocation" for a detached fetch.
    this.#fetch = opts.fetch ?? ((input, init) => fetch(input, init));
    this.#now = opts.now ?? Date.now;
  }

  /** `GET schema`: the origin's manifest and its 16-hex schema version. */
  schema(): Promise<SchemaManifest> {
    return this.#call({ call: "schema", method: "GET", path: "schema", answer: SchemaManifest });
  }

  /** `GET changes?user=&since=&limit=`: one page of the user's rows changed after `since`. */
  changes(user: string, since: string | null | undefined, limit?: number): Promise<OriginChangesAnswer> {
    return this.#call({
      call: "changes",
      method: "GET",
      path: "changes",
      query: { user, since: since ?? undefined, limit },
      answer: OriginChangesAnswer,
    });
  }

  /** `POST apply`: a batch of outbox mutations; idempotent at the origin by `mutation_id`. */
  async apply(user: string, mutations: ApplyMutation[]): Promise<ApplyAnswer> {
    const answer = await this.#call({
      call: "apply",
      method: "POST",
      path: "apply",
      body: { user, mutations },
      answer: ApplyAnswer,
    });
    const sent = new Set(mutations.map((m) => m.mutation_id));
    const unknown = answer.results.find((r) => !sent.has(r.mutation_id));
    if (unknown) {
      throw new OriginError({ call: "apply", kind: "rejected", message: `answer names mutation ${JSON.stringify(unknown.mutation_id)} that was not sent` });
    }
    return answer;
  }

  /** `POST resolve`: ask the model's `conflict_resolver`; `null` keeps the conflict. */
  async resolve(req: ResolveRequest): Promise<RowData | null> {
    const answer = await this.#call({ call: "resolve", method: "POST", path: "resolve", body: req, answer: ResolveAnswer });
    return answer.data;
  }

  /** `POST query`: a remote query (shared or `remote` models); `user` null for anonymous. */
  query(user: string | null, query: unknown): Promise<z.infer<typeof OriginQueryAnswer>> {
    return this.#call({ call: "query", method: "POST", path: "query", body: { user, query }, answer: OriginQueryAnswer });
  }

  /** `POST rpc/<name>`: the RPC's `result`; any failure it answers is `rpc_failed`. */
  async rpc(user: string | null, name: string, args: unknown): Promise<unknown> {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,99}$/.test(name)) {
      throw new OriginError({ call: "rpc", kind: "rejected", message: `invalid RPC name ${JSON.stringify(name.slice(0, 100))}` });
    }
    const answer = await this.#call({
      call: "rpc",
      method: "POST",
      path: `rpc/${name}`,
      body: { user, args: args ?? null },
      answer: RpcAnswer,
    });
    return answer.result;
  }

  /**
   * `POST auth`: forwards the client's `Cookie` / `Authorization`; the user id, or null when the
   * origin answers 401/403 (no valid session). Other failures throw.
   */
  async auth(headers: Headers | Record<string, string | undefined>): Promise<string | null> {
    const given =
      headers instanceof Headers
        ? headers
        : new Headers(Object.entries(headers).filter((e): e is [string, string] => typeof e[1] === "string"));
    const extraHeaders: Record<string, string> = {};
    for (const name of FORWARDED_AUTH_HEADERS) {
      const value = given.get(name);
      if (value) extraHeaders[name] = value;
    }
    if (Object.keys(extraHeaders).length === 0) return null;
    try {
      const answer = await this.#call({ call: "auth", method: "POST", path: "auth", body: {}, extraHeaders, answer: AuthAnswer });
      return answer.user_id;
    } catch (err) {
      if (err instanceof OriginError && (err.status === 401 || err.status === 403)) return null;
      throw err;
    }
  }

  /** Absolute URL of a contract path, keeping any path of the base URL. */
  url(path: string, query?: CallSpec<z.ZodType>["query"]): URL {
    const url = new URL(this.#base.href);
    url.pathname = url.pathname.replace(/\/+$/, "") + this.#prefix + path;
    url.search = "";
    url.hash = "";
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) params.set(k, String(v));
    const qs = params.toString();
    if (qs) url.search = "?" + qs;
    return url;
  }

  async #call<S extends z.ZodType>(spec: CallSpec<S>): Promise<z.infer<S>> {
    const url = this.url(spec.path, spec.query);
    const body = spec.method === "GET" ? "" : JSON.stringify(spec.body ?? {});
    const headers: Record<string, string> = {
      accept: "application/json",
      ...spec.extraHeaders,
      ...(await signedHeaders(this.#secret, spec.method, url.pathname + url.search, body, this.#now())),
    };
    if (spec.method !== "GET") headers["content-type"] = "application/json";

    const { status, text } = await this.#send(spec.call, url, { method: spec.method, headers, body: spec.method === "GET" ? undefined : body });
    if (status < 200 || status >= 300) throw this.#statusError(spec.call, status, text);

    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new OriginError({ call: spec.call, kind: "rejected", status, message: `answer is not JSON: ${clip(text)}` });
    }
    const parsed = spec.answer.safeParse(json);
    if (!parsed.success) {
      const where = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
      throw new OriginError({ call: spec.call, kind: "rejected", status, message: `answer has the wrong shape: ${where.join("; ")}` });
    }
    return parsed.data;
  }

  /** One fetch plus body read under a single deadline. */
  async #send(call: OriginCall, url: URL, init: RequestInit): Promise<{ status: number; text: string }> {
    const controller = new AbortController();
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
        reject(new OriginError({ call, kind: "unavailable", message: `no answer within ${this.#timeoutMs} ms (${url.pathname})` }));
      }, this.#timeoutMs);
    });
    const exchange = (async () => {
      const res = await this.#fetch(url.href, { ...init, redirect: "manual", signal: controller.signal });
      return { status: res.status, text: await readBoundedText(res, this.#maxAnswerBytes) };
    })();
    try {
      return await Promise.race([exchange, deadline]);
    } catch (err) {
      if (err instanceof OriginError) throw err;
      if (timedOut) throw new OriginError({ call, kind: "unavailable", message: `no answer within ${this.#timeoutMs} ms (${url.pathname})`, cause: err });
      if (err instanceof BodyTooLargeError) throw new OriginError({ call, kind: "rejected", message: err.message, cause: err });
      const reason = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      throw new OriginError({ call, kind: "unavailable", message: `cannot reach ${url.host}: ${reason}`, cause: err });
    } finally {
      clearTimeout(timer);
      exchange.catch(() => {}); // the losing side of the race settles later; never unhandled
    }
  }

  #statusError(call: OriginCall, status: number, text: string): OriginError {
    let originCode: string | undefined;
    let detail = clip(text);
    try {
      const body = OriginErrorBody.safeParse(JSON.parse(text));
      if (body.success) {
        originCode = body.data.code;
        detail = clip(body.data.message ?? body.data.error ?? body.data.code ?? text);
      }
    } catch {
      // not JSON: keep the clipped text
    }
    const kind = isTransientStatus(status) ? "unavailable" : "rejected";
    const redirect = status >= 300 && status < 400 ? " (redirects are not followed: check DJAZZKIT_ORIGIN_URL and the prefix)" : "";
    return new OriginError({
      call,
      kind,
      status,
      message: `HTTP ${status}${redirect}${detail ? `: ${detail}` : ""}`,
      ...(originCode !== undefined ? { originCode } : {}),
    });
  }
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > MAX_ERROR_MESSAGE_CHARS ? oneLine.slice(0, MAX_ERROR_MESSAGE_CHARS) + "…" : oneLine;
}
