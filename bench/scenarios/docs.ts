/** The documents both sides write (issue 12: "the same documents"): one shape per conflict mode. */
import { randomUUID } from "node:crypto";

export type Mode = "lww" | "revision_tree";
/** The standalone manifest's models: notes.Task is `lww`, notes.Note is `revision_tree`. */
export const MODEL: Record<Mode, string> = { lww: "notes.Task", revision_tree: "notes.Note" };

export function docData(mode: Mode, i: number): Record<string, unknown> {
  return mode === "lww"
    ? { title: `task ${i}: water the plants`, done: i % 3 === 0, due: null }
    : { title: `note ${i}`, body: "Lorem ipsum dolor sit amet, consectetur adipiscing elit.", archived: false, priority: i % 5, tags: ["bench", `t${i % 7}`] };
}

export interface Doc {
  row_id: string;
  data: Record<string, unknown>;
}

export function makeDocs(mode: Mode, n: number, offset = 0): Doc[] {
  return Array.from({ length: n }, (_, i) => ({ row_id: randomUUID(), data: docData(mode, offset + i) }));
}

let mutationSeq = 0;
export function createMutation(mode: Mode, d: Doc): Record<string, unknown> {
  return { mutation_id: `bench:${++mutationSeq}`, model: MODEL[mode], row_id: d.row_id, operation: "create", data: d.data };
}
export function updateMutation(mode: Mode, rowId: string, baseRev: string, data: Record<string, unknown>): Record<string, unknown> {
  return { mutation_id: `bench:${++mutationSeq}`, model: MODEL[mode], row_id: rowId, operation: "update", base_rev: baseRev, data };
}

/** `docs` cut into batches of `batch`. */
export function batches<T>(docs: readonly T[], batch: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < docs.length; i += batch) out.push(docs.slice(i, i + batch));
  return out;
}
