/**
 * The worker threads of the sandbox pool, a fair queue in front of them, and a watchdog per run. Each
 * thread answers one job at a time; the in-sandbox deadline normally ends a run, and if a thread stays
 * silent past timeoutMs + margin (a native call that never reaches an interrupt check), it is terminated,
 * the run answered `timeout`, and a replacement started.
 */
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { AppError } from "../../errors.js";
import { createFairQueue, type FairQueue, fairShareTotal } from "../fair-share.js";
import type { SandboxError, WorkerJob, WorkerReply, WorkerRequest, WorkerResult } from "./types.js";

/** Runs that name no organization (syntax checks, benchmarks) share this one. */
const NO_TENANT = "";
/** Workers that die before becoming ready this many times in a row stop being restarted until the next run. */
const MAX_START_FAILURES = 3;
/** The native stack must outlast QuickJS's 256 KiB limit by far (deep parser recursion uses ~16x). */
const WORKER_STACK_MB = 16;
/** Bounds the worker's own JS heap (console lines, output text); the QuickJS heap is wasm memory. */
const WORKER_HEAP_MB = 256;

export interface Threads {
  /** Queues a job for `tenant`'s fair share of the threads; resolves with the thread's answer. */
  submit(job: WorkerJob, tenant?: string): Promise<WorkerResult>;
  /** Answers what waits and what runs as closed, and terminates every thread. */
  close(): Promise<void>;
}

export interface ThreadOptions {
  /** Threads one organization may hold. */
  size: number;
  /** Threads on top of `size` kept for other organizations (decision 0140). */
  reserve: number;
  maxQueue: number;
  watchdogMarginMs: number;
}

interface Task {
  job: WorkerJob;
  tenant: string;
  resolve: (result: WorkerResult) => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  task: Task | undefined;
  taskId: number;
  startedAt: number;
  watchdog: NodeJS.Timeout | undefined;
}

/** The pool's state, shared by the handlers below. */
interface Pool {
  readonly options: ThreadOptions;
  /** Threads the pool runs at most: `size` plus `reserve`. */
  readonly threads: number;
  readonly slots: Set<Slot>;
  readonly queue: FairQueue<Task>;
  nextId: number;
  startFailures: number;
  closed: boolean;
}

export function createThreads(options: ThreadOptions): Threads {
  // One organization gets at most `size` threads, as the whole pool was before; the `reserve` threads on
  // top keep room for another organization while one spins in all of its own.
  const shares = { perTenant: options.size, reserve: options.reserve };
  const pool: Pool = {
    options,
    threads: fairShareTotal(shares),
    slots: new Set(),
    queue: createFairQueue<Task>(shares),
    nextId: 0,
    startFailures: 0,
    closed: false,
  };
  return {
    submit(job, tenant = NO_TENANT) {
      if (pool.closed) return Promise.reject(new AppError("unavailable", "the sandbox pool is closed"));
      if (pool.queue.waiting >= options.maxQueue) {
        return Promise.reject(new AppError("unavailable", "the sandbox is busy: too many runs are waiting"));
      }
      return new Promise((resolve) => {
        pool.queue.push(tenant, { job, tenant, resolve });
        while (pool.slots.size < pool.threads) spawn(pool);
        dispatch(pool);
      });
    },
    close: () => close(pool),
  };
}

function spawn(pool: Pool): void {
  const slot: Slot = {
    worker: startWorker(),
    ready: false,
    dead: false,
    task: undefined,
    taskId: 0,
    startedAt: 0,
    watchdog: undefined,
  };
  pool.slots.add(slot);
  slot.worker.on("message", (reply: WorkerReply) => onReply(pool, slot, reply));
  slot.worker.on("error", () => onDeath(pool, slot));
  slot.worker.on("exit", () => onDeath(pool, slot));
}

/** Gives each idle thread the next task the fair queue allows. */
function dispatch(pool: Pool): void {
  for (const slot of pool.slots) {
    if (pool.queue.waiting === 0) return;
    if (!slot.ready || slot.dead || slot.task) continue;
    const task = pool.queue.next()?.item;
    if (!task) return;
    const id = ++pool.nextId;
    slot.task = task;
    slot.taskId = id;
    slot.startedAt = performance.now();
    slot.worker.ref();
    slot.watchdog = setTimeout(
      () => onWatchdog(pool, slot, id),
      task.job.timeoutMs + pool.options.watchdogMarginMs,
    );
    slot.worker.postMessage({ id, job: task.job } satisfies WorkerRequest);
  }
}

function onReply(pool: Pool, slot: Slot, reply: WorkerReply): void {
  if (slot.dead) return;
  if (reply.type === "ready") {
    slot.ready = true;
    pool.startFailures = 0;
    if (!slot.task) slot.worker.unref();
    dispatch(pool);
    return;
  }
  if (reply.id !== slot.taskId || !slot.task) return;
  const task = slot.task;
  clearTimeout(slot.watchdog);
  slot.task = undefined;
  pool.queue.release(task.tenant);
  slot.worker.unref();
  if (reply.recycle) replace(pool, slot);
  task.resolve(reply.result);
  dispatch(pool);
}

function onWatchdog(pool: Pool, slot: Slot, id: number): void {
  if (slot.dead || slot.taskId !== id || !slot.task) return;
  const task = slot.task;
  const error: SandboxError = {
    code: "timeout",
    message: `the run exceeded its time limit of ${task.job.timeoutMs} ms`,
  };
  const durationMs = Math.round(performance.now() - slot.startedAt);
  slot.task = undefined;
  pool.queue.release(task.tenant);
  replace(pool, slot);
  task.resolve({ ok: false, error, console: [], durationMs });
  dispatch(pool);
}

function onDeath(pool: Pool, slot: Slot): void {
  if (slot.dead) return;
  slot.dead = true;
  pool.slots.delete(slot);
  clearTimeout(slot.watchdog);
  const task = slot.task;
  slot.task = undefined;
  if (task) pool.queue.release(task.tenant);
  if (!slot.ready) pool.startFailures++;
  if (task) task.resolve(crashedResult(performance.now() - slot.startedAt));
  if (pool.closed) return;
  if (pool.startFailures >= MAX_START_FAILURES) {
    // The worker cannot start (e.g. the wasm file is missing): fail what waits rather than loop.
    pool.startFailures = 0;
    for (const waiting of pool.queue.drain()) waiting.resolve(crashedResult(0));
    return;
  }
  if (pool.queue.waiting > 0 || pool.slots.size < pool.threads) spawn(pool);
  dispatch(pool);
}

function replace(pool: Pool, slot: Slot): void {
  retire(pool, slot);
  if (!pool.closed) spawn(pool);
}

function retire(pool: Pool, slot: Slot): Promise<number> {
  slot.dead = true;
  pool.slots.delete(slot);
  clearTimeout(slot.watchdog);
  return slot.worker.terminate();
}

async function close(pool: Pool): Promise<void> {
  if (pool.closed) return;
  pool.closed = true;
  for (const task of pool.queue.drain()) task.resolve(closedResult());
  const stopping: Promise<number>[] = [];
  for (const slot of [...pool.slots]) {
    const task = slot.task;
    slot.task = undefined;
    stopping.push(retire(pool, slot));
    task?.resolve(closedResult());
  }
  await Promise.all(stopping);
}

/**
 * Starts a worker from the file beside this one: worker.js from dist/ in production (beside the bundle's
 * main.cjs, or this file in dist/src), worker.ts under tsx in tests. Node 20 does not carry the parent's
 * --import loader hooks into worker threads, so a TypeScript worker registers tsx itself before importing
 * the entry.
 */
function startWorker(): Worker {
  const extension = extname(fileURLToPath(import.meta.url)) === ".ts" ? ".ts" : ".js";
  const entry = new URL(`./worker${extension}`, import.meta.url);
  const options = {
    env: {},
    resourceLimits: { stackSizeMb: WORKER_STACK_MB, maxOldGenerationSizeMb: WORKER_HEAP_MB },
  };
  if (extension !== ".ts") return new Worker(entry, options);
  const tsxApi = import.meta.resolve("tsx/esm/api");
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}

function crashedResult(elapsedMs: number): WorkerResult {
  return {
    ok: false,
    error: { code: "sandbox_crashed", message: "the sandbox failed unexpectedly" },
    console: [],
    durationMs: Math.round(elapsedMs),
  };
}

function closedResult(): WorkerResult {
  return {
    ok: false,
    error: { code: "sandbox_crashed", message: "the sandbox pool was closed" },
    console: [],
    durationMs: 0,
  };
}
