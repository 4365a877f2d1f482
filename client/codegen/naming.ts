/**
 * TypeScript names for the generated models. A class is named after its Django model unless
 * that name cannot or should not be a module-level TypeScript name, or two apps have a model of
 * the same name: then every such model is prefixed with its app (`blog.Post` -> `BlogPost`).
 * Each model also owns `<Name>Fields` and `<Name>Create`; no emitted name is used twice. Pure.
 */

/** Words that cannot name a class: JavaScript reserved words (strict mode) and TypeScript's built-in type names. */
const RESERVED = new Set([
  "break", "case", "catch", "class", "const", "continue", "debugger", "default", "delete", "do", "else", "enum", "export",
  "extends", "false", "finally", "for", "function", "if", "import", "in", "instanceof", "new", "null", "return", "super",
  "switch", "this", "throw", "true", "try", "typeof", "var", "void", "while", "with", "yield", "let", "static",
  "implements", "interface", "package", "private", "protected", "public", "await", "arguments", "eval", "async", "of",
  "any", "unknown", "never", "number", "string", "boolean", "symbol", "object", "bigint", "undefined", "type", "keyof",
  "declare", "module", "namespace", "readonly", "abstract", "as", "is", "infer", "satisfies", "accessor", "asserts",
  "constructor", "get", "set", "from", "global", "require",
]);

/** Globals an app is likely to use next to its models: a model named so would shadow them on import. */
const GLOBALS = new Set([
  "Object", "Array", "Promise", "Symbol", "Function", "Error", "Date", "JSON", "Math", "Number", "String", "Boolean", "Map",
  "Set", "WeakMap", "WeakSet", "RegExp", "BigInt", "Proxy", "Reflect", "Intl", "Iterator", "Record", "Partial", "Required",
  "Readonly", "Pick", "Omit", "Exclude", "Extract", "NonNullable", "ReturnType", "Awaited", "Uint8Array", "ArrayBuffer",
  "URL", "Request", "Response", "Headers", "WebSocket", "Event", "EventTarget", "Node", "Element", "Document", "Window",
  "Storage", "File", "Blob", "Text", "Comment", "Image", "Option", "Audio", "Notification", "Location", "History", "Range",
  "Selection", "Worker", "Crypto", "Performance", "Console", "Buffer", "Model", "Manager", "QuerySet",
]);

/** Names the generated module declares itself. */
export const MODULE_NAMES = ["$dj", "SCHEMA_VERSION", "MANIFEST", "MODELS"] as const;

export interface ModelNames {
  label: string;
  /** The class (and merged instance interface). */
  cls: string;
  /** The field interface. */
  fields: string;
  /** What `objects.create()` takes. */
  create: string;
}

function pascal(s: string): string {
  return s.split("_").filter((p) => p.length > 0).map((p) => p[0]!.toUpperCase() + p.slice(1)).join("") || "App";
}

function usable(name: string): boolean {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) && !RESERVED.has(name) && !GLOBALS.has(name);
}

/** Names for every label, in the order given; deterministic for a given list. */
export function modelNames(labels: readonly string[]): ModelNames[] {
  const byName = new Map<string, number>();
  for (const label of labels) {
    const name = label.slice(label.indexOf(".") + 1);
    byName.set(name, (byName.get(name) ?? 0) + 1);
  }
  const taken = new Set<string>(MODULE_NAMES);
  const out: ModelNames[] = [];
  for (const label of [...labels].sort()) {
    const dot = label.indexOf(".");
    const app = label.slice(0, dot);
    const name = label.slice(dot + 1);
    const candidates: string[] = [];
    if (byName.get(name) === 1 && usable(name)) candidates.push(name);
    const prefixed = pascal(app) + name[0]!.toUpperCase() + name.slice(1);
    candidates.push(prefixed);
    for (let i = 2; candidates.length < 1000; i++) candidates.push(`${prefixed}${i}`);
    const stem = candidates.find((c) => usable(c) && [c, c + "Fields", c + "Create"].every((n) => !taken.has(n)))!;
    for (const n of [stem, stem + "Fields", stem + "Create"]) taken.add(n);
    out.push({ label, cls: stem, fields: stem + "Fields", create: stem + "Create" });
  }
  const order = new Map(labels.map((l, i) => [l, i]));
  return out.sort((a, b) => order.get(a.label)! - order.get(b.label)!);
}
