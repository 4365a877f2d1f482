/**
 * The history of one seed's run, Jepsen style: every push sent, every ack (`push_result`),
 * confirmation, rejection and delivered change row, per client, with a timestamp relative to
 * the start of the run; plus the faults injected (network, origin, restarts). The checker
 * reads it; a failing seed prints its tail.
 */
export type EventKind =
  | "op" // the workload asked the client for a write
  | "push" // a push/resolve frame went out
  | "ack" // one result of a push_result
  | "confirmed"
  | "rejected"
  | "change" // one row of a `changes` frame
  | "reset" // a `changes` frame with reset: true
  | "ready"
  | "close"
  | "fault" // network / origin / restart
  | "django" // an edit made through Django's ORM (test/sim/django-edits.ts)
  | "token" // getToken() minted a short-lived token (`expires_in_s`) for the next socket
  | "note";

export interface HistoryEvent {
  t: number;
  client: string; // client name, or "sim" for harness events
  kind: EventKind;
  [key: string]: unknown;
}

export class History {
  readonly events: HistoryEvent[] = [];
  readonly #start = Date.now();

  add(client: string, kind: EventKind, fields: Record<string, unknown> = {}): void {
    this.events.push({ t: Date.now() - this.#start, client, kind, ...fields });
  }

  of(kind: EventKind, client?: string): HistoryEvent[] {
    return this.events.filter((e) => e.kind === kind && (client === undefined || e.client === client));
  }

  /** The last `n` events, one line each. */
  tail(n = 60): string {
    return n <= 0 ? "" : this.events.slice(-n).map(format).join("\n");
  }
}

export function format(e: HistoryEvent): string {
  const { t, client, kind, ...rest } = e;
  return `${String(t).padStart(6)}ms ${client.padEnd(8)} ${kind.padEnd(9)} ${JSON.stringify(rest)}`;
}
