import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { newId } from "../../store/ids.js";
import { type TestStore, testDatabases } from "../../testing/databases.js";
import {
  claimDueRuns,
  finishRuns,
  insertRuns,
  reclaimExpired,
  releaseRuns,
  renewLeases,
  scheduleRetry,
  startRuns,
} from "./store.js";

const iso = (ms: number) => new Date(ms).toISOString();

for (const database of testDatabases()) {
  describe(`run queue on ${database.name}`, () => {
    let store: TestStore;
    before(async () => {
      store = await database.open();
    });
    after(async () => {
      await store.dispose();
    });

    async function queue(count: number, at = Date.now() - 1000): Promise<string[]> {
      const runs = Array.from({ length: count }, () => ({
        id: newId(),
        orgId: "o",
        projectId: `p-${database.name}`,
        consumerId: "c",
        eventId: "e",
        at: iso(at),
      }));
      await store.transaction((tx) => insertRuns(tx, runs));
      return runs.map((r) => r.id);
    }

    async function clear(): Promise<void> {
      await store.db.deleteFrom("runs").execute();
    }

    const claim = (worker: string, limit: number, now = Date.now(), leaseMs = 30_000) =>
      claimDueRuns(store.db, store.dialect, {
        worker,
        now: iso(now),
        lockedUntil: iso(now + leaseMs),
        limit,
      });

    test("workers claiming side by side never take the same run twice, and together take them all", async () => {
      await clear();
      const ids = await queue(120);
      const taken = new Map<string, string>();
      const workers = ["w1", "w2", "w3", "w4"];
      await Promise.all(
        workers.map(async (worker) => {
          for (;;) {
            const runs = await claim(worker, 7);
            if (runs.length === 0) return;
            for (const run of runs) {
              assert.equal(taken.has(run.id), false, `run ${run.id} claimed twice`);
              taken.set(run.id, worker);
              assert.equal(run.locked_by, worker);
              assert.equal(run.status, "running");
              assert.equal(run.attempts, 0, "a claim does not count an attempt");
            }
          }
        }),
      );
      assert.deepEqual([...taken.keys()].sort(), [...ids].sort());
    });

    test("a run under a live lease stays with its worker; once the lease expires it returns to the queue", async () => {
      await clear();
      const [id] = await queue(1);
      const now = Date.now();
      const first = await claim("dead-node", 10, now, 1000);
      assert.equal(first.length, 1);
      assert.deepEqual(await startRuns(store.db, "dead-node", [id!]), new Map([[id!, 1]]));
      assert.equal(await reclaimExpired(store.db, iso(now + 500)), 0);
      assert.equal((await claim("other", 10, now + 500)).length, 0);
      assert.equal(await reclaimExpired(store.db, iso(now + 1500)), 1);
      const again = await claim("other", 10, now + 1500);
      assert.deepEqual(
        again.map((r) => [r.id, r.locked_by, r.attempts]),
        [[id, "other", 1]],
      );
      // The dead node can no longer start it, nor record a result.
      assert.deepEqual(await startRuns(store.db, "dead-node", [id!]), new Map());
      const finish = async (worker: string) =>
        (await finishRuns(store.db, worker, [{ id: id!, status: "success" }], iso(now + 1600))).has(id!);
      assert.equal(await finish("dead-node"), false);
      assert.equal(await finish("other"), true);
      assert.equal(await reclaimExpired(store.db, iso(now + 60_000)), 0);
      assert.equal(
        (await claim("third", 10, now + 60_000)).length,
        0,
        "a finished run is never claimed again",
      );
    });

    test("runs are claimed oldest due first", async () => {
      await clear();
      const now = Date.now();
      const late = await queue(2, now - 1000);
      const early = await queue(2, now - 5000);
      const first = await claim("w", 2, now);
      assert.deepEqual(first.map((r) => r.id).sort(), [...early].sort());
      const second = await claim("w", 2, now);
      assert.deepEqual(second.map((r) => r.id).sort(), [...late].sort());
    });

    test("a renewed lease keeps a run away from other workers", async () => {
      await clear();
      const [id] = await queue(1);
      const now = Date.now();
      await claim("w1", 10, now, 1000);
      await renewLeases(store.db, "w1", [id!], iso(now + 10_000));
      assert.equal((await claim("w2", 10, now + 5000)).length, 0);
    });

    test("a retry waits for its time, and the worker that lost a run cannot reschedule it", async () => {
      await clear();
      const [id] = await queue(1);
      const now = Date.now();
      await claim("w1", 10, now);
      await startRuns(store.db, "w1", [id!]);
      assert.equal(
        await scheduleRetry(store.db, "w2", id!, { now: iso(now), nextAttemptAt: iso(now + 5000) }),
        false,
      );
      assert.equal(
        await scheduleRetry(store.db, "w1", id!, { now: iso(now), nextAttemptAt: iso(now + 5000) }),
        true,
      );
      assert.equal((await claim("w1", 10, now + 4000)).length, 0);
      const due = await claim("w1", 10, now + 5000);
      assert.equal(due[0]?.attempts, 1);
      assert.deepEqual(await startRuns(store.db, "w1", [id!]), new Map([[id!, 2]]));
    });

    test("a run claimed but never started is not charged an attempt when its worker dies", async () => {
      await clear();
      const [waited, began] = await queue(2);
      const now = Date.now();
      await claim("dead-node", 10, now, 1000);
      await startRuns(store.db, "dead-node", [began!]);
      assert.equal(await reclaimExpired(store.db, iso(now + 1500)), 2);
      const again = await claim("other", 10, now + 1500);
      assert.deepEqual(
        new Map(again.map((r) => [r.id, r.attempts])),
        new Map([
          [waited!, 0],
          [began!, 1],
        ]),
      );
    });

    test("a run handed back at shutdown is claimable at once and its unfinished attempt is not counted", async () => {
      await clear();
      const [id] = await queue(1);
      const now = Date.now();
      await claim("w1", 10, now);
      await startRuns(store.db, "w1", [id!]);
      await releaseRuns(store.db, "w1", [id!], iso(now), true);
      const again = await claim("w2", 10, now);
      assert.deepEqual(
        again.map((r) => [r.id, r.attempts]),
        [[id, 0]],
      );
      // One that never started is handed back as it was.
      await releaseRuns(store.db, "w2", [id!], iso(now));
      assert.deepEqual(
        (await claim("w3", 10, now)).map((r) => [r.id, r.attempts]),
        [[id, 0]],
      );
    });
  });
}
