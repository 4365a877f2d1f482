/**
 * Manifest rules the client needs at runtime, kept free of zod so the browser bundle can use
 * them without the schema library (manifest.ts re-exports them for the relay).
 */
import type { ModelSpec } from "./manifest.js";

/** A Django label, "app.Model". */
export const MODEL_LABEL_RE = /^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$/;

/** Bookkeeping fields every synced row carries (DESIGN 2); never declared in the manifest. */
export const BOOKKEEPING_FIELDS = [
  "_djazzkit_id",
  "_djazzkit_rev",
  "_djazzkit_deleted",
  "_djazzkit_updated_at",
] as const;
export type BookkeepingField = (typeof BOOKKEEPING_FIELDS)[number];

/** True when rows of this model live in the user's Durable Object. */
export function isHeldInObject(spec: ModelSpec): boolean {
  return spec.scope === "user" && spec.strategy === "sync" && spec.owner_field !== null;
}
