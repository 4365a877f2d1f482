/** The demo's own messages between the page and its replica Worker (next to @djazzkit/core's). */
import type { SchemaMismatchInfo } from "@djazzkit/core";

export type PageToDemo =
  | { demo: "offline"; offline: boolean }
  | { demo: "schema_choice"; choice: "reset" | "migrate" };

export type DemoToPage = { demo: "schema_mismatch"; info: SchemaMismatchInfo };
