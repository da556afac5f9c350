/**
 * The run worker of one node (X1, D2). It claims due runs from the `runs` table under a lease, executes
 * them, and either ends them (run log written in the same transaction) or puts them back with a backoff.
 * Delivery is at least once: a node that dies mid-run leaves a lease that expires, and the run is taken
 * again by whichever node claims next; the `X-Cloakroom-Delivery` header (the run id) lets the target
 * drop a duplicate. See docs/decisions/0110-durable-runs.md.
 *
 * The worker is put together from named parts sharing one explicit state (worker-state.ts): claiming
 * (worker-claim.ts), executing in fair slots (worker-run.ts), ending runs by group commit
 * (worker-commit.ts); leases, health, start and stop are here.
 */
import { releaseRuns, renewLeases } from "./store.js";
import { createClaimer } from "./worker-claim.js";
import { createRunCompletion, type RunCompletion } from "./worker-commit.js";
import { createRunExecution, type RunExecution } from "./worker-run.js";
import {
  createWorkerState,
  describe,
  iso,
  tracked,
  type WorkerDeps,
  type WorkerState,
} from "./worker-state.js";

export type { WorkerDeps } from "./worker-state.js";

export interface Worker {
  readonly id: string;
  start(): void;
  /** Something may be due (of `org`, when known): look now rather than at the next poll. */
  wake(org?: string): void;
  /** Stops claiming, lets runs in flight finish for the grace period, then hands the rest back. */
  stop(): Promise<void>;
  /** Runs this worker holds right now, executing or waiting for a slot (tests). */
  inFlight(): number;
  /** `stuck` when one of its database calls has not returned for longer than `options.stuckMs`. */
  health(): WorkerHealth;
  /**
   * Gives up at once, without a database call (the database may be what is stuck): stops claiming and
   * renewing, drops the runs waiting for a slot. Their leases expire and any worker takes them again.
   */
  abandon(): void;
  /** How many more runs this worker would claim now (0 when stopped or not started). */
  room(): number;
}

export type WorkerHealth = { state: "ok" | "off" } | { state: "stuck"; stuckForMs: number };

export function createWorker(deps: WorkerDeps): Worker {
  const { options } = deps;
  const state = createWorkerState(deps);
  const claimer = createClaimer(state, (run, consumer, event) =>
    execution.executeInSlot(run, consumer, event),
  );
  const commits = createRunCompletion(state, claimer);
  const execution = createRunExecution(state, { complete: commits.complete, wake: () => claimer.wake() });
  const renew = createLeaseRenewal(state);
  let stopping: Promise<void> | null = null;
  let pollTimer: NodeJS.Timeout | undefined;
  let leaseTimer: NodeJS.Timeout | undefined;

  function halt(): void {
    state.running = false;
    clearInterval(pollTimer);
    claimer.cancelWake();
    execution.clearRetryTimers();
  }

  return {
    id: state.id,
    start() {
      if (state.running || stopping || options.concurrency <= 0) return;
      state.running = true;
      pollTimer = setInterval(claimer.poll, options.pollMs);
      pollTimer.unref();
      leaseTimer = setInterval(() => void renew(), Math.max(100, Math.floor(options.leaseMs / 3)));
      leaseTimer.unref();
      // A restart first returns the runs its previous life (or a dead peer) left locked.
      claimer.poll();
    },
    wake: claimer.wake,
    inFlight: () => state.inFlight.size,
    health: () => health(state),
    abandon() {
      if (!state.running) return;
      halt();
      clearInterval(leaseTimer);
      for (const w of execution.drainWaiting()) w.start(false);
    },
    room: () => (state.running ? Math.max(0, state.holdLimit - state.inFlight.size) : 0),
    stop() {
      stopping ??= (async () => {
        halt();
        await stopGracefully(state, execution, commits, () => clearInterval(leaseTimer));
      })();
      return stopping;
    },
  };
}

/**
 * Renews the leases of runs that are making progress: waiting for a slot or executing (an attempt has its
 * own deadline). Not those whose outcome waits for a commit: if that commit is stuck (a silent
 * connection), renewing over another connection would keep every other node off them indefinitely.
 */
function createLeaseRenewal(state: WorkerState): () => Promise<void> {
  let renewing = false;
  return async () => {
    if (renewing) return;
    const ids = [...state.inFlight.keys()].filter((runId) => !state.finishing.has(runId));
    if (ids.length === 0) return;
    renewing = true;
    try {
      const until = iso(Date.now() + state.deps.options.leaseMs);
      await tracked(state, renewLeases(state.deps.store.db, state.id, ids, until));
    } catch (error) {
      state.log.warn({ err: describe(error) }, "renewing run leases failed");
    } finally {
      renewing = false;
    }
  };
}

function health(state: WorkerState): WorkerHealth {
  if (!state.running) return { state: "off" };
  let oldest = Number.POSITIVE_INFINITY;
  for (const at of state.outstanding.values()) oldest = Math.min(oldest, at);
  const age = Date.now() - oldest;
  return age > state.deps.options.stuckMs ? { state: "stuck", stuckForMs: age } : { state: "ok" };
}

/**
 * Hands back the runs that never started, lets the others finish for the grace period, then hands back
 * what is left and waits for the last group commit.
 */
async function stopGracefully(
  state: WorkerState,
  execution: RunExecution,
  commits: RunCompletion,
  stopRenewing: () => void,
): Promise<void> {
  const { store, options } = state.deps;
  const handBack = (ids: string[], now: string, started?: boolean) =>
    tracked(state, releaseRuns(store.db, state.id, ids, now, started));
  const warn = (error: unknown) =>
    state.log.warn({ err: describe(error) }, "handing runs back failed; their leases will expire");
  // Held runs that never started go back at once, in one statement.
  const unstarted = execution.drainWaiting();
  if (unstarted.length > 0) {
    await handBack(
      unstarted.map((w) => w.runId),
      iso(Date.now()),
    ).catch(warn);
  }
  for (const w of unstarted) w.start(false);
  const settled = Promise.allSettled([...state.inFlight.values()]);
  let graceTimer: NodeJS.Timeout | undefined;
  const grace = new Promise((resolve) => {
    graceTimer = setTimeout(resolve, options.stopGraceMs);
  });
  await Promise.race([settled, grace]);
  clearTimeout(graceTimer);
  stopRenewing();
  const left = [...state.inFlight.keys()];
  if (left.length > 0) {
    state.log.info({ runs: left.length }, "handing unfinished runs back to the queue");
    const now = iso(Date.now());
    // An attempt cut short by the stop is given back; a run still waiting to start was never charged.
    const begun = left.filter((runId) => state.started.has(runId));
    const notBegun = left.filter((runId) => !state.started.has(runId));
    await Promise.all([handBack(begun, now, true), handBack(notBegun, now)]).catch(warn);
  }
  await commits.flushing();
}
