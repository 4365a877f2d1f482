/**
 * The revision-tree library: CouchDB-style revision trees over a flat node list (grammar at
 * the top of `merge.ts`). Pure TypeScript with no runtime bindings (only the WebCrypto
 * global), shared by the Durable Object and the client SDK. One algorithm per file.
 */
export type { LeafRef, RevNode, RowData } from "./types.js";
export { canonicalJson } from "./canonical-json.js";
export { isRev, parseRev, type ParsedRev } from "./parse-rev.js";
export { revisionId } from "./rev-id.js";
export { compareRevs } from "./compare-revs.js";
export { winningRev } from "./winning-rev.js";
export { collectConflicts } from "./collect-conflicts.js";
export { findLeaves } from "./find-leaves.js";
export { mergeRevision, type MergeOutcome, type MergeResult } from "./merge.js";
export { stem, type StemResult } from "./stem.js";
export { planResolution } from "./resolve.js";
