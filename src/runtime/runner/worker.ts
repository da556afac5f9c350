/**
 * The run worker of one node (X1, D2). It claims due runs from the `runs` table under a lease, executes
 * them, and either ends them (run log written in the same transaction) or puts them back with a backoff.
 * Delivery is at least once: a node that dies mid-run leaves a lease that expires, and the run is taken
 * again by whichever node claims next; the `X-Cloakroom-Delivery` header (the run id) lets the target
 * drop a duplicate. See docs/decisions/0110-durable-runs.md.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Consumer } from "../../consumers/schema.js";
import type { ConsumersService } from "../../consumers/service.js";
import type { Store, Tx } from "../../store/db.js";
import { isDatabaseUnavailable } from "../../store/failures.js";
import { retryDelayMs } from "./backoff.js";
import type { Executor } from "./execute.js";
import { createHeldRuns, createRunSlots } from "./fairness.js";
import type { RunnerOptions } from "./options.js";
import type { RunEvent, RunLogEntry, RunStatus } from "./schema.js";
import {
  claimDueRuns,
  eventsByIds,
  finishRuns,
  insertRunLogs,
  type RunLogRow,
  type RunRow,
  reclaimExpired,
  releaseRuns,
  renewLeases,
  scheduleRetry,
  startRuns,
} from "./store.js";

const WAKE_COALESCE_MS = 2;

export interface WorkerDeps {
  store: Store;
  consumers: Pick<ConsumersService, "byIds">;
  executor: Executor;
  options: RunnerOptions;
  logger: Logger;
  /** Told of every run that ends (metrics). */
  onFinished?(kind: Consumer["kind"], status: RunStatus): void;
}

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

interface Completion {
  run: RunRow;
  status: RunStatus;
  entry: RunLogEntry | null;
  done(committed: boolean): void;
}

export function createWorker(deps: WorkerDeps): Worker {
  const { store, executor, options, logger } = deps;
  const id = `${hostname()}/${process.pid}/${randomBytes(4).toString("hex")}`;
  const log = logger.child({ component: "runner", worker: id });
  const iso = (ms: number) => new Date(ms).toISOString();

  const inFlight = new Map<string, Promise<void>>();
  const retryTimers = new Set<NodeJS.Timeout>();
  let running = false;
  let stopping: Promise<void> | null = null;
  let pollTimer: NodeJS.Timeout | undefined;
  let leaseTimer: NodeJS.Timeout | undefined;
  let claiming = false;
  let wanted = false;

  // ---- database calls in progress, for health ----

  const outstanding = new Map<number, number>();
  let nextCall = 0;
  /** Every database call of the worker goes through here, so that one that never returns is seen. */
  function tracked<T>(call: Promise<T>): Promise<T> {
    const key = nextCall++;
    outstanding.set(key, Date.now());
    return call.finally(() => outstanding.delete(key));
  }

  // ---- claiming ----

  let wakeTimer: NodeJS.Timeout | undefined;

  /**
   * Wakes are coalesced for a moment: events published in a burst are claimed together, one commit for
   * many runs rather than one per event. The moment is far below any webhook's own latency.
   */
  function wake(org?: string): void {
    // An organization near its share is claimed as its runs end, not on every publish of its own.
    if (org !== undefined && !held.wakeClaims(org, lowWater)) return;
    wanted = true;
    if (!running || claiming || wakeTimer) return;
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      if (running && !claiming) void claimLoop();
    }, WAKE_COALESCE_MS);
  }

  let polling = false;

  /** The poll also returns runs of dead workers to the queue. One at a time: a slow database must not pile them up. */
  function poll(): void {
    if (polling) return;
    polling = true;
    void tracked(reclaimExpired(store.db, iso(Date.now())))
      .catch((error) => {
        log.warn({ err: describe(error) }, "returning expired runs to the queue failed");
        return 0;
      })
      .then(() => {
        polling = false;
        wake();
      });
  }

  // The worker holds up to twice as many runs as it executes at once: the extra ones wait in `waiting` and
  // take a slot the moment one frees, without a round trip to the database. A claim is a write
  // transaction (an fsync on SQLite): claiming one run whenever one finishes would cost a commit per run,
  // so the worker claims only once there is room for half as many runs as it executes, and fills it all.
  // Measured (bench/fanout.bench.ts, a target answering in 20 ms): claiming only for free slots kept them
  // a quarter idle on average. Each organization holds at most what the whole worker held before; the
  // worker holds a reserve more for the others (fairness.ts, decision 0140).
  const held = createHeldRuns(options);
  const holdLimit = held.total;
  const lowWater = Math.max(1, Math.ceil(options.concurrency / 2));

  /** Claims while there is room and the last claim filled it; one loop at a time. */
  async function claimLoop(): Promise<void> {
    claiming = true;
    try {
      while (running && (wanted || held.refillDue(lowWater))) {
        const room = holdLimit - inFlight.size;
        if (room <= 0 || (room < lowWater && inFlight.size > 0 && !held.refillDue(lowWater))) break;
        wanted = false;
        const runs = await tracked(claim(store.db, room));
        if (runs.length === room) wanted = true;
        if (runs.length > 0) await dispatch(runs);
      }
    } catch (error) {
      log.error({ err: describe(error) }, "claiming runs failed; retrying at the next poll");
    } finally {
      claiming = false;
    }
  }

  /** `finishing`: runs ending in the same transaction, whose room the claim may already use. */
  function claim(db: Tx, limit: number, finishing: readonly RunRow[] = []): Promise<RunRow[]> {
    const now = Date.now();
    return claimDueRuns(db, store.dialect, {
      worker: id,
      now: iso(now),
      lockedUntil: iso(now + options.leaseMs),
      limit,
      shares: held.claimShares(finishing),
    });
  }

  async function dispatch(runs: RunRow[]): Promise<void> {
    let consumers: Map<string, Consumer>;
    let events: Map<string, RunEvent>;
    try {
      consumers = await tracked(deps.consumers.byIds([...new Set(runs.map((r) => r.consumer_id))]));
      events = await tracked(eventsByIds(store.db, [...new Set(runs.map((r) => r.event_id))]));
    } catch (error) {
      log.error({ err: describe(error) }, "loading claimed runs failed; handing them back");
      await tracked(
        releaseRuns(
          store.db,
          id,
          runs.map((r) => r.id),
          iso(Date.now()),
        ),
      ).catch(() => {});
      return;
    }
    for (const run of runs) {
      const task = executeInSlot(run, consumers.get(run.consumer_id), events.get(run.event_id))
        .catch((error) => log.error({ err: describe(error), runId: run.id }, "run bookkeeping failed"))
        .finally(() => {
          inFlight.delete(run.id);
          started.delete(run.id);
          held.remove(run.org_id);
          if (running && (wanted || held.refillDue(lowWater))) wake();
        });
      inFlight.set(run.id, task);
      held.add(run.org_id);
    }
  }

  // ---- execution slots ----

  /** Held runs waiting for a slot, shared by organization (fairness.ts). */
  const slots = createRunSlots<{ runId: string; start(go: boolean): void }>(options);

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

  async function executeInSlot(
    run: RunRow,
    consumer: Consumer | undefined,
    event: RunEvent | undefined,
  ): Promise<void> {
    if (!running) {
      // Claimed as the worker stopped: give it straight back.
      await tracked(releaseRuns(store.db, id, [run.id], iso(Date.now())));
      return;
    }
    if (!(await slot(run))) return;
    try {
      // The attempt counts from here, durably, before anything is sent: a run that brought its node down
      // mid-attempt must not be tried forever. A run that only waited in memory was never charged one.
      const attempt = await begin(run.id);
      if (attempt === null) return;
      started.add(run.id);
      await execute({ ...run, attempts: attempt }, consumer, event);
    } finally {
      freeSlot(run);
    }
  }

  // ---- starting: counting the attempt ----

  /** Runs whose attempt is counted and under way. */
  const started = new Set<string>();
  let starting: { runId: string; resolve(attempt: number | null): void }[] = [];
  let flushingStarts = false;

  /**
   * Counts the run's attempt; resolves its number, or null when the run is no longer ours or the database
   * did not answer (its lease then expires and it is taken again, uncharged). Runs that start close
   * together share one statement.
   */
  function begin(runId: string): Promise<number | null> {
    return new Promise((resolve) => {
      starting.push({ runId, resolve });
      if (!flushingStarts) {
        flushingStarts = true;
        void flushStarts();
      }
    });
  }

  async function flushStarts(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    while (starting.length > 0) {
      const items = starting;
      starting = [];
      try {
        const counted = await tracked(
          startRuns(
            store.db,
            id,
            items.map((item) => item.runId),
          ),
        );
        for (const item of items) item.resolve(counted.get(item.runId) ?? null);
      } catch (error) {
        log.warn(
          { err: describe(error), runs: items.length },
          "counting the attempts of starting runs failed; their leases will expire",
        );
        for (const item of items) item.resolve(null);
      }
    }
    flushingStarts = false;
  }

  // ---- executing ----

  async function execute(
    run: RunRow,
    consumer: Consumer | undefined,
    event: RunEvent | undefined,
  ): Promise<void> {
    if (!consumer || !event || !consumer.enabled) {
      // Deleted or disabled since the event was published: the run is dropped, nothing to tell a user about.
      await complete({ run, status: "failure", entry: null });
      return;
    }
    if (run.attempts > options.maxAttempts) {
      const entry = await executor.failed(
        consumer,
        event,
        { attempt: run.attempts },
        {
          code: "interrupted",
          message: `the last of ${options.maxAttempts} attempts was interrupted (its node stopped); the run was not retried`,
        },
      );
      await complete({ run, status: "failure", entry }, consumer);
      return;
    }
    const result = await executor.attempt(consumer, event, { deliveryId: run.id, attempt: run.attempts });
    if (result.retryable && run.attempts < options.maxAttempts && running) {
      const delay = retryDelayMs({ baseMs: options.retryBaseMs, maxMs: options.retryMaxMs }, run.attempts, {
        retryAfterMs: result.retryAfterMs,
      });
      const now = Date.now();
      const kept = await tracked(
        scheduleRetry(store.db, id, run.id, {
          now: iso(now),
          nextAttemptAt: iso(now + delay),
        }),
      );
      if (kept) wakeAfter(delay);
      return;
    }
    if (result.retryable && !running) {
      // Shutting down: hand the run back untouched rather than spending one of its attempts on the stop.
      await tracked(releaseRuns(store.db, id, [run.id], iso(Date.now()), true));
      return;
    }
    await complete({ run, status: result.entry.status, entry: result.entry }, consumer);
  }

  function wakeAfter(delayMs: number): void {
    const timer = setTimeout(() => {
      retryTimers.delete(timer);
      wake();
    }, delayMs);
    timer.unref();
    retryTimers.add(timer);
  }

  // ---- ending runs: group commit ----

  // Runs that end close together share one transaction (one fsync on SQLite): under a fan-out, commits
  // rather than deliveries would otherwise bound the rate.
  let batch: Completion[] = [];
  let flushing: Promise<void> | null = null;
  /** Runs whose outcome waits for its commit; their leases are no longer renewed (see renew). */
  const finishing = new Set<string>();

  function complete(c: Omit<Completion, "done">, consumer?: Consumer): Promise<void> {
    finishing.add(c.run.id);
    return new Promise<boolean>((resolve) => {
      batch.push({ ...c, done: resolve });
      if (!flushing) flushing = flushSoon();
    }).then((committed) => {
      finishing.delete(c.run.id);
      if (committed && c.entry && consumer) deps.onFinished?.(consumer.kind, c.status);
    });
  }

  async function flushSoon(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    while (batch.length > 0) {
      const items = batch;
      batch = [];
      // Under load the room these runs free is refilled in the same transaction: one commit, not two.
      const room = holdLimit - inFlight.size + items.length;
      const finishing = items.map((item) => item.run);
      const refill =
        running &&
        !claiming &&
        room > 0 &&
        ((wanted && room >= lowWater) || held.refillDue(lowWater, finishing));
      if (refill) {
        claiming = true;
        wanted = false;
      }
      let claimed: RunRow[] = [];
      try {
        const owned = await tracked(
          store.transaction(async (tx) => {
            const finished = await finishBatch(tx, items);
            if (refill) claimed = await claim(tx, room, finishing);
            return finished;
          }),
        );
        for (const item of items) item.done(owned.has(item.run.id));
      } catch (error) {
        claimed = [];
        if (isDatabaseUnavailable(error)) {
          // Trying each run alone would wait out the same timeout once per run. The runs stay `running`
          // under leases that are no longer renewed, so another worker takes them: at least once, never lost.
          log.error(
            { err: describe(error), runs: items.length },
            "ending a batch of runs failed: the database is unavailable; their leases will expire",
          );
          for (const item of items) item.done(false);
        } else {
          // One bad item must not hold the others back: retry them one by one.
          log.warn(
            { err: describe(error), runs: items.length },
            "ending a batch of runs failed; ending them one by one",
          );
          for (const item of items) {
            try {
              const owned = await tracked(store.transaction((tx) => finishBatch(tx, [item])));
              item.done(owned.has(item.run.id));
            } catch (inner) {
              // The lease will expire and the run will be taken again: at least once, never lost.
              log.error({ err: describe(inner), runId: item.run.id }, "ending a run failed");
              item.done(false);
            }
          }
        }
      }
      if (refill) {
        if (claimed.length === room) wanted = true;
        try {
          if (claimed.length > 0) await dispatch(claimed);
        } finally {
          claiming = false;
        }
        if (running && wanted) wake();
      }
    }
    flushing = null;
  }

  /** Two or three statements for the whole batch, however large. */
  async function finishBatch(tx: Tx, items: Completion[]): Promise<Set<string>> {
    const owned = await finishRuns(
      tx,
      id,
      items.map((item) => ({ id: item.run.id, status: item.status })),
      iso(Date.now()),
    );
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
    await insertRunLogs(tx, logs, options.logQuotaBytes);
    return owned;
  }

  // ---- leases ----

  let renewing = false;

  /**
   * Renews the leases of runs that are making progress: waiting for a slot or executing (an attempt has its
   * own deadline). Not those whose outcome waits for a commit: if that commit is stuck (a silent
   * connection), renewing over another connection would keep every other node off them indefinitely.
   */
  async function renew(): Promise<void> {
    if (renewing) return;
    const ids = [...inFlight.keys()].filter((runId) => !finishing.has(runId));
    if (ids.length === 0) return;
    renewing = true;
    try {
      await tracked(renewLeases(store.db, id, ids, iso(Date.now() + options.leaseMs)));
    } catch (error) {
      log.warn({ err: describe(error) }, "renewing run leases failed");
    } finally {
      renewing = false;
    }
  }

  function health(): WorkerHealth {
    if (!running) return { state: "off" };
    let oldest = Number.POSITIVE_INFINITY;
    for (const at of outstanding.values()) oldest = Math.min(oldest, at);
    const age = Date.now() - oldest;
    return age > options.stuckMs ? { state: "stuck", stuckForMs: age } : { state: "ok" };
  }

  function halt(): void {
    running = false;
    clearInterval(pollTimer);
    clearTimeout(wakeTimer);
    for (const timer of retryTimers) clearTimeout(timer);
    retryTimers.clear();
  }

  return {
    id,
    start() {
      if (running || stopping || options.concurrency <= 0) return;
      running = true;
      pollTimer = setInterval(poll, options.pollMs);
      pollTimer.unref();
      leaseTimer = setInterval(() => void renew(), Math.max(100, Math.floor(options.leaseMs / 3)));
      leaseTimer.unref();
      // A restart first returns the runs its previous life (or a dead peer) left locked.
      poll();
    },
    wake,
    inFlight: () => inFlight.size,
    health,
    abandon() {
      if (!running) return;
      halt();
      clearInterval(leaseTimer);
      for (const w of slots.drain()) w.start(false);
    },
    room: () => (running ? Math.max(0, holdLimit - inFlight.size) : 0),
    stop() {
      stopping ??= (async () => {
        halt();
        // Held runs that never started go back at once, in one statement.
        const unstarted = slots.drain();
        if (unstarted.length > 0) {
          await tracked(
            releaseRuns(
              store.db,
              id,
              unstarted.map((w) => w.runId),
              iso(Date.now()),
            ),
          ).catch((error) =>
            log.warn({ err: describe(error) }, "handing runs back failed; their leases will expire"),
          );
        }
        for (const w of unstarted) w.start(false);
        const settled = Promise.allSettled([...inFlight.values()]);
        let graceTimer: NodeJS.Timeout | undefined;
        const grace = new Promise((resolve) => {
          graceTimer = setTimeout(resolve, options.stopGraceMs);
        });
        await Promise.race([settled, grace]);
        clearTimeout(graceTimer);
        clearInterval(leaseTimer);
        const left = [...inFlight.keys()];
        if (left.length > 0) {
          log.info({ runs: left.length }, "handing unfinished runs back to the queue");
          const now = iso(Date.now());
          // An attempt cut short by the stop is given back; a run still waiting to start was never charged.
          const begun = left.filter((runId) => started.has(runId));
          const notBegun = left.filter((runId) => !started.has(runId));
          await Promise.all([
            tracked(releaseRuns(store.db, id, begun, now, true)),
            tracked(releaseRuns(store.db, id, notBegun, now)),
          ]).catch((error) =>
            log.warn({ err: describe(error) }, "handing runs back failed; their leases will expire"),
          );
        }
        await flushing;
      })();
      return stopping;
    },
  };
}

/** What a log line may say about an error: its kind and code, never a message that could quote a value. */
function describe(error: unknown): { type: string; code?: string } {
  const e = error as { name?: unknown; code?: unknown } | null;
  return {
    type: typeof e?.name === "string" ? e.name : typeof error,
    ...(typeof e?.code === "string" ? { code: e.code } : {}),
  };
}
