/**
 * Whether one value fits one manifest field: type, null, `max_length` and `choices`. The one
 * place this rule lives: the relay's mutation validation (durable/writes/validate.ts) and the
 * client's model layer (client/model/) both call it, so a write the client lets through is one
 * the relay accepts and the other way round. Pure and zod-free (it ships in the browser bundle).
 */
import type { FieldSpec, FieldType } from "./manifest.js";

/** Nesting allowed inside a `json` field value; deeper values are refused without recursion. */
export const MAX_JSON_DEPTH = 32;
/** Longest decimal string accepted (Django's widest DecimalField fits well inside). */
export const MAX_DECIMAL_CHARS = 100;

/** Why a value does not fit: what the relay's `invalid_field_value` message says after the field name. */
export interface FieldValueProblem {
  why: string;
  expected: FieldType;
}

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const DECIMAL_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * null when `value` fits `fs`, else the problem. Order: null, type, max_length, choices.
 * `choices` skip Django's empty values ("", [], {}), as Django's own choice check does, so a
 * `blank=True` field may hold "" although "" is not a choice.
 */
export function fieldValueProblem(fs: FieldSpec, value: unknown): FieldValueProblem | null {
  if (value === null) return fs.nullable ? null : { why: "may not be null", expected: fs.type };
  if (value === undefined) return { why: "has no value", expected: fs.type };
  const typeProblem = wrongType(fs.type, value);
  if (typeProblem !== null) return { why: typeProblem, expected: fs.type };
  if (fs.max_length !== undefined && typeof value === "string" && codePoints(value, fs.max_length) > fs.max_length) {
    return { why: `is longer than ${fs.max_length} characters`, expected: fs.type };
  }
  if (fs.choices !== undefined && !isEmptyValue(value) && !fs.choices.some(([choice]) => choice === value)) {
    return { why: `is not one of the field's choices`, expected: fs.type };
  }
  return null;
}

function wrongType(type: FieldType, value: unknown): string | null {
  switch (type) {
    case "string":
      return typeof value === "string" ? null : "has the wrong type";
    case "integer":
      return Number.isSafeInteger(value) ? null : "has the wrong type";
    case "float":
      return typeof value === "number" && Number.isFinite(value) ? null : "has the wrong type";
    case "decimal":
      if (typeof value === "number" && Number.isFinite(value)) return null;
      return typeof value === "string" && value.length <= MAX_DECIMAL_CHARS && DECIMAL_RE.test(value) ? null : "has the wrong type";
    case "boolean":
      return typeof value === "boolean" ? null : "has the wrong type";
    case "datetime":
      return typeof value === "string" && isDatetime(value) ? null : "has the wrong type";
    case "date":
      return typeof value === "string" && isDate(value) ? null : "has the wrong type";
    case "uuid":
      return typeof value === "string" && UUID_RE.test(value) ? null : "has the wrong type";
    case "json":
      return jsonProblem(value);
  }
}

/** Code points in `s`, counting no further than just past `limit` (UTF-16 length is an upper bound). */
function codePoints(s: string, limit: number): number {
  if (s.length <= limit) return s.length;
  let n = 0;
  for (const _ of s) if (++n > limit) break;
  return n;
}

function isEmptyValue(v: unknown): boolean {
  if (v === "") return true;
  if (Array.isArray(v)) return v.length === 0;
  return typeof v === "object" && v !== null && Object.keys(v).length === 0;
}

function validDay(y: number, mo: number, d: number): boolean {
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]!;
  return d <= days;
}

/** `YYYY-MM-DD`, a real calendar day. */
export function isDate(s: string): boolean {
  const m = DATE_RE.exec(s);
  return m !== null && validDay(Number(m[1]), Number(m[2]), Number(m[3]));
}

/** ISO-8601 date and time (seconds, fraction and offset optional; `T` or a space between). */
export function isDatetime(s: string): boolean {
  const m = DATETIME_RE.exec(s);
  if (m === null || !validDay(Number(m[1]), Number(m[2]), Number(m[3]))) return false;
  if (Number(m[4]) > 23 || Number(m[5]) > 59 || (m[6] !== undefined && Number(m[6]) > 59)) return false;
  const tz = m[7];
  if (tz !== undefined && tz.toUpperCase() !== "Z") {
    const digits = tz.slice(1).replace(":", "");
    if (Number(digits.slice(0, 2)) > 23 || (digits.length > 2 && Number(digits.slice(2)) > 59)) return false;
  }
  return true;
}

/** Any JSON value, at most MAX_JSON_DEPTH deep; walked with an explicit stack. */
function jsonProblem(root: unknown): string | null {
  const stack: Array<{ v: unknown; depth: number }> = [{ v: root, depth: 1 }];
  while (stack.length > 0) {
    const { v, depth } = stack.pop()!;
    if (v === null || typeof v === "string" || typeof v === "boolean") continue;
    if (typeof v === "number") {
      if (Number.isFinite(v)) continue;
      return "is not JSON";
    }
    if (typeof v !== "object") return "is not JSON";
    if (depth > MAX_JSON_DEPTH) return `nests deeper than ${MAX_JSON_DEPTH}`;
    const proto = Object.getPrototypeOf(v);
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return "is not JSON";
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push({ v: child, depth: depth + 1 });
  }
  return null;
}
