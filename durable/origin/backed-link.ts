/**
 * The object's link to a Django origin (DJAZZKIT_ORIGIN_URL set): the `OriginLink` seam of
 * `origin/link.ts` filled in with the outbox (`outbox.ts`, drained by `drain.ts`), poke and
 * pull (`pull.ts`), the resolver (`resolver.ts`) and forwarded queries and RPCs.
 *
 * The object's single alarm drives two things: the outbox drain (due when pacing.ts says: now
 * on an idle object or with a full batch waiting, else DJAZZKIT_OUTBOX_MIN_INTERVAL_MS after
 * the last drain ended, and never before the backoff's retry time) and, while sockets are
 * open, the schema re-check every DJAZZKIT_SCHEMA_TTL_S. `arm()` sets it to the earliest of
 * those and the object's other work (credential deadlines). Alarms are stored with the object,
 * so a drain that was due when the object was evicted still happens.
 *
 * Pulls: on first use (hydration), on `poke()`, on a sync_start when the last pull is older
 * than DJAZZKIT_SCHEMA_TTL_S (so a lost poke delays a change by at most that, never loses it),
 * and on the first sync_start of each object instance that has not pulled yet: pokes sent
 * while the object was down (a deploy, a restart, an eviction) failed at Django, which gives up
 * after its retries, and the clients that reconnect right after would otherwise wait for the
 * idle threshold (sim seeds 18 and 74). One pull at a time; a poke arriving during a pull runs
 * one more pull after it.
 * A pull that fails (origin down, slow, 5xx) is transient: the alarm pulls again after the
 * outbox's backoff (DJAZZKIT_OUTBOX_BACKOFF_BASE_MS doubling up to ..._MAX_MS), kept in `meta`
 * so it survives eviction, until one succeeds. Django answered its poke 200 already, so nobody
 * else would retry it: without this a Django edit waited for a reconnect after an idle period.
 */
import type { Settings } from "../../schemas/config.js";
import type { Identity } from "../../schemas/identity.js";
import type { BoundedQuery } from "../../schemas/query.js";
import type { QueryOutcome, RpcOutcome, WireError } from "../../schemas/contract.js";
import type { AppliedWrite, OriginLink } from "./link.js";
import type { WriteQueue } from "../writes/queue.js";
import { OriginClient, OriginError } from "../../origin-client/client.js";
import { armAlarm } from "../alarm.js";
import { drainOutbox, retryAtMs } from "./drain.js";
import { OriginManifestSource } from "./origin-manifest.js";
import { enqueueWrites, outboxFill } from "./outbox.js";
import { drainDueMs } from "./pacing.js";
import { hasPulled, lastPullMs, pullFromOrigin } from "./pull.js";
import { getMeta, setMeta } from "../storage/meta.js";

/** `meta` keys of the failed-pull retry: its due time (ms) and the failures so far. */
const PULL_RETRY_AT_KEY = "origin_pull_retry_at";
const PULL_FAILURES_KEY = "origin_pull_failures";
import { resolveRow } from "./resolver.js";
import { rowKey } from "../storage/row-store.js";

/** Earliest re-check interval even with DJAZZKIT_SCHEMA_TTL_S = 0 (no busy alarm loop). */
const MIN_SCHEMA_RECHECK_MS = 1000;

export function originClientFor(settings: Settings): OriginClient {
  return new OriginClient({
    baseUrl: settings.DJAZZKIT_ORIGIN_URL!,
    prefix: settings.DJAZZKIT_ORIGIN_PREFIX,
    secret: settings.DJAZZKIT_RELAY_SECRET ?? "",
    timeoutMs: settings.DJAZZKIT_ORIGIN_TIMEOUT_MS,
  });
}

export function wireError(err: unknown): WireError {
  if (err instanceof OriginError) return { code: err.code, message: err.message };
  return { code: "internal", message: "internal error" };
}

export class OriginBackedLink implements OriginLink {
  readonly remote = true;
  readonly manifests: OriginManifestSource;
  /** Rows a committed write may have left in conflict (checked against the resolver in afterCommit). */
  #maybeConflicted = new Map<string, { model: string; row_id: string }>();
  #pulling: Promise<void> | undefined;
  #pullAgain = false;
  /** A pull succeeded in this instance: whatever was poked before it started has been fetched. */
  #pulledHere = false;
  /** When this instance's last outbox drain ended (its start while one runs; pacing.ts); null: none yet. */
  #lastDrainMs: number | null = null;
  /** The object's other work on the shared alarm (credential deadlines); composed in arm(). */
  otherDueMs: () => number = () => Infinity;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly settings: Settings,
    private readonly writes: WriteQueue,
    private readonly client: OriginClient = originClientFor(settings),
  ) {
    this.manifests = new OriginManifestSource(ctx, client, settings.DJAZZKIT_SCHEMA_TTL_S);
  }

  recordWrites(sql: SqlStorage, writes: readonly AppliedWrite[]): void {
    enqueueWrites(sql, writes);
    for (const w of writes) {
      if (w.winner.conflicts.length > 0) this.#maybeConflicted.set(rowKey(w.model, w.row_id), { model: w.model, row_id: w.row_id });
    }
  }

  async afterCommit(): Promise<void> {
    try {
      await this.arm();
      await this.#resolveConflicted();
    } catch (err) {
      console.error("OriginBackedLink.afterCommit", err);
    }
  }

  #noteConflicted(model: string, rowId: string): void {
    this.#maybeConflicted.set(rowKey(model, rowId), { model, row_id: rowId });
  }

  /** Ask the origin's resolver about rows a write, a pull or a drain left in conflict. */
  async #resolveConflicted(): Promise<void> {
    if (this.#maybeConflicted.size === 0) return;
    const rows = [...this.#maybeConflicted.values()];
    this.#maybeConflicted.clear();
    const manifest = await this.manifests.current();
    let resolved = false;
    for (const r of rows) {
      if (await resolveRow({ ctx: this.ctx, client: this.client, writes: this.writes, link: this, revsLimit: this.settings.DJAZZKIT_REVS_LIMIT }, manifest, r.model, r.row_id)) {
        resolved = true;
      }
    }
    if (resolved) await this.arm();
  }

  /**
   * First use: hydrate before the catch-up, so the client's first sync has the rows. Idle: pull
   * in the background, so a slow origin never delays a sync_start; what it brings is broadcast
   * (the socket is live by then, or the rows are in its catch-up: both run in one synchronous
   * step with respect to each other).
   */
  async beforeCatchUp(): Promise<void> {
    const sql = this.ctx.storage.sql;
    const idleMs = this.settings.DJAZZKIT_SCHEMA_TTL_S * 1000;
    if (!hasPulled(sql)) await this.pull("hydration");
    else if (!this.#pulledHere) void this.pull("first sync start of this instance");
    else if (Date.now() - lastPullMs(sql) >= idleMs) void this.pull("sync start after idle");
    await this.arm();
  }

  async poke(): Promise<void> {
    await this.pull("poke");
  }

  /** One pull at a time; a request during a pull runs one more after it. Never throws. */
  async pull(reason: string): Promise<void> {
    if (this.#pulling !== undefined) {
      this.#pullAgain = true;
      return this.#pulling;
    }
    this.#pulling = (async () => {
      do {
        this.#pullAgain = false;
        try {
          await pullFromOrigin({
            ctx: this.ctx,
            client: this.client,
            writes: this.writes,
            manifest: () => this.manifests.current(),
            revsLimit: this.settings.DJAZZKIT_REVS_LIMIT,
            conflicted: (model, rowId) => this.#noteConflicted(model, rowId),
          });
          this.#pullSucceeded();
          this.#pulledHere = true;
          await this.#resolveConflicted();
        } catch (err) {
          console.error(`pull (${reason}) failed; retried by the alarm with backoff`, err instanceof Error ? err.message : err);
          await this.#pullFailed();
          break;
        }
      } while (this.#pullAgain);
    })().finally(() => {
      this.#pulling = undefined;
    });
    return this.#pulling;
  }

  #pullSucceeded(): void {
    const sql = this.ctx.storage.sql;
    if (getMeta(sql, PULL_RETRY_AT_KEY) !== null) sql.exec(`DELETE FROM meta WHERE key IN (?, ?)`, PULL_RETRY_AT_KEY, PULL_FAILURES_KEY);
  }

  async #pullFailed(): Promise<void> {
    try {
      const sql = this.ctx.storage.sql;
      const failures = Number(getMeta(sql, PULL_FAILURES_KEY) ?? "0") + 1;
      const delay = Math.min(this.settings.DJAZZKIT_OUTBOX_BACKOFF_MAX_MS, this.settings.DJAZZKIT_OUTBOX_BACKOFF_BASE_MS * 2 ** Math.min(failures - 1, 30));
      setMeta(sql, PULL_FAILURES_KEY, String(failures));
      setMeta(sql, PULL_RETRY_AT_KEY, String(Date.now() + delay));
      await this.arm();
    } catch (err) {
      console.error("OriginBackedLink.pullFailed", err);
    }
  }

  /** When a failed pull is due again (Infinity when none failed). */
  #pullRetryAtMs(): number {
    const at = getMeta(this.ctx.storage.sql, PULL_RETRY_AT_KEY);
    return at === null ? Infinity : Number(at);
  }

  async remoteQuery(identity: Identity, query: BoundedQuery): Promise<QueryOutcome> {
    try {
      const answer = await this.client.query(identity.user_id, query);
      return answer.total === undefined ? { ok: true, rows: answer.rows } : { ok: true, rows: answer.rows, total: answer.total };
    } catch (err) {
      if (!(err instanceof OriginError)) console.error("OriginBackedLink.remoteQuery", err);
      return { ok: false, error: wireError(err) };
    }
  }

  async rpc(identity: Identity, name: string, args: unknown): Promise<RpcOutcome> {
    try {
      return { ok: true, result: await this.client.rpc(identity.user_id, name, args) };
    } catch (err) {
      if (!(err instanceof OriginError)) console.error("OriginBackedLink.rpc", err);
      return { ok: false, error: wireError(err) };
    }
  }

  async alarm(): Promise<void> {
    try {
      if (this.ctx.getWebSockets().length > 0 && Date.now() >= this.manifests.freshUntilMs()) {
        await this.manifests.refresh().catch((err: unknown) => console.error("schema re-check failed", err instanceof Error ? err.message : err));
      }
      if (Date.now() >= this.#drainDueMs()) {
        // While the run is in flight, writes that commit arm for one interval after its start;
        // the interval then counts from its end (pacing.ts).
        this.#lastDrainMs = Date.now();
        const out = await drainOutbox({ ctx: this.ctx, settings: this.settings, client: this.client, writes: this.writes }).finally(() => {
          this.#lastDrainMs = Date.now();
        });
        for (const r of out.conflicted ?? []) this.#noteConflicted(r.model, r.row_id);
        await this.#resolveConflicted().catch((err: unknown) => console.error("resolver after drain", err));
        if (out.pull === true) await this.pull("after the outbox settled writes a pull skipped rows for");
      }
      if (Date.now() >= this.#pullRetryAtMs()) await this.pull("retry after a failed pull");
    } catch (err) {
      console.error("OriginBackedLink.alarm", err);
    }
    await this.arm(true);
  }

  /** When the outbox should be drained next (pacing.ts); Infinity when it is empty. */
  #drainDueMs(now = Date.now()): number {
    const sql = this.ctx.storage.sql;
    const fill = outboxFill(sql, this.settings.DJAZZKIT_OUTBOX_BATCH, this.settings.DJAZZKIT_OUTBOX_BATCH_BYTES);
    if (fill.size === 0) return Infinity;
    return drainDueMs({ nowMs: now, lastDrainMs: this.#lastDrainMs, intervalMs: this.settings.DJAZZKIT_OUTBOX_MIN_INTERVAL_MS, retryAtMs: retryAtMs(sql), full: fill.full });
  }

  /** Set the alarm to the earliest due work (outbox drain, schema re-check); never later than one already set. */
  async arm(fromAlarm = false): Promise<void> {
    try {
      const now = Date.now();
      let due = Math.min(this.otherDueMs(), this.#drainDueMs(now));
      due = Math.min(due, Math.max(now, this.#pullRetryAtMs()));
      if (this.ctx.getWebSockets().length > 0) {
        due = Math.min(due, Math.max(this.manifests.freshUntilMs(), now + MIN_SCHEMA_RECHECK_MS));
      }
      await armAlarm(this.ctx, due, fromAlarm);
    } catch (err) {
      console.error("OriginBackedLink.arm", err);
    }
  }
}
