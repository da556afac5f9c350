import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { pino } from "pino";
import type { Consumer } from "../../consumers/schema.js";
import { loadConsumers } from "../../consumers/store.js";
import { newId } from "../../store/ids.js";
import { seedProject, type TestStore, testDatabases } from "../../testing/databases.js";
import { clearRuns, seedLogicConsumer } from "../../testing/runs.js";
import type { AttemptResult, Executor } from "./execute.js";
import type { RunnerOptions } from "./options.js";
import type { RunEvent, RunLogEntry } from "./schema.js";
import { claimDueRuns, insertEvents, insertRuns, listRunLogs } from "./store.js";
import { createSupervisedWorker } from "./supervisor.js";
import { createWorker, type Worker } from "./worker.js";

const silent = pino({ level: "silent" });

const options: RunnerOptions = {
  concurrency: 8,
  maxAttempts: 4,
  retryBaseMs: 10,
  retryMaxMs: 50,
  leaseMs: 60_000,
  pollMs: 60_000,
  stopGraceMs: 2_000,
  stuckMs: 60_000,
};

async function until(check: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function entry(
  consumer: Consumer,
  event: RunEvent,
  attempt: number,
  status: RunLogEntry["status"],
): RunLogEntry {
  return {
    id: newId(),
    consumer: { kind: consumer.kind, id: consumer.id, name: consumer.name },
    event,
    status,
    startedAt: new Date().toISOString(),
    durationMs: 0,
    attempts: attempt,
  };
}

/** An executor whose answer per attempt is scripted; `gate` holds attempts until opened. */
function scriptedExecutor(script: (attempt: number, runId: string) => "success" | "retry" | "fail" | "hang") {
  const calls: { runId: string; attempt: number }[] = [];
  const executor: Executor = {
    async attempt(consumer, event, run) {
      calls.push({ runId: run.deliveryId, attempt: run.attempt });
      const action = script(run.attempt, run.deliveryId);
      if (action === "hang") await new Promise((r) => setTimeout(r, 1_000));
      const ok = action === "success";
      const result: AttemptResult = {
        entry: entry(consumer, event, run.attempt, ok ? "success" : "failure"),
        retryable: action === "retry" || action === "hang",
      };
      return result;
    },
    async failed(consumer, event, run, error) {
      return { ...entry(consumer, event, run.attempt, "failure"), error };
    },
  };
  return { executor, calls };
}

for (const database of testDatabases()) {
  describe(`run worker on ${database.name}`, () => {
    let store: TestStore;
    const orgId = newId();
    const projectId = newId();
    const consumerId = newId();
    const workers: Worker[] = [];

    before(async () => {
      store = await database.open();
      await seedProject(store, { orgId, projectId });
      await seedLogicConsumer(store, { consumerId, orgId, projectId });
    });
    beforeEach(() => clearRuns(store));
    after(async () => {
      for (const w of workers) await w.stop();
      await store.dispose();
    });

    async function publish(count: number): Promise<string[]> {
      const event = { id: newId(), name: "e", data: {}, publishedAt: new Date().toISOString() };
      const ids = Array.from({ length: count }, () => newId());
      await store.transaction(async (tx) => {
        await insertEvents(tx, [{ ...event, orgId, projectId }]);
        await insertRuns(
          tx,
          ids.map((id) => ({ id, orgId, projectId, consumerId, eventId: event.id, at: event.publishedAt })),
        );
      });
      return ids;
    }

    const status = async (id: string) =>
      await store.db
        .selectFrom("runs")
        .select(["status", "attempts"])
        .where("id", "=", id)
        .executeTakeFirstOrThrow();

    function worker(executor: Executor, overrides: Partial<RunnerOptions> = {}): Worker {
      const consumers = { byIds: (ids: string[]) => loadConsumers(store.db, ids) };
      const w = createWorker({
        store,
        consumers,
        executor,
        options: { ...options, ...overrides },
        logger: silent,
      });
      workers.push(w);
      return w;
    }

    test("a woken worker runs a published run at once, without waiting for its poll", async () => {
      const { executor } = scriptedExecutor(() => "success");
      const w = worker(executor);
      w.start();
      await new Promise((r) => setTimeout(r, 50));
      const [id] = await publish(1);
      const started = Date.now();
      w.wake();
      await until(async () => (await status(id!)).status === "success");
      assert.ok(Date.now() - started < options.pollMs / 10);
      const logs = await listRunLogs(store.db, { projectId, limit: 10 });
      assert.equal(logs.length, 1);
      await w.stop();
    });

    test("a retryable failure is retried with backoff until it succeeds, and logged once", async () => {
      const { executor, calls } = scriptedExecutor((attempt) => (attempt < 3 ? "retry" : "success"));
      const w = worker(executor);
      w.start();
      const [id] = await publish(1);
      w.wake();
      await until(async () => (await status(id!)).status === "success");
      assert.deepEqual(
        calls.map((c) => c.attempt),
        [1, 2, 3],
      );
      const logs = await listRunLogs(store.db, { projectId, limit: 10 });
      assert.deepEqual(
        logs.map((l) => [l.status, l.attempts]),
        [["success", 3]],
      );
      await w.stop();
    });

    test("a run that keeps failing ends as a failure after the last attempt", async () => {
      const { executor, calls } = scriptedExecutor(() => "retry");
      const w = worker(executor);
      w.start();
      const [id] = await publish(1);
      w.wake();
      await until(async () => (await status(id!)).status === "failure");
      assert.equal(calls.length, options.maxAttempts);
      const logs = await listRunLogs(store.db, { projectId, limit: 10 });
      assert.deepEqual(
        logs.map((l) => [l.status, l.attempts]),
        [["failure", options.maxAttempts]],
      );
      await w.stop();
    });

    test("a failure that is not retryable ends the run at its first attempt", async () => {
      const { executor, calls } = scriptedExecutor(() => "fail");
      const w = worker(executor);
      w.start();
      const [id] = await publish(1);
      w.wake();
      await until(async () => (await status(id!)).status === "failure");
      assert.equal(calls.length, 1);
      await w.stop();
    });

    test("many runs are each delivered exactly once by two workers sharing the queue", async () => {
      const { executor, calls } = scriptedExecutor(() => "success");
      const a = worker(executor, { concurrency: 3 });
      const b = worker(executor, { concurrency: 3 });
      a.start();
      b.start();
      const ids = await publish(60);
      a.wake();
      b.wake();
      // It asserts exactly once, not speed: 60 runs took over 5 s on PostgreSQL on a loaded machine.
      await until(async () => (await listRunLogs(store.db, { projectId, limit: 200 })).length === 60, 30_000);
      assert.deepEqual(calls.map((c) => c.runId).sort(), [...ids].sort());
      await a.stop();
      await b.stop();
    });

    test("a worker holds twice its concurrency, executes no more than its concurrency, and hands back what waits", async () => {
      let executing = 0;
      let most = 0;
      let open: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      const executor: Executor = {
        async attempt(consumer, event, run) {
          executing += 1;
          most = Math.max(most, executing);
          await gate;
          executing -= 1;
          return { entry: entry(consumer, event, run.attempt, "success"), retryable: false };
        },
        async failed(consumer, event, run, error) {
          return { ...entry(consumer, event, run.attempt, "failure"), error };
        },
      };
      const w = worker(executor, { concurrency: 2 });
      w.start();
      const ids = await publish(6);
      w.wake();
      await until(async () => w.inFlight() === 4 && executing === 2);
      open();
      await until(async () => (await listRunLogs(store.db, { projectId, limit: 10 })).length === 6);
      assert.equal(most, 2);
      for (const id of ids) assert.deepEqual(await status(id), { status: "success", attempts: 1 });
      await w.stop();

      const slow = scriptedExecutor(() => "hang");
      const stopping = worker(slow.executor, { concurrency: 1, stopGraceMs: 50 });
      stopping.start();
      const held = await publish(2);
      stopping.wake();
      await until(async () => stopping.inFlight() === 2);
      await stopping.stop();
      // The one that waited for a slot never began: its claim is given back, attempt and all.
      for (const id of held) assert.deepEqual(await status(id), { status: "pending", attempts: 0 });
    });

    test("a run whose worker died is taken by another once the lease expires", async () => {
      const [id] = await publish(1);
      const now = Date.now();
      const dead = await claimDueRuns(store.db, store.dialect, {
        worker: "dead",
        now: new Date(now).toISOString(),
        lockedUntil: new Date(now + 300).toISOString(),
        limit: 10,
      });
      assert.equal(dead.length, 1);
      const { executor } = scriptedExecutor(() => "success");
      const w = worker(executor, { pollMs: 50 });
      w.start();
      await until(async () => (await status(id!)).status === "success");
      assert.ok(Date.now() - now >= 300);
      await w.stop();
    });

    test("stop hands runs still in flight back to the queue, and another worker finishes them", async () => {
      const slow = scriptedExecutor(() => "hang");
      const first = worker(slow.executor, { stopGraceMs: 50 });
      first.start();
      const ids = await publish(3);
      first.wake();
      await until(async () => first.inFlight() === 3);
      await first.stop();
      for (const id of ids) assert.deepEqual(await status(id), { status: "pending", attempts: 0 });
      const fast = scriptedExecutor(() => "success");
      const second = worker(fast.executor);
      second.start();
      await until(async () => (await listRunLogs(store.db, { projectId, limit: 10 })).length === 3);
      // The first worker's late answers must not add entries or undo the second's.
      await new Promise((r) => setTimeout(r, 1_100));
      assert.equal((await listRunLogs(store.db, { projectId, limit: 10 })).length, 3);
      for (const id of ids) assert.equal((await status(id)).status, "success");
      await second.stop();
    });

    test("a run whose finishing commit is stuck is no longer renewed: another worker takes it when the lease expires", async () => {
      // The finishing transaction of worker A never gets a connection (a silent one); its other calls work.
      let unblock: () => void = () => {};
      const blocked = new Promise<void>((resolve) => {
        unblock = resolve;
      });
      const stuckStore = {
        ...store,
        transaction: <T>(fn: Parameters<typeof store.transaction<T>>[0]) =>
          blocked.then(() => store.transaction(fn)),
      };
      const consumers = { byIds: (ids: string[]) => loadConsumers(store.db, ids) };
      const a = createWorker({
        store: stuckStore,
        consumers,
        executor: scriptedExecutor(() => "success").executor,
        options: { ...options, leaseMs: 600, stuckMs: 300 },
        logger: silent,
      });
      a.start();
      const [id] = await publish(1);
      a.wake();
      await until(async () => (await status(id!)).attempts === 1);
      await until(async () => a.health().state === "stuck");

      const b = scriptedExecutor(() => "success");
      const other = worker(b.executor, { pollMs: 50 });
      other.start();
      await until(async () => (await status(id!)).status === "success", 5_000);
      assert.deepEqual(b.calls, [{ runId: id, attempt: 2 }]);
      a.abandon();
      unblock();
      await other.stop();
    });

    test("a stuck worker is restarted under a new id", async () => {
      const never = new Promise<never>(() => {});
      const stuckStore = { ...store, transaction: () => never };
      const consumers = { byIds: (ids: string[]) => loadConsumers(store.db, ids) };
      const supervised = createSupervisedWorker({
        store: stuckStore,
        consumers,
        executor: scriptedExecutor(() => "success").executor,
        options: { ...options, stuckMs: 200 },
        logger: silent,
      });
      supervised.start();
      const first = supervised.id;
      await publish(1);
      supervised.wake();
      await until(async () => supervised.id !== first, 5_000);
      assert.equal(supervised.health().state, "stuck", "a worker just restarted is not reported healthy");
      supervised.abandon();
    });
  });
}
