/**
 * Django-side edits (issue 14): random creates, updates and deletes made through Django's ORM
 * (the sample's `POST /sample/orm-write` hook, the same steps as `manage.py djazzkit_save`)
 * on the rows the seed's clients are writing, while they write them, including during origin
 * outages (the fault proxy sits between relay and Django only: Django keeps serving its own
 * code). Each edit gets a Django revision and a poke; the checker's convergence rule then
 * demands that clients, object and origin agree, for revision_tree with both branches kept.
 */
import type { DjangoHandle } from "../support/django.js";
import { ormWrite } from "../support/sample-hooks.js";
import type { History } from "./history.js";
import type { Prng } from "./prng.js";
import type { SimClient } from "./sim-client.js";
import { NOTE, TASK } from "./workload.js";

const WORDS = ["admin", "job", "import", "fix", "cron", "staff"];

/** One random ORM edit on a row of a random client's user; resolves when Django answered. */
export async function djangoOp(rng: Prng, django: DjangoHandle, clients: SimClient[], history: History): Promise<void> {
  const c = rng.pick(clients);
  const rows = c.rows().filter((r) => !r.deleted && (r.model === NOTE || r.model === TASK));
  const roll = rng.next();
  let write: Parameters<typeof ormWrite>[1];
  let kind: string;
  if (rows.length === 0 || roll < 0.25) {
    const model = rng.chance(0.7) ? NOTE : TASK;
    const data = model === NOTE
      ? { title: `${rng.pick(WORDS)} ${rng.int(0, 999)}`, body: rng.pick(WORDS), archived: false, tags: rng.chance(0.7) ? ["manual"] : null }
      : { title: rng.pick(WORDS), done: rng.chance(0.5), due: null };
    // Like the clients' row ids, drawn from a stream of the (fresh per run) user: a seed that
    // runs twice against one Django (the regression seeds also run in their batch) must not
    // "create" the first run's row again, which would move that row to this run's user.
    write = { model, row_id: rng.fork(`uuid-${c.userId}`).uuid(), user: c.userId, data, create: true };
    kind = "create";
  } else {
    const row = rng.pick(rows);
    if (roll < 0.8) {
      const data = row.model === NOTE
        ? (rng.chance(0.5) ? { title: `${rng.pick(WORDS)} ${rng.int(0, 999)}` } : { body: rng.pick(WORDS), priority: rng.int(0, 5) })
        : (rng.chance(0.5) ? { done: rng.chance(0.5) } : { title: rng.pick(WORDS) });
      write = { model: row.model, row_id: row.row_id, data };
      kind = "update";
    } else {
      write = { model: row.model, row_id: row.row_id, delete: true };
      kind = "delete";
    }
  }
  history.add("django", "django", { op: kind, model: write.model, row_id: write.row_id, for: c.userId });
  try {
    const r = await ormWrite(django, write);
    history.add("django", "django", { op: `${kind} answered`, model: write.model, row_id: write.row_id, status: r.status, rev: r.body["rev"] ?? null });
  } catch (err) {
    history.add("django", "django", { op: `${kind} failed`, model: write.model, row_id: write.row_id, error: String(err) });
  }
}
