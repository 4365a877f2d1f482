/**
 * The relay's frames checked without zod (the browser bundle budget of issue 10): a small set of
 * combinators and one shape per message type, mirroring `RelayMessage` in schemas/protocol.ts,
 * which stays the source of the types. test/unit/frame-guard.test.ts holds the two to agreeing
 * on valid frames and on random corruptions of them.
 */
import { ERROR_CODES } from "../schemas/errors.js";
import { MODEL_LABEL_RE } from "../schemas/model-scope.js";
import type { Mutation, RelayMessage } from "../schemas/protocol.js";
import { CURSOR_RE, MAX_MODEL_CHARS, MAX_MUTATION_ID_CHARS, MAX_ROW_ID_CHARS, REV_RE } from "../schemas/wire-format.js";

type Check = (v: unknown) => boolean;
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str: Check = (v) => typeof v === "string";
const len = (min: number, max: number): Check => (v) => typeof v === "string" && v.length >= min && v.length <= max;
const re = (r: RegExp): Check => (v) => typeof v === "string" && r.test(v);
const bool: Check = (v) => typeof v === "boolean";
const int: Check = (v) => typeof v === "number" && Number.isSafeInteger(v);
const lit = (x: string): Check => (v) => v === x;
const oneOf = (xs: readonly string[]): Check => { const s = new Set(xs); return (v) => typeof v === "string" && s.has(v); };
const opt = (c: Check): Check => (v) => v === undefined || c(v);
const nullable = (c: Check): Check => (v) => v === null || c(v);
const arr = (c: Check): Check => (v) => Array.isArray(v) && v.every(c);
/** Any value, but the key must be there (zod 4's z.unknown() in an object). */
const any: Check = () => true;
const record: Check = isObj;
/** An object with these keys; `strict` refuses other keys (zod's strictObject), else they are ignored. */
const obj = (shape: Record<string, Check>, strict = false): Check => (v) =>
  isObj(v) && Object.entries(shape).every(([k, c]) => (Object.hasOwn(v, k) ? c(v[k]) : c !== any && c(undefined))) &&
  (!strict || Object.keys(v).every((k) => Object.hasOwn(shape, k)));

const rev = re(REV_RE);
const errorCode = oneOf(ERROR_CODES);
const identity = obj({ user_id: nullable(str), anonymous: bool });
const revisionBody = obj({ rev, data: nullable(record) });

const FRAMES: Record<RelayMessage["type"], Check> = {
  schema_mismatch: obj({ type: str, client_schema_version: str, server_schema_version: str, message: str }, true),
  changes: obj({
    rows: arr(obj({ model: re(MODEL_LABEL_RE), row_id: len(1, MAX_ROW_ID_CHARS), rev, data: nullable(record), deleted: bool, conflicts: arr(rev) })),
    cursor: re(CURSOR_RE), reset: opt(bool), more: bool,
  }),
  sync_ready: obj({ cursor: re(CURSOR_RE), server_schema_version: str, identity: opt(identity), credential: opt(oneOf(["missing", "rejected", "expired"])) }),
  push_result: obj({
    request_id: opt(str),
    results: arr(obj({ mutation_id: str, status: oneOf(["applied", "rejected"]), rev: opt(rev), code: opt(errorCode), message: opt(str), duplicate: opt(bool) })),
  }),
  mutation_confirmed: obj({ mutation_id: str, rev }),
  mutation_rejected: obj({ mutation_id: str, rev, code: errorCode, message: str }),
  query_result: obj({ request_id: str, rows: arr(record), total: opt(int) }),
  rpc_result: obj({ request_id: str, result: any }),
  conflicts: obj({ request_id: str, model: str, row_id: str, winner: revisionBody, conflicts: arr(revisionBody) }),
  conflict_list: obj({ request_id: str, rows: arr(obj({ model: str, row_id: str, rev, conflicts: arr(rev) })) }),
  auth_ok: obj({ request_id: opt(str), user_id: str, expires_at: opt(int), identity: opt(identity) }),
  error: obj({ request_id: opt(str), code: errorCode, message: str, details: opt(record) }),
  pong: obj({}),
};

/** The frame as a RelayMessage, or undefined when it does not match the protocol. */
export function guardRelayMessage(json: unknown): RelayMessage | undefined {
  if (!isObj(json) || typeof json["type"] !== "string" || !Object.hasOwn(FRAMES, json["type"])) return undefined;
  return FRAMES[json["type"] as RelayMessage["type"]](json) ? (json as RelayMessage) : undefined;
}

const mutationShape = obj({
  mutation_id: len(1, MAX_MUTATION_ID_CHARS), model: len(1, MAX_MODEL_CHARS), row_id: len(1, MAX_ROW_ID_CHARS),
  operation: oneOf(["create", "update", "delete"]), base_rev: (v) => v === undefined || v === null || rev(v), data: opt(record),
});

/** True when `m` is a `Mutation` the relay's schema accepts. */
export function isValidMutation(m: unknown): m is Mutation {
  return mutationShape(m);
}
