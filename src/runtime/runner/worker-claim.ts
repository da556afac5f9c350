/**
 * Claiming: the poll that returns dead workers' runs to the queue, the coalesced wake, the claim loop, and
 * dispatching what a claim took (also used by the group commit's refill, worker-commit.ts).
 */
import type { Consumer } from "../../consumers/schema.js";
import type { Tx } from "../../store/db.js";
import type { RunEvent } from "./schema.js";
import { claimDueRuns, eventsByIds, type RunRow, reclaimExpired, releaseRuns } from "./store.js";
import { describe, iso, tracked, type WorkerState } from "./worker-state.js";

const WAKE_COALESCE_MS = 2;

export interface Claimer {
  /** Something may be due (of `org`, when known): claim soon. */
  wake(org?: string): void;
  /** Returns expired runs to the queue, then wakes. */
  poll(): void;
  /** Claims up to `limit` due runs in `db`; `finishing` are runs ending in the same transaction. */
  claim(db: Tx, limit: number, finishing?: readonly RunRow[]): Promise<RunRow[]>;
  /** Loads what claimed runs need and starts each; hands them all back if that fails. */
  dispatch(runs: RunRow[]): Promise<void>;
  /** Cancels a pending wake (the worker is halting). */
  cancelWake(): void;
}

/** What the worker does with a claimed run; resolves when the run is over for this worker. */
export type RunClaimed = (
  run: RunRow,
  consumer: Consumer | undefined,
  event: RunEvent | undefined,
) => Promise<void>;

export function createClaimer(state: WorkerState, runClaimed: RunClaimed): Claimer {
  const { store, options } = state.deps;
  let wakeTimer: NodeJS.Timeout | undefined;
  let polling = false;

  /**
   * Wakes are coalesced for a moment: events published in a burst are claimed together, one commit for
   * many runs rather than one per event. The moment is far below any webhook's own latency.
   */
  function wake(org?: string): void {
    // An organization near its share is claimed as its runs end, not on every publish of its own.
    if (org !== undefined && !state.held.wakeClaims(org, state.lowWater)) return;
    state.wanted = true;
    if (!state.running || state.claiming || wakeTimer) return;
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      if (state.running && !state.claiming) void claimLoop();
    }, WAKE_COALESCE_MS);
  }

  /** The poll also returns runs of dead workers to the queue. One at a time: a slow database must not pile them up. */
  function poll(): void {
    if (polling) return;
    polling = true;
    void tracked(state, reclaimExpired(store.db, iso(Date.now())))
      .catch((error) => {
        state.log.warn({ err: describe(error) }, "returning expired runs to the queue failed");
        return 0;
      })
      .then(() => {
        polling = false;
        wake();
      });
  }

  /** Claims while there is room and the last claim filled it; one loop at a time. */
  async function claimLoop(): Promise<void> {
    const { held, lowWater, holdLimit, inFlight } = state;
    state.claiming = true;
    try {
      while (state.running && (state.wanted || held.refillDue(lowWater))) {
        const room = holdLimit - inFlight.size;
        if (room <= 0 || (room < lowWater && inFlight.size > 0 && !held.refillDue(lowWater))) break;
        state.wanted = false;
        const runs = await tracked(state, claim(store.db, room));
        if (runs.length === room) state.wanted = true;
        if (runs.length > 0) await dispatch(runs);
      }
    } catch (error) {
      state.log.error({ err: describe(error) }, "claiming runs failed; retrying at the next poll");
    } finally {
      state.claiming = false;
    }
  }

  function claim(db: Tx, limit: number, finishing: readonly RunRow[] = []): Promise<RunRow[]> {
    const now = Date.now();
    return claimDueRuns(db, store.dialect, {
      worker: state.id,
      now: iso(now),
      lockedUntil: iso(now + options.leaseMs),
      limit,
      shares: state.held.claimShares(finishing),
    });
  }

  async function dispatch(runs: RunRow[]): Promise<void> {
    let consumers: Map<string, Consumer>;
    let events: Map<string, RunEvent>;
    try {
      consumers = await tracked(
        state,
        state.deps.consumers.byIds([...new Set(runs.map((r) => r.consumer_id))]),
      );
      events = await tracked(state, eventsByIds(store.db, [...new Set(runs.map((r) => r.event_id))]));
    } catch (error) {
      state.log.error({ err: describe(error) }, "loading claimed runs failed; handing them back");
      const ids = runs.map((r) => r.id);
      await tracked(state, releaseRuns(store.db, state.id, ids, iso(Date.now()))).catch(() => {});
      return;
    }
    for (const run of runs) {
      const task = runClaimed(run, consumers.get(run.consumer_id), events.get(run.event_id))
        .catch((error) => state.log.error({ err: describe(error), runId: run.id }, "run bookkeeping failed"))
        .finally(() => {
          state.inFlight.delete(run.id);
          state.started.delete(run.id);
          state.held.remove(run.org_id);
          if (state.running && (state.wanted || state.held.refillDue(state.lowWater))) wake();
        });
      state.inFlight.set(run.id, task);
      state.held.add(run.org_id);
    }
  }

  return { wake, poll, claim, dispatch, cancelWake: () => clearTimeout(wakeTimer) };
}
