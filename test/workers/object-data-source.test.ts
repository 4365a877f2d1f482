/**
 * Issue 8 item 8: an object remembers where its data came from. Rows written while the relay
 * ran standalone were served after it was switched to a Django origin (and editing one quietly
 * created it in Django). Now a change of data source drops the old source's copy and starts a
 * new epoch, so every client's next catch-up starts with `reset: true`.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { adoptDataSource, DATA_SOURCE_KEY, dataSourceOf } from "../../durable/storage/data-source.js";
import { Client, newUser, note, uuid } from "../support/workers/object-client.js";

const ORIGIN = "origin:https://django.example/djazzkit/relay/";
const stubOf = (user: string) => env.USER_OBJECT.get(env.USER_OBJECT.idFromName(`user:${user}`));

async function standaloneRow(user: string): Promise<{ cursor: string; row: string }> {
  const c = await Client.forUser(user);
  await c.syncStart();
  const row = uuid();
  expect((await c.push([note(row)])).results[0]!.status).toBe("applied");
  const live = await c.takeWhere("changes", (f) => f.rows.some((r: { row_id: string }) => r.row_id === row));
  c.close();
  return { cursor: live.cursor as string, row };
}

describe("data source epochs", () => {
  it("names the source from the settings", () => {
    expect(dataSourceOf({ DJAZZKIT_ORIGIN_PREFIX: "/djazzkit/relay/" })).toBe("standalone");
    expect(dataSourceOf({ DJAZZKIT_ORIGIN_URL: "https://django.example/", DJAZZKIT_ORIGIN_PREFIX: "/djazzkit/relay/" })).toBe(ORIGIN);
  });

  it("standalone -> origin: the standalone rows are gone, a new epoch, and an old cursor resyncs with reset: true", async () => {
    const user = newUser();
    const { cursor, row } = await standaloneRow(user);
    const outcome = await runInDurableObject(stubOf(user), async (_obj, state) => {
      const sql = state.storage.sql;
      const before = sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'epoch'`).one().value;
      expect(sql.exec<{ v: string }>(`SELECT value AS v FROM meta WHERE key = ?`, DATA_SOURCE_KEY).one().v).toBe("standalone");
      const changed = adoptDataSource(state.storage, ORIGIN);
      const after = sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'epoch'`).one().value;
      const counts = ["rows", "revisions", "mutations"].map((t) => sql.exec<{ n: number }>(`SELECT count(*) AS n FROM ${t}`).one().n);
      const owner = sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'owner'`).toArray().length;
      return { changed, before, after, counts, owner, again: adoptDataSource(state.storage, ORIGIN) };
    });
    expect(outcome.changed).toBe(true);
    expect(outcome.after).not.toBe(outcome.before);
    expect(outcome.counts).toEqual([0, 0, 0]);
    expect(outcome.owner).toBe(1); // the object still belongs to its user
    expect(outcome.again).toBe(false); // the same source again changes nothing

    const c = await Client.forUser(user);
    const { changes, ready } = await c.syncStart(cursor);
    expect(changes[0]).toMatchObject({ type: "changes", reset: true });
    expect(changes.flatMap((f) => f.rows).some((r: { row_id: string }) => r.row_id === row)).toBe(false);
    expect(String(ready.cursor).split(":")[0]).toBe(outcome.after);
    c.close();
  });

  it("an object from before the rule (no recorded source) with rows counts as standalone", async () => {
    const user = newUser();
    await standaloneRow(user);
    const outcome = await runInDurableObject(stubOf(user), async (_obj, state) => {
      state.storage.sql.exec(`DELETE FROM meta WHERE key = ?`, DATA_SOURCE_KEY);
      const sameSource = adoptDataSource(state.storage, "standalone");
      state.storage.sql.exec(`DELETE FROM meta WHERE key = ?`, DATA_SOURCE_KEY);
      const toOrigin = adoptDataSource(state.storage, ORIGIN);
      return { sameSource, toOrigin };
    });
    expect(outcome).toEqual({ sameSource: false, toOrigin: true });
  });

  it("one origin to another also starts a new epoch", async () => {
    const user = newUser();
    await standaloneRow(user);
    const changed = await runInDurableObject(stubOf(user), async (_obj, state) => {
      adoptDataSource(state.storage, ORIGIN);
      return adoptDataSource(state.storage, "origin:https://other.example/djazzkit/relay/");
    });
    expect(changed).toBe(true);
  });
});
