import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { newId } from "../../store/ids.js";
import { seedProject, type TestStore, testDatabases } from "../../testing/databases.js";
import { groupCommit } from "./group-commit.js";
import { insertEvents } from "./store.js";

for (const database of testDatabases()) {
  describe(`group commit on ${database.name}`, () => {
    let store: TestStore;
    const orgId = newId();
    const projectId = newId();
    before(async () => {
      store = await database.open();
      await seedProject(store, { orgId, projectId });
    });
    after(async () => {
      await store.dispose();
    });

    test("writes made side by side share one transaction, and one that fails fails alone", async () => {
      const batches: number[] = [];
      const ids = Array.from({ length: 10 }, () => newId());
      const bad = ids[3]!;
      const commit = groupCommit(store, async (tx, items: string[]) => {
        batches.push(items.length);
        await insertEvents(
          tx,
          items.map((id) => ({
            id,
            orgId,
            projectId,
            name: "group.commit",
            data: {},
            publishedAt: new Date().toISOString(),
          })),
        );
        if (items.includes(bad)) throw new Error("refused");
        return items.map((id) => `stored ${id}`);
      });

      const results = await Promise.allSettled(ids.map((id) => commit(id)));

      // All ten went into the first transaction; it failed, so each went again on its own.
      assert.deepEqual(batches, [10, ...ids.map(() => 1)]);
      for (const [i, result] of results.entries()) {
        if (ids[i] === bad) assert.equal(result.status, "rejected");
        else assert.deepEqual(result, { status: "fulfilled", value: `stored ${ids[i]}` });
      }
      const stored = await store.db.selectFrom("events").select("id").where("id", "in", ids).execute();
      assert.deepEqual(stored.map((r) => r.id).sort(), ids.filter((id) => id !== bad).sort());
    });
  });
}
