/**
 * Executing claimed runs: a fair share of execution slots, counting each attempt before anything is sent,
 * then the attempt itself and what follows it (a retry later, the run handed back, or its outcome to the
 * group commit).
 */
import type { Consumer } from "../../consumers/schema.js";
import { retryDelayMs } from "./backoff.js";
import { createRunSlots } from "./fairness.js";
import { batches } from "./group-commit.js";
import type { RunEvent } from "./schema.js";
import { type RunRow, releaseRuns, scheduleRetry, startRuns } from "./store.js";
import { type Complete, describe, iso, tracked, type WorkerState } from "./worker-state.js";

/** A held run waiting for a slot; `start(false)` when the worker stopped first. */
export interface WaitingRun {
  runId: string;
  start(go: boolean): void;
}

export interface RunExecution {
  /** Waits for a slot, counts the attempt, executes; resolves when the run is over for this worker. */
  executeInSlot(run: RunRow, consumer: Consumer | undefined, event: RunEvent | undefined): Promise<void>;
  /** Takes every run still waiting for a slot out of the queue (the worker is stopping). */
  drainWaiting(): WaitingRun[];
  /** Cancels the timers that wake the worker for scheduled retries. */
  clearRetryTimers(): void;
}

export function createRunExecution(
  state: WorkerState,
  parts: { complete: Complete; wake(): void },
): RunExecution {
  const { store, options } = state.deps;
  /** Held runs waiting for a slot, shared by organization (fairness.ts). */
  const slots = createRunSlots<WaitingRun>(options);
  const retryTimers = new Set<NodeJS.Timeout>();
  const begin = createAttemptCounter(state);

  /** Resolves true when the run may execute, false when the worker stopped first. */
  function slot(run: RunRow): Promise<boolean> {
    return new Promise((start) => {
      slots.push(run.org_id, { runId: run.id, start });
      startAllowed();
    });
  }

  function startAllowed(): void {
    for (let next = slots.next(); next; next = slots.next()) next.item.start(true);
  }

  /** A finished run passes its slot straight to the next waiting run the fair share allows. */
  function freeSlot(run: RunRow): void {
    slots.release(run.org_id);
    startAllowed();
  }

  async function executeInSlot(run: RunRow, consumer: Consumer | undefined, event: RunEvent | undefined) {
    if (!state.running) {
      // Claimed as the worker stopped: give it straight back.
      await tracked(state, releaseRuns(store.db, state.id, [run.id], iso(Date.now())));
      return;
    }
    if (!(await slot(run))) return;
    try {
      // The attempt counts from here, durably, before anything is sent: a run that brought its node down
      // mid-attempt must not be tried forever. A run that only waited in memory was never charged one.
      const attempt = await begin(run.id);
      if (attempt === null) return;
      state.started.add(run.id);
      await execute({ ...run, attempts: attempt }, consumer, event);
    } finally {
      freeSlot(run);
    }
  }

  async function execute(run: RunRow, consumer: Consumer | undefined, event: RunEvent | undefined) {
    if (!consumer || !event || !consumer.enabled) {
      // Deleted or disabled since the event was published: the run is dropped, nothing to tell a user about.
      await parts.complete({ run, status: "failure", entry: null });
      return;
    }
    if (run.attempts > options.maxAttempts) {
      const entry = await state.deps.executor.failed(
        consumer,
        event,
        { attempt: run.attempts },
        {
          code: "interrupted",
          message: `the last of ${options.maxAttempts} attempts was interrupted (its node stopped); the run was not retried`,
        },
      );
      await parts.complete({ run, status: "failure", entry }, consumer);
      return;
    }
    const result = await state.deps.executor.attempt(consumer, event, {
      deliveryId: run.id,
      attempt: run.attempts,
    });
    if (result.retryable && run.attempts < options.maxAttempts && state.running) {
      await retryLater(run, result.retryAfterMs);
      return;
    }
    if (result.retryable && !state.running) {
      // Shutting down: hand the run back untouched rather than spending one of its attempts on the stop.
      await tracked(state, releaseRuns(store.db, state.id, [run.id], iso(Date.now()), true));
      return;
    }
    await parts.complete({ run, status: result.entry.status, entry: result.entry }, consumer);
  }

  async function retryLater(run: RunRow, retryAfterMs: number | undefined): Promise<void> {
    const backoff = { baseMs: options.retryBaseMs, maxMs: options.retryMaxMs };
    const delay = retryDelayMs(backoff, run.attempts, { retryAfterMs });
    const now = Date.now();
    const kept = await tracked(
      state,
      scheduleRetry(store.db, state.id, run.id, { now: iso(now), nextAttemptAt: iso(now + delay) }),
    );
    if (kept) wakeAfter(delay);
  }

  function wakeAfter(delayMs: number): void {
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      parts.wake();
    }, delayMs);
    timer.unref();
    retryTimers.add(timer);
  }

  return {
    executeInSlot,
    drainWaiting: () => slots.drain(),
    clearRetryTimers() {
      for (const timer of retryTimers) clearTimeout(timer);
      retryTimers.clear();
    },
  };
}

/**
 * Counts a run's attempt; resolves its number, or null when the run is no longer ours or the database
 * did not answer (its lease then expires and it is taken again, uncharged). Runs that start close
 * together share one statement.
 */
function createAttemptCounter(state: WorkerState): (runId: string) => Promise<number | null> {
  const enqueue = batches<{ runId: string; resolve(attempt: number | null): void }>(async (items) => {
    try {
      const ids = items.map((item) => item.runId);
      const counted = await tracked(state, startRuns(state.deps.store.db, state.id, ids));
      for (const item of items) item.resolve(counted.get(item.runId) ?? null);
    } catch (error) {
      state.log.warn(
        { err: describe(error), runs: items.length },
        "counting the attempts of starting runs failed; their leases will expire",
      );
      for (const item of items) item.resolve(null);
    }
  });
  return (runId) => new Promise((resolve) => enqueue({ runId, resolve }));
}
