/**
 * The layering the README and docs/ARCHITECTURE.md describe, checked on the source: no import
 * cycles (type-only imports included), `durable/` never imports `worker/`, `worker/` reaches
 * `durable/` only through its entry `durable/index.ts`, and the shared folders depend only on
 * what they say they do. Imports are read with TypeScript's own pre-processor.
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

/** repo-relative file -> repo-relative files it imports (relative specifiers only). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const dir of SOURCE_DIRS) {
    for (const file of sourceFiles(join(REPO_ROOT, dir))) {
      const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
      const deps = info.importedFiles
        .map((f) => f.fileName)
        .filter((spec) => spec.startsWith("."))
        .map((spec) => relative(REPO_ROOT, resolve(dirname(file), spec)).replace(/\.js$/, ".ts"));
      graph.set(relative(REPO_ROOT, file), deps);
    }
  }
  return graph;
}

const graph = importGraph();
const edges = [...graph].flatMap(([from, deps]) => deps.map((to) => ({ from, to })));
const inFolder = (file: string, folder: string) => file.startsWith(folder + "/");

describe("source layering", () => {
  it("reads a real graph (the check cannot pass on an empty one)", () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(edges.some((e) => e.from === "worker/index.ts" && e.to === "durable/index.ts")).toBe(true);
  });

  it("has no import cycles, type-only imports included", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[][] = [];
    const visit = (file: string, stack: string[]): void => {
      state.set(file, "open");
      stack.push(file);
      for (const dep of graph.get(file) ?? []) {
        if (!graph.has(dep)) continue;
        if (state.get(dep) === "open") cycles.push([...stack.slice(stack.indexOf(dep)), dep]);
        else if (state.get(dep) === undefined) visit(dep, stack);
      }
      stack.pop();
      state.set(file, "done");
    };
    for (const file of graph.keys()) if (state.get(file) === undefined) visit(file, []);
    expect(cycles.map((c) => c.join(" -> "))).toEqual([]);
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
});
