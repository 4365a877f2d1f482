/** Large catch-ups: frame limits (rows and bytes), completeness, resuming mid-stream. */
import { describe, expect, it, vi } from "vitest";
import { MAX_CHANGES_FRAME_BYTES, MAX_CHANGES_ROWS } from "../../schemas/protocol.js";
import { Client, newUser, task, note, uuid, type FrameOf } from "../support/workers/object-client.js";

vi.setConfig({ testTimeout: 120_000 });

function checkFrames(c: Client, frames: FrameOf<"changes">[]): void {
  for (const f of frames) {
    expect(f.rows.length).toBeLessThanOrEqual(MAX_CHANGES_ROWS);
    expect(c.sizes.get(f)).toBeLessThanOrEqual(MAX_CHANGES_FRAME_BYTES);
  }
  frames.forEach((f, i) => expect(f.more).toBe(i < frames.length - 1));
}

describe("catch-up", () => {
  it("10,000 rows arrive exactly once, in frames of at most 100 rows and 900 KB", async () => {
    const user = newUser();
    const author = await Client.forUser(user);
    const watcher = await Client.forUser(user);
    await watcher.syncStart();
    const ids = new Set<string>();
    for (let p = 0; p < 20; p++) {
      const batch = Array.from({ length: 500 }, (_, i) => {
        const id = uuid();
        ids.add(id);
        return task(id, { title: `task ${p}-${i}` });
      });
      const res = await author.push(batch, 60_000);
      expect(res.results.every((r) => r.status === "applied")).toBe(true);
    }
    // Live broadcasts are split the same way.
    const live: FrameOf<"changes">[] = [];
    while (live.flatMap((f) => f.rows).length < 10_000) live.push(await watcher.takeType("changes", 30_000));
    for (const f of live) {
      expect(f.rows.length).toBeLessThanOrEqual(MAX_CHANGES_ROWS);
      expect(watcher.sizes.get(f)).toBeLessThanOrEqual(MAX_CHANGES_FRAME_BYTES);
    }

    const fresh = await Client.forUser(user);
    const { changes, ready } = await fresh.syncStart();
    checkFrames(fresh, changes);
    expect(changes.length).toBe(100);
    const got = changes.flatMap((f) => f.rows.map((r) => r.row_id as string));
    expect(got.length).toBe(10_000);
    expect(new Set(got)).toEqual(ids);
    expect(changes.at(-1)!.cursor).toBe(ready.cursor);

    // A client cut off after frame 30 resumes from that frame's cursor and gets exactly the rest.
    const resumed = await Client.forUser(user);
    const rest = await resumed.syncStart(changes[29]!.cursor);
    const restIds = rest.changes.flatMap((f) => f.rows.map((r) => r.row_id as string));
    expect(restIds).toEqual(got.slice(30 * 100));
  });

  it("large rows are split by bytes, never over 900 KB per frame", async () => {
    const user = newUser();
    const author = await Client.forUser(user);
    const body = "x".repeat(20_000);
    const ids: string[] = [];
    for (let p = 0; p < 5; p++) {
      const batch = Array.from({ length: 40 }, () => {
        const id = uuid();
        ids.push(id);
        return note(id, { body });
      });
      const res = await author.push(batch, 60_000);
      expect(res.results.every((r) => r.status === "applied")).toBe(true);
    }
    const fresh = await Client.forUser(user);
    const { changes } = await fresh.syncStart();
    checkFrames(fresh, changes);
    expect(changes.every((f) => f.rows.length < MAX_CHANGES_ROWS)).toBe(true); // bytes, not rows, cut them
    const got = changes.flatMap((f) => f.rows.map((r) => r.row_id as string));
    expect(got.sort()).toEqual([...ids].sort());
  });
});
