/**
 * Canonical JSON: the text that revision ids hash (PROTOCOL 2.1).
 *
 * Exactly `JSON.stringify(value)` except that object keys are sorted (by UTF-16 code units,
 * JavaScript's default sort and RFC 8785's order) at every level. So, like JSON: no spaces;
 * `toJSON()` is honoured (dates become ISO strings); `undefined`, functions and symbols are
 * skipped as object members and become `null` in arrays; non-finite numbers (NaN, ±Infinity)
 * are normalised to `null` and -0 to `0`, which is what a JSON round trip stores anyway, so a
 * body hashes the same before and after it is saved. Like JSON, a cycle or a BigInt throws a
 * TypeError. Unlike JSON.stringify, a top-level `undefined` gives the string "null".
 *
 * Keys are emitted by this serializer, never by building a sorted object and stringifying it:
 * JavaScript orders integer-like keys ("2", "10") first in any object, and assigning a
 * `"__proto__"` key to a plain object would change its prototype instead of adding a member.
 * Iterative (explicit stack), so deeply nested bodies cannot overflow the call stack.
 */

/** A work item: text to emit, a value to serialise, or the end of a container. */
type Task =
  | { text: string }
  | { value: unknown; key: string; ready?: true } // ready: `prepare` already applied
  | { close: object; text: string };

export function canonicalJson(value: unknown): string {
  const fast = plain(value, 0);
  return fast !== undefined ? fast : general(value);
}

/** Nesting depth up to which the recursive fast path is tried (frames allow 64). */
const FAST_MAX_DEPTH = 32;

/**
 * The fast path (a push hashes every body twice): plain JSON data only, i.e. null, strings,
 * finite numbers, booleans, arrays of those and objects whose prototype is Object.prototype or
 * null with no `toJSON`. Anything else (undefined or function members, boxed primitives,
 * dates, non-finite numbers, -0, sparse arrays, deeper nesting, cycles) answers undefined and
 * the general serializer below decides, so the output is the same text either way.
 */
function plain(v: unknown, depth: number): string | undefined {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      return Number.isFinite(v) && !Object.is(v, -0) ? JSON.stringify(v) : undefined;
    case "boolean":
      return v ? "true" : "false";
    case "object": {
      if (v === null) return "null";
      if (depth >= FAST_MAX_DEPTH) return undefined;
      if (Array.isArray(v)) {
        let s = "[";
        for (let i = 0; i < v.length; i++) {
          if (!(i in v)) return undefined;
          const item = plain(v[i], depth + 1);
          if (item === undefined) return undefined;
          s += i === 0 ? item : "," + item;
        }
        return s + "]";
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) return undefined;
      const record = v as Record<string, unknown>;
      if (typeof record.toJSON === "function") return undefined;
      const keys = Object.keys(record).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
      let s = "{";
      for (let i = 0; i < keys.length; i++) {
        const k = keys[i]!;
        const member = plain(record[k], depth + 1);
        if (member === undefined) return undefined;
        s += (i === 0 ? "" : ",") + JSON.stringify(k) + ":" + member;
      }
      return s + "}";
    }
    default:
      return undefined;
  }
}

/** The general serializer: every case JSON.stringify handles, iteratively. */
function general(value: unknown): string {
  const out: string[] = [];
  const open = new Set<object>(); // containers being serialised, for cycle detection
  const stack: Task[] = [{ value, key: "" }];
  for (let task = stack.pop(); task !== undefined; task = stack.pop()) {
    if ("text" in task) {
      if ("close" in task) open.delete(task.close);
      out.push(task.text);
      continue;
    }
    const v = task.ready ? task.value : prepare(task.value, task.key);
    if (v === undefined) {
      out.push("null"); // array members and the top level; skipped object members never get here
      continue;
    }
    if (v === null || typeof v !== "object") {
      out.push(primitive(v));
      continue;
    }
    if (open.has(v)) throw new TypeError("canonicalJson: cyclic structure");
    open.add(v);
    if (Array.isArray(v)) {
      out.push("[");
      stack.push({ close: v, text: "]" });
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push({ value: v[i], key: String(i) });
        if (i > 0) stack.push({ text: "," });
      }
      continue;
    }
    const record = v as Record<string, unknown>;
    const members: [string, unknown][] = [];
    for (const k of Object.keys(record)) {
      const member = prepare(record[k], k); // toJSON runs once per member, as in JSON
      if (member !== undefined) members.push([k, member]);
    }
    members.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    out.push("{");
    stack.push({ close: v, text: "}" });
    for (let i = members.length - 1; i >= 0; i--) {
      const [k, member] = members[i]!;
      stack.push({ value: member, key: k, ready: true });
      stack.push({ text: (i > 0 ? "," : "") + JSON.stringify(k) + ":" });
    }
  }
  return out.join("");
}

/**
 * The value JSON would serialise in place of `v`: the result of `toJSON()`, primitives
 * unboxed, and `undefined` for what JSON skips (undefined, functions, symbols).
 */
function prepare(v: unknown, key: string): unknown {
  if (v !== null && typeof v === "object" && typeof (v as { toJSON?: unknown }).toJSON === "function") {
    v = (v as { toJSON(key: string): unknown }).toJSON(key);
  }
  if (v instanceof Number || v instanceof String || v instanceof Boolean) v = v.valueOf();
  if (v === undefined || typeof v === "function" || typeof v === "symbol") return undefined;
  return v;
}

function primitive(v: unknown): string {
  switch (typeof v) {
    case "string":
      return JSON.stringify(v);
    case "number":
      return Number.isFinite(v) ? JSON.stringify(v) : "null";
    case "boolean":
      return v ? "true" : "false";
    case "bigint":
      throw new TypeError("canonicalJson: BigInt has no JSON form");
    default:
      return "null"; // null
  }
}
