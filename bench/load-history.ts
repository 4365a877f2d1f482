/**
 * What the load test observed: every acked mutation per user (the latest acked revision of each
 * row), push ack latencies, frame counts per phase, close/reconnect events and every violation.
 * The checker (load-check.ts) compares the clients' stores against it.
 */
import type { ChangeRow, MutationResult, RowData } from "../client/index.js";

export type Phase = "connect" | "steady" | "recovery" | "verify";

export interface AckedWrite {
  model: string;
  row_id: string;
  mutation_id: string;
  rev: string;
  gen: number;
  /** The fields this mutation wrote; the row's winner at `rev` must hold them. */
  patch: RowData;
}

export const genOf = (rev: string): number => Number(rev.slice(0, rev.indexOf("-")));
export const rowKey = (model: string, rowId: string): string => `${model}\u0000${rowId}`;

const MAX_MESSAGES = 40;

export class History {
  phase: Phase = "connect";
  /** Per user: row key -> the acked write with the highest generation. */
  readonly latest = new Map<number, Map<string, AckedWrite>>();
  /** row_id -> the user whose client created it (registered before the create is sent). */
  readonly rowOwner = new Map<string, number>();
  readonly ackLatencyMs: number[] = [];
  /** When each latency was measured (performance.now()), to see warm-up apart from steady state. */
  readonly ackAt: number[] = [];
  acked = 0;
  duplicates = 0;
  writesMade = 0;
  readonly framesIn = new Map<Phase, number>();
  readonly framesOut = new Map<Phase, number>();
  /** `error` frames from the relay, and client-side error events (socket errors, timeouts). */
  readonly relayErrors = new Map<string, number>();
  readonly clientErrors = new Map<string, number>();
  /** From the write call to its result (includes waiting in the client's outbox). */
  readonly writeLatencyMs: number[] = [];
  /** Socket closes before the deploy (there should be none), by close code. */
  closesBeforeDrop = 0;
  readonly closeCodesBeforeDrop = new Map<string, number>();
  readonly violations = new Map<string, number>();
  readonly messages: string[] = [];

  frameIn(): void {
    this.framesIn.set(this.phase, (this.framesIn.get(this.phase) ?? 0) + 1);
  }

  frameOut(): void {
    this.framesOut.set(this.phase, (this.framesOut.get(this.phase) ?? 0) + 1);
  }

  relayError(code: string): void {
    this.relayErrors.set(code, (this.relayErrors.get(code) ?? 0) + 1);
  }

  clientError(code: string): void {
    this.clientErrors.set(code, (this.clientErrors.get(code) ?? 0) + 1);
  }

  violation(kind: string, message: string): void {
    this.violations.set(kind, (this.violations.get(kind) ?? 0) + 1);
    if (this.messages.length < MAX_MESSAGES) this.messages.push(`${kind}: ${message}`);
  }

  get violationCount(): number {
    let n = 0;
    for (const c of this.violations.values()) n += c;
    return n;
  }

  /** A write's result arrived (`applied`, possibly `duplicate` after a re-send). */
  recordResult(user: number, write: Omit<AckedWrite, "rev" | "gen">, result: MutationResult): void {
    if (result.status !== "applied" || result.rev === undefined) {
      this.violation("rejected", `user ${user} ${write.model} ${write.row_id} ${write.mutation_id}: ${result.status} ${result.code ?? ""} ${result.message ?? ""}`);
      return;
    }
    this.acked++;
    if (result.duplicate) this.duplicates++;
    const gen = genOf(result.rev);
    let rows = this.latest.get(user);
    if (!rows) this.latest.set(user, (rows = new Map()));
    const key = rowKey(write.model, write.row_id);
    const prev = rows.get(key);
    if (prev !== undefined && prev.gen === gen && prev.rev !== result.rev) {
      this.violation("fork", `user ${user} ${key.replace("\u0000", " ")}: two acked revisions of gen ${gen}: ${prev.rev} (${prev.mutation_id}) and ${result.rev} (${write.mutation_id})`);
    }
    if (prev === undefined || gen > prev.gen) rows.set(key, { ...write, rev: result.rev, gen });
  }

  /** A `changes` frame reached a socket of `user`: every row must be one of that user's. */
  checkDelivery(user: number, rows: readonly ChangeRow[]): void {
    for (const row of rows) {
      const owner = this.rowOwner.get(row.row_id);
      if (owner !== user) {
        this.violation("cross_user", `a socket of user ${user} received ${row.model} ${row.row_id} created by ${owner === undefined ? "nobody we know" : `user ${owner}`}`);
        continue;
      }
      const field = row.model === "notes.Task" ? "owner" : "author";
      if (row.data !== null && row.data[field] !== user) {
        this.violation("cross_user", `a socket of user ${user} received ${row.model} ${row.row_id} with ${field}=${JSON.stringify(row.data[field])}`);
      }
    }
  }
}
