/**
 * The object has one alarm (a Durable Object can set only one), and several kinds of work fall
 * due on it: the outbox drain and the schema re-check (origin/backed-link.ts), and
 * the credential deadlines of open sockets (credential-watch.ts). Each computes its own earliest
 * due time; whoever arms passes the minimum of all of them here, so no kind of work ever pushes
 * another one's alarm later. Alarms are stored with the object: they fire after hibernation and
 * eviction, which is why deadlines live here and not in timers.
 */

/** An alarm this far in the past that has not fired is re-set (a local runtime restarted without it). */
const STALE_ALARM_MS = 1000;

/**
 * Set the alarm to `dueMs` unless one at least as early is already set. Inside `alarm()` the
 * alarm being handled is spent, so `fromAlarm` always sets the next one. `Infinity`: nothing due.
 */
export async function armAlarm(ctx: DurableObjectState, dueMs: number, fromAlarm = false): Promise<void> {
  if (dueMs === Infinity) return;
  const now = Date.now();
  const current = fromAlarm ? null : await ctx.storage.getAlarm();
  if (current === null || current > dueMs || current < now - STALE_ALARM_MS) await ctx.storage.setAlarm(dueMs);
}
