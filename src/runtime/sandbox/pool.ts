/**
 * The host half of the sandbox: checks a run's input and limits, hands it to the pool's worker threads
 * (pool-threads.ts, with the queue and the watchdog), and parses what comes back.
 *
 * Runs execute in workers so that a function spinning for its whole time budget never stalls the server's
 * event loop. Each worker answers one job at a time; the in-sandbox deadline normally ends a run, and if
 * a worker stays silent past timeoutMs + margin (a native call that never reaches an interrupt check),
 * the host terminates it, answers `timeout`, and starts a replacement.
 */
import { availableParallelism } from "node:os";
import { AppError } from "../../errors.js";
import { createThreads } from "./pool-threads.js";
import {
  DEFAULT_MEMORY_MB,
  DEFAULT_TIMEOUT_MS,
  MAX_MEMORY_MB,
  MAX_TIMEOUT_MS,
  type SandboxExpressionInput,
  type SandboxExpressionsInput,
  type SandboxPool,
  type SandboxPoolOptions,
  type SandboxResult,
  type SandboxRunInput,
  type SyntaxCheckResult,
  type WorkerJob,
} from "./types.js";

const DEFAULT_MAX_QUEUE = 1000;
const DEFAULT_WATCHDOG_MARGIN_MS = 1000;
/** Threads beyond `size` kept for other organizations while one holds `size` (decision 0140). */
const DEFAULT_RESERVE = 1;

/** The pool plus what the benchmark needs: a run of an empty fresh context through the same path. */
export interface InstrumentedSandboxPool extends SandboxPool {
  runEmpty(options?: { timeoutMs?: number; memoryMb?: number; tenant?: string }): Promise<SandboxResult>;
}

export function createSandboxPool(options: SandboxPoolOptions = {}): InstrumentedSandboxPool {
  const size = positiveInteger(options.size, Math.min(2, availableParallelism()), "size");
  const maxQueue = positiveInteger(options.maxQueue, DEFAULT_MAX_QUEUE, "maxQueue");
  const watchdogMarginMs = options.watchdogMarginMs ?? DEFAULT_WATCHDOG_MARGIN_MS;
  const reserve = options.reserve ?? DEFAULT_RESERVE;
  if (!Number.isInteger(reserve) || reserve < 0)
    throw new RangeError("reserve must be a non-negative integer");
  const threads = createThreads({ size, reserve, maxQueue, watchdogMarginMs });

  async function run(job: WorkerJob, tenant?: string): Promise<SandboxResult> {
    const result = await threads.submit(job, tenant);
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

    evalExpressions(input: SandboxExpressionsInput) {
      try {
        const { sources, keepGoing, scope, lean } = input;
        if (!Array.isArray(sources)) throw new AppError("invalid_request", "sources must be an array");
        for (const source of sources) requireString(source, "each source");
        const scopeJson = toJson(
          { event: scope.event ?? null, steps: scope.steps, secrets: scope.secrets },
          "the expressions' scope",
        );
        const keepFor = lean ? { keepFor: input.tenant ?? "" } : {};
        return run(
          { kind: "expressions", sources, keepGoing, scopeJson, lean, ...keepFor, ...limits(input) },
          input.tenant,
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async checkSyntax(code: string, tenant?: string): Promise<SyntaxCheckResult> {
      requireString(code, "code");
      const result = await threads.submit({ kind: "syntax", code, ...limits({}) }, tenant);
      return result.ok ? { ok: true } : { ok: false, message: result.error.message };
    },

    runEmpty(options = {}) {
      try {
        return run({ kind: "empty", ...limits(options) }, options.tenant);
      } catch (error) {
        return Promise.reject(error);
      }
    },

    close: () => threads.close(),
  };
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
