/**
 * The host half of the sandbox: a pool of worker threads, a queue, and a watchdog per run.
 *
 * Runs execute in workers so that a function spinning for its whole time budget never stalls the server's
 * event loop. Each worker answers one job at a time; the in-sandbox deadline normally ends a run, and if
 * a worker stays silent past timeoutMs + margin (a native call that never reaches an interrupt check),
 * the host terminates it, answers `timeout`, and starts a replacement.
 */
import { availableParallelism } from "node:os";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { AppError } from "../../errors.js";
import { createFairQueue, fairShareTotal } from "../fair-share.js";
import {
  DEFAULT_MEMORY_MB,
  DEFAULT_TIMEOUT_MS,
  MAX_MEMORY_MB,
  MAX_TIMEOUT_MS,
  type SandboxError,
  type SandboxExpressionInput,
  type SandboxPool,
  type SandboxPoolOptions,
  type SandboxResult,
  type SandboxRunInput,
  type SyntaxCheckResult,
  type WorkerJob,
  type WorkerReply,
  type WorkerRequest,
  type WorkerResult,
} from "./types.js";

const DEFAULT_MAX_QUEUE = 1000;
const DEFAULT_WATCHDOG_MARGIN_MS = 1000;
/** Threads beyond `size` kept for other organizations while one holds `size` (decision 0140). */
const DEFAULT_RESERVE = 1;
/** Runs that name no organization (syntax checks, benchmarks) share this one. */
const NO_TENANT = "";
/** Workers that die before becoming ready this many times in a row stop being restarted until the next run. */
const MAX_START_FAILURES = 3;
/** The native stack must outlast QuickJS's 256 KiB limit by far (deep parser recursion uses ~16x). */
const WORKER_STACK_MB = 16;
/** Bounds the worker's own JS heap (console lines, output text); the QuickJS heap is wasm memory. */
const WORKER_HEAP_MB = 256;

/** The pool plus what the benchmark needs: a run of an empty fresh context through the same path. */
export interface InstrumentedSandboxPool extends SandboxPool {
  runEmpty(options?: { timeoutMs?: number; memoryMb?: number; tenant?: string }): Promise<SandboxResult>;
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

export function createSandboxPool(options: SandboxPoolOptions = {}): InstrumentedSandboxPool {
  const size = positiveInteger(options.size, Math.min(2, availableParallelism()), "size");
  const maxQueue = positiveInteger(options.maxQueue, DEFAULT_MAX_QUEUE, "maxQueue");
  const margin = options.watchdogMarginMs ?? DEFAULT_WATCHDOG_MARGIN_MS;
  const reserve = options.reserve ?? DEFAULT_RESERVE;
  if (!Number.isInteger(reserve) || reserve < 0)
    throw new RangeError("reserve must be a non-negative integer");
  // One organization gets at most `size` threads, as the whole pool was before; the `reserve` threads on
  // top keep room for another organization while one spins in all of its own.
  const shares = { perTenant: size, reserve };
  const threads = fairShareTotal(shares);
  const slots = new Set<Slot>();
  const queue = createFairQueue<Task>(shares);
  let nextId = 0;
  let startFailures = 0;
  let closed = false;

  function submit(job: WorkerJob, tenant: string = NO_TENANT): Promise<WorkerResult> {
    if (closed) return Promise.reject(new AppError("unavailable", "the sandbox pool is closed"));
    if (queue.waiting >= maxQueue) {
      return Promise.reject(new AppError("unavailable", "the sandbox is busy: too many runs are waiting"));
    }
    return new Promise((resolve) => {
      queue.push(tenant, { job, tenant, resolve });
      while (slots.size < threads) spawn();
      dispatch();
    });
  }

  function spawn(): void {
    const slot: Slot = {
      worker: startWorker(),
      ready: false,
      dead: false,
      task: undefined,
      taskId: 0,
      startedAt: 0,
      watchdog: undefined,
    };
    slots.add(slot);
    slot.worker.on("message", (reply: WorkerReply) => onReply(slot, reply));
    slot.worker.on("error", () => onDeath(slot));
    slot.worker.on("exit", () => onDeath(slot));
  }

  /** Gives each idle thread the next task the fair queue allows. */
  function dispatch(): void {
    for (const slot of slots) {
      if (queue.waiting === 0) return;
      if (!slot.ready || slot.dead || slot.task) continue;
      const task = queue.next()?.item;
      if (!task) return;
      const id = ++nextId;
      slot.task = task;
      slot.taskId = id;
      slot.startedAt = performance.now();
      slot.worker.ref();
      slot.watchdog = setTimeout(() => onWatchdog(slot, id), task.job.timeoutMs + margin);
      slot.worker.postMessage({ id, job: task.job } satisfies WorkerRequest);
    }
  }

  function onReply(slot: Slot, reply: WorkerReply): void {
    if (slot.dead) return;
    if (reply.type === "ready") {
      slot.ready = true;
      startFailures = 0;
      if (!slot.task) slot.worker.unref();
      dispatch();
      return;
    }
    if (reply.id !== slot.taskId || !slot.task) return;
    const task = slot.task;
    clearTimeout(slot.watchdog);
    slot.task = undefined;
    queue.release(task.tenant);
    slot.worker.unref();
    if (reply.recycle) replace(slot);
    task.resolve(reply.result);
    dispatch();
  }

  function onWatchdog(slot: Slot, id: number): void {
    if (slot.dead || slot.taskId !== id || !slot.task) return;
    const task = slot.task;
    const error: SandboxError = {
      code: "timeout",
      message: `the run exceeded its time limit of ${task.job.timeoutMs} ms`,
    };
    const durationMs = Math.round(performance.now() - slot.startedAt);
    slot.task = undefined;
    queue.release(task.tenant);
    replace(slot);
    task.resolve({ ok: false, error, console: [], durationMs });
    dispatch();
  }

  function onDeath(slot: Slot): void {
    if (slot.dead) return;
    slot.dead = true;
    slots.delete(slot);
    clearTimeout(slot.watchdog);
    const task = slot.task;
    slot.task = undefined;
    if (task) queue.release(task.tenant);
    if (!slot.ready) startFailures++;
    if (task) task.resolve(crashedResult(performance.now() - slot.startedAt));
    if (closed) return;
    if (startFailures >= MAX_START_FAILURES) {
      // The worker cannot start (e.g. the wasm file is missing): fail what waits rather than loop.
      startFailures = 0;
      for (const waiting of queue.drain()) waiting.resolve(crashedResult(0));
      return;
    }
    if (queue.waiting > 0 || slots.size < threads) spawn();
    dispatch();
  }

  function replace(slot: Slot): void {
    retire(slot);
    if (!closed) spawn();
  }

  function retire(slot: Slot): Promise<number> {
    slot.dead = true;
    slots.delete(slot);
    clearTimeout(slot.watchdog);
    return slot.worker.terminate();
  }

  async function run(job: WorkerJob, tenant?: string): Promise<SandboxResult> {
    const result = await submit(job, tenant);
    if (!result.ok) return result;
    let output: unknown;
    try {
      output = JSON.parse(result.outputJson);
    } catch {
      return {
        ok: false,
        error: { code: "output_not_json", message: "the returned value is not JSON" },
        console: result.console,
        durationMs: result.durationMs,
      };
    }
    return { ok: true, output, console: result.console, durationMs: result.durationMs };
  }

  return {
    runFunction(input: SandboxRunInput) {
      try {
        requireString(input.code, "code");
        const inputJson = toJson(
          {
            event: input.event ?? null,
            secrets: input.secrets ?? {},
            ...(input.steps !== undefined ? { steps: input.steps } : {}),
          },
          "event and secrets",
        );
        return run({ kind: "function", code: input.code, inputJson, ...limits(input) }, input.tenant);
      } catch (error) {
        return Promise.reject(error);
      }
    },

    evalExpression(input: SandboxExpressionInput) {
      try {
        requireString(input.expression, "expression");
        const contextJson = toJson(input.context ?? {}, "context");
        return run(
          { kind: "expression", expression: input.expression, contextJson, ...limits(input) },
          input.tenant,
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async checkSyntax(code: string, tenant?: string): Promise<SyntaxCheckResult> {
      requireString(code, "code");
      const result = await submit({ kind: "syntax", code, ...limits({}) }, tenant);
      return result.ok ? { ok: true } : { ok: false, message: result.error.message };
    },

    runEmpty(options = {}) {
      try {
        return run({ kind: "empty", ...limits(options) }, options.tenant);
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      for (const task of queue.drain()) task.resolve(closedResult());
      const stopping: Promise<number>[] = [];
      for (const slot of [...slots]) {
        const task = slot.task;
        slot.task = undefined;
        stopping.push(retire(slot));
        task?.resolve(closedResult());
      }
      await Promise.all(stopping);
    },
  };
}

/**
 * Starts a worker from the file beside this one with the same extension: worker.js from dist/ in
 * production, worker.ts under tsx in tests. Node 20 does not carry the parent's --import loader hooks
 * into worker threads, so a TypeScript worker registers tsx itself before importing the entry.
 */
function startWorker(): Worker {
  const extension = extname(fileURLToPath(import.meta.url));
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

function limits(input: { timeoutMs?: number; memoryMb?: number }): { timeoutMs: number; memoryMb: number } {
  const timeoutMs = input.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const memoryMb = input.memoryMb ?? DEFAULT_MEMORY_MB;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new AppError("invalid_request", `timeoutMs must be an integer from 1 to ${MAX_TIMEOUT_MS}`);
  }
  if (!Number.isInteger(memoryMb) || memoryMb < 1 || memoryMb > MAX_MEMORY_MB) {
    throw new AppError("invalid_request", `memoryMb must be an integer from 1 to ${MAX_MEMORY_MB}`);
  }
  return { timeoutMs, memoryMb };
}

function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (typeof json !== "string") throw new AppError("invalid_request", `${what} must be JSON`);
  return json;
}

function requireString(value: unknown, name: string): void {
  if (typeof value !== "string") throw new AppError("invalid_request", `${name} must be a string`);
}

function positiveInteger(value: number | undefined, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  if (!Number.isInteger(chosen) || chosen < 1) throw new RangeError(`${name} must be a positive integer`);
  return chosen;
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
