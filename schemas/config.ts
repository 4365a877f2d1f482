/**
 * Relay settings (PROTOCOL 5), parsed once from the Worker/Durable Object `env`.
 * A bad value fails loudly with the setting's name instead of silently using a default.
 */
import { z } from "zod";
import { normalizeOriginPrefix } from "./origin.js";

const bool = (name: string, dflt: boolean) =>
  z
    .union([z.boolean(), z.string()])
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return dflt;
      if (typeof v === "boolean") return v;
      const s = v.trim().toLowerCase();
      if (["true", "1", "yes", "on"].includes(s)) return true;
      if (["false", "0", "no", "off"].includes(s)) return false;
      ctx.addIssue({ code: "custom", message: `${name} must be true or false, got ${JSON.stringify(v)}` });
      return z.NEVER;
    });

const int = (name: string, dflt: number, min: number, max: number) =>
  z
    .union([z.number(), z.string()])
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return dflt;
      const n = typeof v === "number" ? v : /^\s*-?\d+\s*$/.test(v) ? Number(v) : NaN;
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `${name} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return n;
    });

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === "" ? undefined : v.trim()));

const originUrl = optionalString.refine(
  (v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v),
  { message: "DJAZZKIT_ORIGIN_URL must be an http(s) URL" },
);

/** One allowed Origin pattern: exact `scheme://host[:port]`, or `scheme://*.host[:port]`. */
const OriginPattern = z
  .string()
  .regex(/^[a-z][a-z0-9+.-]*:\/\/(\*\.)?[a-z0-9.-]+(:\d{1,5})?$/i, "an origin such as https://app.example.com or https://*.example.com");

const originList = z
  .string()
  .optional()
  .transform((v, ctx) => {
    const items = (v ?? "").split(",").map((s) => s.trim()).filter((s) => s.length > 0);
    for (const item of items) {
      if (!OriginPattern.safeParse(item).success) {
        ctx.addIssue({ code: "custom", message: `DJAZZKIT_WS_ALLOWED_ORIGINS: ${JSON.stringify(item)} is not an origin pattern` });
        return z.NEVER;
      }
    }
    return items.map((s) => s.toLowerCase());
  });

export const Settings = z.object({
  DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK: bool("DJAZZKIT_WS_ALLOW_ANONYMOUS_FALLBACK", true),
  DJAZZKIT_WS_REQUIRE_ORIGIN: bool("DJAZZKIT_WS_REQUIRE_ORIGIN", false),
  DJAZZKIT_WS_ALLOWED_ORIGINS: originList,
  DJAZZKIT_QUERY_MAX_LIMIT: int("DJAZZKIT_QUERY_MAX_LIMIT", 1000, 1, 1_000_000),
  DJAZZKIT_QUERY_MAX_OFFSET: int("DJAZZKIT_QUERY_MAX_OFFSET", 10_000, 0, 100_000_000),
  DJAZZKIT_ORIGIN_URL: originUrl,
  DJAZZKIT_JWT_SECRET: optionalString,
  DJAZZKIT_JWKS_URL: optionalString,
  /** Comma list of accepted JWT algorithms; `none` is never accepted. */
  DJAZZKIT_JWT_ALGORITHMS: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const algs = (v ?? "").split(",").map((s) => s.trim()).filter(Boolean);
      if (algs.some((a) => a.toLowerCase() === "none")) {
        ctx.addIssue({ code: "custom", message: "DJAZZKIT_JWT_ALGORITHMS may not contain none" });
        return z.NEVER;
      }
      return algs.length > 0 ? algs : undefined;
    }),
  DJAZZKIT_JWT_ISSUER: optionalString,
  DJAZZKIT_JWT_AUDIENCE: optionalString,
  DJAZZKIT_RELAY_SECRET: optionalString,
  /** Name of Django's session cookie (`SESSION_COOKIE_NAME`); only a request carrying it is checked with the origin. */
  DJAZZKIT_SESSION_COOKIE_NAME: z
    .string()
    .optional()
    .transform((v, ctx) => {
      const name = v === undefined || v.trim() === "" ? "sessionid" : v.trim();
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/.test(name)) {
        ctx.addIssue({ code: "custom", message: `DJAZZKIT_SESSION_COOKIE_NAME must be a cookie name, got ${JSON.stringify(v)}` });
        return z.NEVER;
      }
      return name;
    }),
  DJAZZKIT_SCHEMA_TTL_S: int("DJAZZKIT_SCHEMA_TTL_S", 60, 0, 86_400),
  /** How often an open cookie-authenticated socket's session is re-checked with the origin (closed 4401 once it is gone). */
  DJAZZKIT_SESSION_RECHECK_S: int("DJAZZKIT_SESSION_RECHECK_S", 60, 1, 86_400),
  DJAZZKIT_REVS_LIMIT: int("DJAZZKIT_REVS_LIMIT", 1000, 1, 100_000),
  DJAZZKIT_MAX_MESSAGE_BYTES: int("DJAZZKIT_MAX_MESSAGE_BYTES", 1_048_576, 1024, 32 * 1_048_576),
  DJAZZKIT_MAX_MUTATIONS_PER_PUSH: int("DJAZZKIT_MAX_MUTATIONS_PER_PUSH", 500, 1, 10_000),
  DJAZZKIT_MAX_SOCKETS_PER_USER: int("DJAZZKIT_MAX_SOCKETS_PER_USER", 64, 1, 32_000),
  /** Open anonymous sockets allowed in all (they share one object); the extra one is closed 1013. */
  DJAZZKIT_MAX_ANONYMOUS_SOCKETS: int("DJAZZKIT_MAX_ANONYMOUS_SOCKETS", 256, 1, 32_000),
  /** Per-socket token bucket: sustained frames per second, and burst size. */
  DJAZZKIT_RATE_LIMIT_PER_S: int("DJAZZKIT_RATE_LIMIT_PER_S", 50, 1, 100_000),
  DJAZZKIT_RATE_LIMIT_BURST: int("DJAZZKIT_RATE_LIMIT_BURST", 200, 1, 1_000_000),
  /** Back-pressure: client writes (push, resolve_conflict) queued or running per object before new ones get `rate_limited`. */
  DJAZZKIT_MAX_QUEUED_WRITES: int("DJAZZKIT_MAX_QUEUED_WRITES", 64, 1, 100_000),
  DJAZZKIT_ORIGIN_TIMEOUT_MS: int("DJAZZKIT_ORIGIN_TIMEOUT_MS", 10_000, 100, 120_000),
  DJAZZKIT_ORIGIN_PREFIX: z
    .string()
    .optional()
    .transform(normalizeOriginPrefix),
  DJAZZKIT_OUTBOX_BATCH: int("DJAZZKIT_OUTBOX_BATCH", 100, 1, 1000),
  /**
   * Outbox batches are bounded by bytes too (the items' JSON): 3 MiB by default, below the
   * sample origin's 4 MiB DJAZZKIT_RELAY_MAX_BODY_BYTES. An item larger than this goes alone.
   */
  DJAZZKIT_OUTBOX_BATCH_BYTES: int("DJAZZKIT_OUTBOX_BATCH_BYTES", 3 * 1_048_576, 1024, 64 * 1_048_576),
  /**
   * Coalescing under load (durable/origin/pacing.ts): the least time from the end of one drain
   * of an object's outbox (the origin's answer) to the start of the next. A write on an idle object (no drain in the last interval) goes to the
   * origin at once; writes that arrive while a drain is in flight or within the interval wait
   * and go together in the next batch, unless a full batch (DJAZZKIT_OUTBOX_BATCH or _BATCH_BYTES)
   * is waiting, which goes at once. So each object sends at most one `apply` per interval under
   * load, at the price of up to this much more time before the origin holds (and confirms) a
   * write made right after another. 0: drain as soon as a write commits.
   */
  DJAZZKIT_OUTBOX_MIN_INTERVAL_MS: int("DJAZZKIT_OUTBOX_MIN_INTERVAL_MS", 5000, 0, 3_600_000),
  /** Outbox retry backoff while the origin fails: full jitter in [0, min(max, base * 2^attempt)). */
  DJAZZKIT_OUTBOX_BACKOFF_BASE_MS: int("DJAZZKIT_OUTBOX_BACKOFF_BASE_MS", 1000, 1, 3_600_000),
  DJAZZKIT_OUTBOX_BACKOFF_MAX_MS: int("DJAZZKIT_OUTBOX_BACKOFF_MAX_MS", 300_000, 1, 86_400_000),
});
export type Settings = z.infer<typeof Settings>;

/**
 * The settings as the runtime hands them over (wrangler `[vars]` and secrets): each key of the
 * Settings schema, as an optional string. Derived from the schema, so a new setting is never
 * missing from the Worker's or the object's `env` type.
 */
export type SettingsVars = { [K in keyof Settings]?: string };

export class SettingsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SettingsError";
  }
}

const cache = new WeakMap<object, Settings>();

/** Parse the settings once per `env` object; throws SettingsError naming every bad value. */
export function loadSettings(env: object): Settings {
  const hit = cache.get(env);
  if (hit) return hit;
  const parsed = Settings.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => i.message);
    throw new SettingsError(`invalid relay settings: ${lines.join("; ")}`);
  }
  cache.set(env, parsed.data);
  return parsed.data;
}
