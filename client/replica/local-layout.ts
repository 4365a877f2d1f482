/**
 * The replica's side of the shared query compiler (durable/storage/query-sql.ts): one table per model,
 * typed columns. Comparisons read the column directly; a `json` column holds JSON text and is
 * read through json_extract(col, '$') so it compares exactly as json_extract(data, '$.f') does
 * on the relay; decimals are compared as REAL as on the relay.
 */
import type { ModelSpec } from "../../schemas/manifest.js";
import type { Column, QueryLayout } from "../../durable/storage/query-sql.js";
import { quoteIdent } from "./replica-schema.js";

const BOOKKEEPING: Record<string, Column> = {
  _djazzkit_id: { expr: "_djazzkit_id", params: [], kind: "uuid" },
  _djazzkit_rev: { expr: "_djazzkit_rev", params: [], kind: "number" },
  _djazzkit_updated_at: { expr: "_djazzkit_updated_at", params: [], kind: "text" },
  _djazzkit_deleted: { expr: "_djazzkit_deleted", params: [], kind: "boolean" },
};

export function localLayout(table: string): QueryLayout {
  return {
    from: () => quoteIdent(table),
    base: () => ({ sql: "_djazzkit_deleted = 0", params: [] }),
    select: "*",
    idColumn: "_djazzkit_id",
    column: (field: string, spec: ModelSpec): Column | undefined => {
      if (Object.hasOwn(BOOKKEEPING, field)) return BOOKKEEPING[field];
      if (!Object.hasOwn(spec.fields, field)) return undefined;
      const col = quoteIdent(field);
      switch (spec.fields[field]!.type) {
        case "string": case "date": case "datetime":
          return { expr: col, params: [], kind: "text" };
        case "uuid":
          return { expr: col, params: [], kind: "uuid" };
        case "integer": case "float":
          return { expr: col, params: [], kind: "number" };
        case "decimal":
          return { expr: `CAST(${col} AS REAL)`, params: [], kind: "number" };
        case "boolean":
          return { expr: col, params: [], kind: "boolean" };
        case "json":
          return { expr: `json_extract(${col}, '$')`, params: [], kind: "json" };
      }
    },
  };
}
