/**
 * The generator: a manifest in, one TypeScript module out (`models.ts`). Pure; the CLI
 * (cli.ts) reads the manifest and writes the file. The module holds, per model, a field
 * interface, a create-input interface and a thin class over the runtime in client/model/, plus
 * `SCHEMA_VERSION`, `MANIFEST` (what SyncClient takes) and `MODELS` (label -> class).
 *
 * Field types: string -> string (a union of literals with `choices`), integer/float -> number,
 * decimal/date/datetime/uuid -> strings in documented formats ($dj.DecimalString, ...), boolean
 * -> boolean, json -> $dj.JsonValue; nullable adds `| null`; a foreign key (the owner field
 * included) has its target key's type.
 */
import type { FieldSpec, Manifest, ModelSpec } from "../../schemas/manifest.js";
import { modelNames, type ModelNames } from "./naming.js";

export interface GenerateOptions {
  /** Module the generated code imports the runtime from (default "@djazzkit/core"). */
  importFrom?: string;
}

const BASE_TYPES: Record<FieldSpec["type"], string> = {
  string: "string",
  integer: "number",
  float: "number",
  decimal: "$dj.DecimalString",
  boolean: "boolean",
  datetime: "$dj.DateTimeString",
  date: "$dj.DateString",
  uuid: "$dj.UUIDString",
  json: "$dj.JsonValue",
};

const FORMATS: Partial<Record<FieldSpec["type"], string>> = {
  decimal: "exact decimal string, e.g. \"12.50\"",
  datetime: "ISO 8601, e.g. \"2024-05-01T12:30:00Z\"",
  date: "YYYY-MM-DD",
  uuid: "lowercase UUID with dashes",
  json: "any JSON value",
};

/** The TypeScript type of one field's values. */
export function fieldType(fs: FieldSpec): string {
  let parts: string[];
  if (fs.choices !== undefined) {
    const literals = fs.choices.map(([value]) => value);
    if (fs.default !== undefined && fs.default !== null && !literals.includes(fs.default as never)) literals.push(fs.default as never);
    parts = [...new Set(literals.map((v) => JSON.stringify(v)))];
  } else {
    parts = [BASE_TYPES[fs.type]];
  }
  if (fs.nullable) parts.push("null");
  return parts.join(" | ");
}

/** A property key as written in an object literal or interface (`__proto__` must be computed). */
function key(name: string): string {
  if (name === "__proto__") return `["__proto__"]`;
  return name === "constructor" ? JSON.stringify(name) : name;
}

function fieldDoc(name: string, fs: FieldSpec, owner: boolean): string {
  const notes: string[] = [fs.type];
  const format = FORMATS[fs.type];
  if (format !== undefined) notes.push(format);
  if (fs.max_length !== undefined) notes.push(`at most ${fs.max_length} characters`);
  if (fs.default !== undefined) notes.push(`default ${JSON.stringify(fs.default)}`);
  if (owner) notes.push("owner: set by the relay to the signed-in user");
  return `  /** ${name}: ${notes.join("; ").replace(/\*\//g, "*\\/")} */`;
}

/** The spec object literal, one field per line. */
function specLiteral(spec: ModelSpec): string {
  const head = (["table", "scope", "owner_field", "conflict_mode", "strategy", "has_resolver"] as const)
    .map((k) => `    ${k}: ${JSON.stringify(spec[k])},`);
  const fields = Object.entries(spec.fields).map(([name, fs]) => `      ${key(name)}: ${JSON.stringify(fs)},`);
  return ["{", ...head, "    fields: {", ...fields, "    },", "  }"].join("\n");
}

function modelBlock(n: ModelNames, spec: ModelSpec): string {
  const fields = Object.entries(spec.fields);
  const iface = fields.map(([name, fs]) => `${fieldDoc(name, fs, name === spec.owner_field)}\n  ${key(name)}: ${fieldType(fs)};`);
  const create = fields.map(([name, fs]) => {
    const optional = name === spec.owner_field || fs.nullable || fs.default !== undefined;
    return `  ${key(name)}${optional ? "?" : ""}: ${fieldType(fs)};`;
  });
  const summary = `${n.label}: ${spec.scope} scope, ${spec.strategy}, ${spec.conflict_mode} conflicts`;
  return [
    `/** Fields of ${n.label}. */`,
    `export interface ${n.fields} {`,
    ...iface,
    `}`,
    ``,
    `/** What ${n.cls}.objects.create() takes: fields without a default are required (the owner is set by the relay). */`,
    `export interface ${n.create} {`,
    ...create,
    `}`,
    ``,
    `/** ${summary}. Fields are properties; ones named like a member are reached with get()/set(). */`,
    `export interface ${n.cls} extends $dj.InstanceFields<${n.fields}> {}`,
    ``,
    `/** ${summary}. */`,
    `export class ${n.cls} extends $dj.Model<${n.fields}> {`,
    `  static readonly label = ${JSON.stringify(n.label)};`,
    `  static readonly spec: $dj.ModelSpec = ${specLiteral(spec)};`,
    `  static readonly objects: $dj.Manager<${n.cls}, ${n.create}> = new $dj.Manager<${n.cls}, ${n.create}>(${n.cls});`,
    `}`,
  ].join("\n");
}

/** The generated module's source text. */
export function generate(manifest: Manifest, options: GenerateOptions = {}): string {
  const importFrom = options.importFrom ?? "@djazzkit/core";
  const labels = Object.keys(manifest.models);
  const names = modelNames(labels);
  const blocks = names.map((n) => modelBlock(n, manifest.models[n.label]!));
  return [
    `// Generated by \`djazzkit codegen\` from schema ${manifest.schema_version}. Do not edit: run it again.`,
    `/* eslint-disable */`,
    `import * as $dj from ${JSON.stringify(importFrom)};`,
    ``,
    `/** The schema these classes were generated from: pass it as SyncClientOptions.schemaVersion. */`,
    `export const SCHEMA_VERSION = ${JSON.stringify(manifest.schema_version)};`,
    ``,
    blocks.join("\n\n"),
    ``,
    `/** The manifest these classes were generated from (SyncClientOptions.manifest). */`,
    `export const MANIFEST: $dj.Manifest = {`,
    `  schema_version: SCHEMA_VERSION,`,
    `  models: {`,
    ...names.map((n) => `    ${JSON.stringify(n.label)}: ${n.cls}.spec,`),
    `  },`,
    `};`,
    ``,
    `/** Every generated class by its Django label. */`,
    `export const MODELS = {`,
    ...names.map((n) => `  ${JSON.stringify(n.label)}: ${n.cls},`),
    `} as const;`,
    ``,
  ].join("\n");
}
