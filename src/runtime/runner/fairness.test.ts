import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { pino } from "pino";
import type { Consumer } from "../../consumers/schema.js";
import { loadConsumers } from "../../consumers/store.js";
import { newId } from "../../store/ids.js";
import { seedProject, type TestStore, testDatabases } from "../../testing/databases.js";
import { clearRuns, seedLogicConsumer } from "../../testing/runs.js";
import type { Executor } from "./execute.js";
import type { RunnerOptions } from "./options.js";
import type { RunEvent, RunLogEntry } from "./schema.js";
import { claimDueRuns, insertEvents, insertRuns, listRunLogs } from "./store.js";
import { createWorker, type Worker } from "./worker.js";

const silent = pino({ level: "silent" });
const iso = (ms: number) => new Date(ms).toISOString();

const options: RunnerOptions = {
  concurrency: 2,
  maxAttempts: 3,
  retryBaseMs: 10,
  retryMaxMs: 50,
  leaseMs: 60_000,
  pollMs: 60_000,
  stopGraceMs: 200,
  stuckMs: 60_000,
};

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function entry(consumer: Consumer, event: RunEvent, attempt: number): RunLogEntry {
  return {
    id: newId(),
    consumer: { kind: consumer.kind, id: consumer.id, name: consumer.name },
    event,
    status: "success",
    startedAt: new Date().toISOString(),
    durationMs: 0,
    attempts: attempt,
  };
}

/**
 * An executor standing in for the sandbox: runs of `spinningOrg` hold their slot until `releaseAll()`
 * (a function spinning to its timeout); every other run ends at once.
 */
function spinningExecutor(spinningOrg: string) {
  let executing = 0;
  let maxExecuting = 0;
  const gates: (() => void)[] = [];
  let open = false;
  const executor: Executor = {
    async attempt(consumer, event, run) {
      executing += 1;
      maxExecuting = Math.max(maxExecuting, executing);
      try {
        if (consumer.orgId === spinningOrg && !open) await new Promise<void>((r) => gates.push(r));
        return { entry: entry(consumer, event, run.attempt), retryable: false };
      } finally {
        executing -= 1;
      }
    },
    async failed(consumer, event, run, error) {
      return { ...entry(consumer, event, run.attempt), status: "failure", error };
    },
  };
  return {
    executor,
    executing: () => executing,
    maxExecuting: () => maxExecuting,
    releaseAll() {
      open = true;
      for (const g of gates.splice(0)) g();
    },
  };
}

for (const database of testDatabases()) {
  describe(`fair claims on ${database.name}`, () => {
    let store: TestStore;
    before(async () => {
      store = await database.open();
    });
    after(async () => {
      await store.dispose();
    });
    beforeEach(async () => {
      await store.db.deleteFrom("runs").execute();
    });

    async function queue(orgId: string, count: number, at: number): Promise<string[]> {
      const runs = Array.from({ length: count }, (_, i) => ({
        id: newId(),
        orgId,
        projectId: `p-${orgId}`,
        consumerId: "c",
        eventId: "e",
        at: iso(at + i),
      }));
      await store.transaction((tx) => insertRuns(tx, runs));
      return runs.map((r) => r.id);
    }

    const claim = (worker: string, limit: number, held: Record<string, number> = {}, perOrg = 8) =>
      claimDueRuns(store.db, store.dialect, {
        worker,
        now: iso(Date.now()),
        lockedUntil: iso(Date.now() + 30_000),
        limit,
        shares: { perOrg, held },
      });

    test("a claim takes turns by organization: one due run of A comes before B's older backlog", async () => {
      const old = Date.now() - 60_000;
      await queue("org-b", 20, old);
      const [a] = await queue("org-a", 1, old + 1000);
      const runs = await claim("w1", 3);
      assert.equal(runs.length, 3);
      assert.ok(
        runs.some((r) => r.id === a),
        "A's run is among the three claimed",
      );
      assert.deepEqual(runs.map((r) => r.org_id).sort(), ["org-a", "org-b", "org-b"]);
    });

    test("an organization already at its share gets nothing more, another behind its long backlog still gets its runs", async () => {
      const old = Date.now() - 60_000;
      // Longer than the window of due runs a claim ranks.
      await queue("org-b", 400, old);
      const aIds = await queue("org-a", 3, old + 1000);
      const runs = await claim("w1", 10, { "org-b": 8 });
      assert.deepEqual(runs.map((r) => r.id).sort(), [...aIds].sort());
    });

    test("a claim counts what the worker holds: it never takes an organization past its share", async () => {
      await queue("org-b", 20, Date.now() - 60_000);
      const runs = await claim("w1", 10, { "org-b": 5 });
      assert.equal(runs.length, 3);
    });

    test("an organization alone is claimed in due order up to its share", async () => {
      const ids = await queue("org-b", 20, Date.now() - 60_000);
      const runs = await claim("w1", 100);
      // RETURNING gives no order: compare the sets.
      assert.deepEqual(runs.map((r) => r.id).sort(), ids.slice(0, 8).sort());
    });

    test("fair claims side by side never take the same run twice, and together take them all", async () => {
      const old = Date.now() - 60_000;
      const ids = [
        ...(await queue("org-a", 40, old)),
        ...(await queue("org-b", 40, old)),
        ...(await queue("org-c", 40, old)),
      ];
      const taken = new Map<string, string>();
      await Promise.all(
        ["w1", "w2", "w3", "w4"].map(async (worker) => {
          for (;;) {
            const runs = await claim(worker, 7, {}, 1000);
            if (runs.length === 0) return;
            for (const run of runs) {
              assert.equal(taken.get(run.id), undefined, `run ${run.id} claimed twice`);
              taken.set(run.id, worker);
            }
          }
        }),
      );
      assert.equal(taken.size, ids.length);
    });
  });

  describe(`fair run worker on ${database.name}`, () => {
    let store: TestStore;
    const orgs = { a: newId(), b: newId() };
    const projects = { a: newId(), b: newId() };
    const consumers = { a: newId(), b: newId() };
    const workers: Worker[] = [];

    before(async () => {
      store = await database.open();
      await seedProject(store, { orgId: orgs.a, projectId: projects.a });
      await seedProject(store, { orgId: orgs.b, projectId: projects.b, orgSlug: "o-b" });
      for (const k of ["a", "b"] as const)
        await seedLogicConsumer(store, { consumerId: consumers[k], orgId: orgs[k], projectId: projects[k] });
    });
    beforeEach(() => clearRuns(store));
    after(async () => {
      for (const w of workers) await w.stop();
      await store.dispose();
    });

    async function publish(k: "a" | "b", count: number): Promise<string[]> {
      const event = { id: newId(), name: "e", data: {}, publishedAt: new Date().toISOString() };
      const ids = Array.from({ length: count }, () => newId());
      await store.transaction(async (tx) => {
        await insertEvents(tx, [{ ...event, orgId: orgs[k], projectId: projects[k] }]);
        await insertRuns(
          tx,
          ids.map((id) => ({
            id,
            orgId: orgs[k],
            projectId: projects[k],
            consumerId: consumers[k],
            eventId: event.id,
            at: event.publishedAt,
          })),
        );
      });
      return ids;
    }

    function worker(executor: Executor): Worker {
      const w = createWorker({
        store,
        consumers: { byIds: (ids: string[]) => loadConsumers(store.db, ids) },
        executor,
        options,
        logger: silent,
      });
      workers.push(w);
      return w;
    }

    const status = async (id: string) =>
      (await store.db.selectFrom("runs").select("status").where("id", "=", id).executeTakeFirstOrThrow())
        .status;

    test("org A's run completes while org B's flood of spinning runs holds every slot", async () => {
      const spin = spinningExecutor(orgs.b);
      const w = worker(spin.executor);
      w.start();
      // B's backlog is due first and is larger than everything the worker holds.
      const bRuns = await publish("b", 30);
      w.wake();
      await until(() => spin.executing() >= options.concurrency);
      const [aRun] = await publish("a", 1);
      w.wake();
      try {
        await until(async () => (await status(aRun!)) === "success");
        const aLogs = await listRunLogs(store.db, { projectId: projects.a, limit: 10 });
        assert.equal(aLogs.length, 1);
        // Every one of B's runs is still spinning or waiting: A did not wait for any of them.
        const bDone = await listRunLogs(store.db, { projectId: projects.b, limit: 100 });
        assert.equal(bDone.length, 0);
      } finally {
        spin.releaseAll();
      }
      await until(
        async () => (await listRunLogs(store.db, { projectId: projects.b, limit: 100 })).length === 30,
      );
      assert.ok(bRuns.length === 30);
      await w.stop();
    });

    test("an organization alone uses every execution slot and holds as much as the worker did before", async () => {
      const spin = spinningExecutor(orgs.b);
      const w = worker(spin.executor);
      w.start();
      await publish("b", 30);
      w.wake();
      try {
        await until(
          () => spin.executing() === options.concurrency && w.inFlight() === 2 * options.concurrency,
        );
        // Give the worker the chance to take more than its share; it must not.
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(spin.maxExecuting(), options.concurrency);
        assert.equal(w.inFlight(), 2 * options.concurrency);
      } finally {
        spin.releaseAll();
      }
      await until(
        async () => (await listRunLogs(store.db, { projectId: projects.b, limit: 100 })).length === 30,
      );
      await w.stop();
    });
  });
}
