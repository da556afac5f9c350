/**
 * Ending runs by group commit: runs that end close together share one transaction (one fsync on SQLite),
 * since under a fan-out commits rather than deliveries would otherwise bound the rate. Under load the
 * same transaction also claims the room those runs free.
 */
import type { Consumer } from "../../consumers/schema.js";
import type { Tx } from "../../store/db.js";
import { isDatabaseUnavailable } from "../../store/failures.js";
import { finishRuns, insertRunLogs, type RunLogRow, type RunRow } from "./store.js";
import type { Claimer } from "./worker-claim.js";
import { type Completion, describe, iso, tracked, type WorkerState } from "./worker-state.js";

export interface RunCompletion {
  /** Queues a run's outcome; resolves once its commit is over, whether or not the run was still ours. */
  complete(c: Omit<Completion, "done">, consumer?: Consumer): Promise<void>;
  /** The flush under way, if any (the worker's stop waits for it). */
  flushing(): Promise<void> | null;
}

export function createRunCompletion(
  state: WorkerState,
  claimer: Pick<Claimer, "claim" | "dispatch" | "wake">,
): RunCompletion {
  const { store } = state.deps;
  let batch: Completion[] = [];
  let flushing: Promise<void> | null = null;

  function complete(c: Omit<Completion, "done">, consumer?: Consumer): Promise<void> {
    state.finishing.add(c.run.id);
    return new Promise<boolean>((resolve) => {
      batch.push({ ...c, done: resolve });
      if (!flushing) flushing = flushSoon();
    }).then((committed) => {
      state.finishing.delete(c.run.id);
      if (committed && c.entry && consumer) state.deps.onFinished?.(consumer.kind, c.status);
    });
  }

  async function flushSoon(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    while (batch.length > 0) {
      const items = batch;
      batch = [];
      const refill = takeRefill(items);
      const claimed = await commit(items, refill);
      if (refill) await dispatchRefill(claimed, refill.room);
    }
    flushing = null;
  }

  /**
   * Whether this commit also claims, and for how much room: the room its runs free, when the worker
   * wants more or an organization is due a refill. Taking it sets `claiming`, so no claim loop runs
   * alongside until dispatchRefill clears it.
   */
  function takeRefill(items: Completion[]): { room: number; finishing: RunRow[] } | null {
    const room = state.holdLimit - state.inFlight.size + items.length;
    const finishing = items.map((item) => item.run);
    if (!state.running || state.claiming || room <= 0) return null;
    if (!(state.wanted && room >= state.lowWater) && !state.held.refillDue(state.lowWater, finishing))
      return null;
    state.claiming = true;
    state.wanted = false;
    return { room, finishing };
  }

  /** Ends `items` (and claims, for a refill) in one transaction; returns what was claimed. */
  async function commit(items: Completion[], refill: { room: number; finishing: RunRow[] } | null) {
    let claimed: RunRow[] = [];
    try {
      const owned = await tracked(
        state,
        store.transaction(async (tx) => {
          const finished = await finishBatch(state, tx, items);
          if (refill) claimed = await claimer.claim(tx, refill.room, refill.finishing);
          return finished;
        }),
      );
      for (const item of items) item.done(owned.has(item.run.id));
      return claimed;
    } catch (error) {
      await commitAfterFailure(state, items, error);
      return [];
    }
  }

  async function dispatchRefill(claimed: RunRow[], room: number): Promise<void> {
    if (claimed.length === room) state.wanted = true;
    try {
      if (claimed.length > 0) await claimer.dispatch(claimed);
    } finally {
      state.claiming = false;
    }
    if (state.running && state.wanted) claimer.wake();
  }

  return { complete, flushing: () => flushing };
}

/** Ends the runs of a batch whose transaction failed: one by one, unless the database is unavailable. */
async function commitAfterFailure(state: WorkerState, items: Completion[], error: unknown): Promise<void> {
  if (isDatabaseUnavailable(error)) {
    // Trying each run alone would wait out the same timeout once per run. The runs stay `running`
    // under leases that are no longer renewed, so another worker takes them: at least once, never lost.
    state.log.error(
      { err: describe(error), runs: items.length },
      "ending a batch of runs failed: the database is unavailable; their leases will expire",
    );
    for (const item of items) item.done(false);
    return;
  }
  // One bad item must not hold the others back: retry them one by one.
  state.log.warn(
    { err: describe(error), runs: items.length },
    "ending a batch of runs failed; ending them one by one",
  );
  for (const item of items) {
    try {
      const owned = await tracked(
        state,
        state.deps.store.transaction((tx) => finishBatch(state, tx, [item])),
      );
      item.done(owned.has(item.run.id));
    } catch (inner) {
      // The lease will expire and the run will be taken again: at least once, never lost.
      state.log.error({ err: describe(inner), runId: item.run.id }, "ending a run failed");
      item.done(false);
    }
  }
}

/** Two or three statements for the whole batch, however large. */
async function finishBatch(state: WorkerState, tx: Tx, items: Completion[]): Promise<Set<string>> {
  const ends = items.map((item) => ({ id: item.run.id, status: item.status }));
  const owned = await finishRuns(tx, state.id, ends, iso(Date.now()));
  const logs: RunLogRow[] = [];
  for (const item of items) {
    if (item.entry && owned.has(item.run.id)) {
      logs.push({
        orgId: item.run.org_id,
        projectId: item.run.project_id,
        runId: item.run.id,
        entry: item.entry,
      });
    }
  }
  await insertRunLogs(tx, logs, state.deps.options.logQuotaBytes);
  return owned;
}
