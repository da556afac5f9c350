/**
 * What the parts of one run worker share (worker.ts puts them together). The claim loop, the execution
 * slots and the group commit each live in their own file; the flags they coordinate through are here, in
 * one place, each with the rule it keeps.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import type { Consumer } from "../../consumers/schema.js";
import type { ConsumersService } from "../../consumers/service.js";
import type { Store } from "../../store/db.js";
import type { Executor } from "./execute.js";
import { createHeldRuns, type HeldRuns } from "./fairness.js";
import type { RunnerOptions } from "./options.js";
import type { RunLogEntry, RunStatus } from "./schema.js";
import type { RunRow } from "./store.js";

export interface WorkerDeps {
  store: Store;
  consumers: Pick<ConsumersService, "byIds">;
  executor: Executor;
  options: RunnerOptions;
  logger: Logger;
  /** Told of every run that ends (metrics). */
  onFinished?(kind: Consumer["kind"], status: RunStatus): void;
}

export interface WorkerState {
  readonly id: string;
  readonly deps: WorkerDeps;
  readonly log: Logger;
  /** Started and neither stopped nor abandoned: nothing new is claimed or retried once it is false. */
  running: boolean;
  /**
   * A claim is under way, by the claim loop or by a group commit refilling in its own transaction. One at
   * a time: whoever sets it claims and dispatches, then clears it.
   */
  claiming: boolean;
  /** Something may be due that the last claim did not take: claim again when there is room. */
  wanted: boolean;
  /** Runs this worker holds (claimed, waiting for a slot or executing), with the task that ends each. */
  readonly inFlight: Map<string, Promise<void>>;
  /** Runs whose attempt is counted and under way. */
  readonly started: Set<string>;
  /** Runs whose outcome waits for its commit; their leases are no longer renewed (see renewLeases). */
  readonly finishing: Set<string>;
  /** Held runs per organization (fairness.ts, decision 0140). */
  readonly held: HeldRuns;
  /** The most runs the worker holds at once. */
  readonly holdLimit: number;
  /** Room below which a claim waits for more runs to end (unless an organization needs a refill). */
  readonly lowWater: number;
  /** Database calls in progress, by call number, with the time each began (health). */
  readonly outstanding: Map<number, number>;
  nextCall: number;
}

export function createWorkerState(deps: WorkerDeps): WorkerState {
  const id = `${hostname()}/${process.pid}/${randomBytes(4).toString("hex")}`;
  // The worker holds up to twice as many runs as it executes at once: the extra ones wait for a slot and
  // take it the moment one frees, without a round trip to the database. A claim is a write transaction
  // (an fsync on SQLite): claiming one run whenever one finishes would cost a commit per run, so the
  // worker claims only once there is room for half as many runs as it executes, and fills it all.
  // Measured (bench/fanout.bench.ts, a target answering in 20 ms): claiming only for free slots kept them
  // a quarter idle on average. Each organization holds at most what the whole worker held before; the
  // worker holds a reserve more for the others (fairness.ts, decision 0140).
  const held = createHeldRuns(deps.options);
  return {
    id,
    deps,
    log: deps.logger.child({ component: "runner", worker: id }),
    running: false,
    claiming: false,
    wanted: false,
    inFlight: new Map(),
    started: new Set(),
    finishing: new Set(),
    held,
    holdLimit: held.total,
    lowWater: Math.max(1, Math.ceil(deps.options.concurrency / 2)),
    outstanding: new Map(),
    nextCall: 0,
  };
}

/** Every database call of the worker goes through here, so that one that never returns is seen. */
export function tracked<T>(state: WorkerState, call: Promise<T>): Promise<T> {
  const key = state.nextCall++;
  state.outstanding.set(key, Date.now());
  return call.finally(() => state.outstanding.delete(key));
}

/** A run's outcome on its way to the group commit. */
export interface Completion {
  run: RunRow;
  status: RunStatus;
  entry: RunLogEntry | null;
  done(committed: boolean): void;
}

export type Complete = (c: Omit<Completion, "done">, consumer?: Consumer) => Promise<void>;

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** What a log line may say about an error: its kind and code, never a message that could quote a value. */
export function describe(error: unknown): { type: string; code?: string } {
  const e = error as { name?: unknown; code?: unknown } | null;
  return {
    type: typeof e?.name === "string" ? e.name : typeof error,
    ...(typeof e?.code === "string" ? { code: e.code } : {}),
  };
}
