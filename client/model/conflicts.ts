/**
 * The conflict view of a `revision_tree` row: what `Model.conflict(row)` returns. The row keeps
 * serving the deterministic winner; losing versions stay in `_conflicts` until a resolution.
 */
import type { ModelSpec } from "../../schemas/manifest.js";
import type { ConflictVersion } from "./backend.js";

/** One version of a row: its revision id and body (`deleted` for a deleted leaf). */
export interface Version<F> {
  rev: string;
  data: F;
  deleted?: boolean;
}

export interface ConflictView<F> {
  /** The losing leaves (empty when the row has no conflict). */
  readonly _conflicts: Version<F>[];
  /** True when there is something to resolve. */
  readonly hasConflicts: boolean;
  /** Resolve with `resolvedData` laid over the winner (a `Version`'s data picks that version). */
  resolveConflict(resolvedData: Partial<F>): Promise<void>;
}

export function conflictView<F>(
  spec: ModelSpec,
  conflicts: readonly ConflictVersion[],
  resolve: (data: Partial<F>) => Promise<void>,
): ConflictView<F> {
  const versions = conflicts.map((c) => ({ ...c, data: fieldsOnly(spec, c.data) as F }));
  return {
    _conflicts: versions,
    hasConflicts: versions.length > 0,
    resolveConflict: (resolvedData) => resolve(resolvedData),
  };
}

/** The manifest fields of a body (bookkeeping and unknown keys left out). */
export function fieldsOnly(spec: ModelSpec, data: Readonly<Record<string, unknown>> | null | undefined): Record<string, unknown> {
  if (data === null || data === undefined) return {};
  return Object.fromEntries(Object.keys(spec.fields).filter((f) => Object.hasOwn(data, f)).map((f) => [f, data[f]]));
}
