/**
 * The layering the README and docs/ARCHITECTURE.md describe, checked on the source: no import
 * cycles at runtime, no cycles across folders even through type-only imports, `durable/` never
 * imports `worker/` (not even types), `worker/` reaches
 * `durable/` only through its entry `durable/index.ts`, and the shared folders depend only on
 * what they say they do. Imports are read with TypeScript's parser.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../support/bundle.js";

const SOURCE_DIRS = ["worker", "durable", "schemas", "revtree", "origin-client", "auth", "client"];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== "node_modules" && name !== "dist") out.push(...sourceFiles(path));
    } else if (name.endsWith(".ts")) {
      out.push(path);
    }
  }
  return out;
}

interface Edge {
  from: string;
  to: string;
  /** Erased at runtime: `import type`, `export type`, or every named binding `type`. */
  typeOnly: boolean;
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    if (node.isTypeOnly) return true;
    const e = node.exportClause;
    return e !== undefined && ts.isNamedExports(e) && e.elements.length > 0 && e.elements.every((el) => el.isTypeOnly);
  }
  const clause = node.importClause;
  if (clause === undefined) return false; // a side-effect import runs
  if (clause.isTypeOnly) return true;
  const named = clause.namedBindings;
  return clause.name === undefined && named !== undefined && ts.isNamedImports(named) && named.elements.length > 0
    && named.elements.every((el) => el.isTypeOnly);
}

/** Every relative import of every source file (`import("...")` type references count as type-only). */
function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const dir of SOURCE_DIRS) {
    for (const file of sourceFiles(join(REPO_ROOT, dir))) {
      const text = readFileSync(file, "utf8");
      const from = relative(REPO_ROOT, file);
      const target = (spec: string) => relative(REPO_ROOT, resolve(dirname(file), spec)).replace(/\.js$/, ".ts");
      const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
      for (const node of source.statements) {
        if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
          const spec = node.moduleSpecifier.text;
          if (spec.startsWith(".")) edges.push({ from, to: target(spec), typeOnly: isTypeOnly(node) });
        }
      }
      for (const m of text.matchAll(/import\(\s*["'](\.[^"']+)["']\s*\)/g)) edges.push({ from, to: target(m[1]!), typeOnly: true });
    }
  }
  return edges;
}

function cyclesOf(edges: readonly Edge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const e of edges) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
  const state = new Map<string, "open" | "done">();
  const cycles: string[][] = [];
  const visit = (file: string, stack: string[]): void => {
    state.set(file, "open");
    stack.push(file);
    for (const dep of graph.get(file) ?? []) {
      if (state.get(dep) === "open") cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
      else if (state.get(dep) === undefined) visit(dep, stack);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (state.get(file) === undefined) visit(file, []);
  return cycles;
}

const edges = importEdges();
const inFolder = (file: string, folder: string) => file.startsWith(folder + "/");
const folderOf = (file: string) => file.split("/")[0]!;

describe("source layering", () => {
  it("reads a real graph (the checks cannot pass on an empty one)", () => {
    expect(new Set(edges.map((e) => e.from)).size).toBeGreaterThan(50);
    expect(edges).toContainEqual({ from: "worker/index.ts", to: "durable/index.ts", typeOnly: false });
    expect(edges).toContainEqual({ from: "worker/env.ts", to: "durable/index.ts", typeOnly: true });
  });

  it("has no import cycles at runtime", () => {
    expect(cyclesOf(edges.filter((e) => !e.typeOnly)).map((c) => c.join(" -> "))).toEqual([]);
  });

  it("has no cycles across folders, type-only imports included (worker/env.ts <-> durable/ was one)", () => {
    const crossing = cyclesOf(edges).filter((c) => new Set(c.map(folderOf)).size > 1);
    expect(crossing.map((c) => c.join(" -> "))).toEqual([]);
  });

  it("durable/ never imports worker/", () => {
    expect(edges.filter((e) => inFolder(e.from, "durable") && inFolder(e.to, "worker"))).toEqual([]);
  });

  it("worker/ imports only durable/'s public entry", () => {
    expect(edges.filter((e) => inFolder(e.from, "worker") && inFolder(e.to, "durable") && e.to !== "durable/index.ts")).toEqual([]);
  });

  it("the shared folders depend only on what they document", () => {
    const allowed: Record<string, string[]> = {
      schemas: ["schemas", "revtree/canonical-json.ts"], // the schema version hashes canonical JSON
      revtree: ["revtree", "schemas"],
      "origin-client": ["origin-client", "schemas"],
      auth: ["auth", "schemas"],
    };
    const stray = edges.filter((e) => {
      const folder = Object.keys(allowed).find((f) => inFolder(e.from, f));
      return folder !== undefined && !allowed[folder]!.some((ok) => e.to === ok || inFolder(e.to, ok));
    });
    expect(stray).toEqual([]);
  });

  it("one dependency style per layer: only the entry points and handlers/ take ObjectContext", () => {
    // writes/, storage/ and origin/ take explicit deps (WriteDeps, DrainDeps, ...) or a SqlStorage.
    const users = edges.filter((e) => e.to === "durable/object-context.ts").map((e) => e.from);
    expect(users).toContain("durable/handlers/push.ts");
    const entryLayer = (file: string) => /^durable\/[^/]+\.ts$/.test(file) || inFolder(file, "durable/handlers");
    expect(users.filter((file) => !entryLayer(file))).toEqual([]);
  });

  it("only the write step opens a transaction for client or origin writes", () => {
    // Besides runWrite: schema migrations and the data-source reset, which are not writes of rows.
    const allowed = new Set(["durable/writes/run.ts", "durable/storage/migrations.ts", "durable/storage/data-source.ts"]);
    const callers = sourceFiles(join(REPO_ROOT, "durable"))
      .filter((file) => /\.transactionSync\(|\.writes\.run\(/.test(readFileSync(file, "utf8")))
      .map((file) => relative(REPO_ROOT, file));
    expect(callers).toContain("durable/writes/run.ts");
    expect(callers.filter((file) => !allowed.has(file))).toEqual([]);
  });

  it("only attachment.ts touches socket attachments (its in-memory copy stays equal to them)", () => {
    const callers = [...SOURCE_DIRS.flatMap((dir) => sourceFiles(join(REPO_ROOT, dir)))]
      .filter((file) => /\.(serialize|deserialize)Attachment\(/.test(readFileSync(file, "utf8")))
      .map((file) => relative(REPO_ROOT, file));
    expect(callers).toEqual(["durable/attachment.ts"]);
  });
});
