/**
 * One run's state and the classification of what went wrong in it. The run's steps (engine-run.ts) share
 * this state explicitly rather than through a closure, so each step is a named function that says what it
 * reads and changes.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from "quickjs-emscripten";
import {
  crashed,
  type Described,
  isOutOfMemory,
  memoryError,
  runtimeMessage,
  syntaxMessage,
  timeoutError,
  withoutSecretParts,
} from "./engine-messages.js";
import type { ConsoleLine, SandboxError, WorkerJob, WorkerResult } from "./types.js";

export interface WasmMemory {
  grow(delta: number): number;
  readonly buffer: { readonly byteLength: number };
}

/** A QuickJS wasm instance with its own memory; one per memory budget, reused across runs. */
export interface Instance {
  qjs: QuickJSWASMModule;
  memory: WasmMemory;
  /** The last attempt to grow the wasm memory hit the cap: a failed allocation was an out-of-memory. */
  capHit: boolean;
  /** The wasm code called abort() (a failed assertion in QuickJS): the instance is unusable. */
  aborted: boolean;
  /** The runtime expression jobs open their fresh contexts in (engine-expressions.ts, decision 0250). */
  expressions?: KeptRuntime | undefined;
}

/**
 * A QuickJS runtime kept across expression jobs. Each job gets a fresh context, but for a job of simple
 * expressions, which may run in a context an earlier job of its organization and sources used (0310).
 */
export interface KeptRuntime {
  rt: QuickJSRuntime;
  /** The run in progress, whose deadline the runtime's interrupt handler checks. */
  current: Run | undefined;
  /** Jobs it has served; past a bound it is freed (which collects what the contexts left). */
  jobs: number;
  /** Fresh contexts readied while the worker was idle, one per kind at most. */
  prepared: { lean?: Prepared | undefined; full?: Prepared | undefined };
  /**
   * Lean contexts kept for jobs of simple expressions, by organization and sources, least recently used
   * first (decision 0310); freed with the runtime.
   */
  kept: Map<string, Prepared>;
  /** Keys seen once in this runtime: a key gets a kept context when it comes again (decision 0310). */
  seen: Set<string>;
  /** Keys whose kept context could not be made (engine-expressions.ts `keptContext`): fresh ones. */
  refused: Set<string>;
  /** Kept contexts' jobs since the heap was last read (engine-expressions.ts `heapDue`). */
  keptSinceRead: number;
}

/** A fresh context with the expressions' setup compiled; no job has used it. */
export interface Prepared {
  ctx: QuickJSContext;
  /** SETUP, compiled: the job calls it with its scope. */
  setup: QuickJSHandle;
  /** Freed with the context. */
  handles: QuickJSHandle[];
  /** A kept context's evaluation loop for its sources (expression-setup.ts KEPT_LOOP_SOURCE). */
  loop?: QuickJSHandle;
}

/** The prelude's functions, called from the host. */
export interface Helpers {
  parse: QuickJSHandle;
  serialize: QuickJSHandle;
  describe: QuickJSHandle;
  setGlobals: QuickJSHandle;
}

export interface Run {
  readonly instance: Instance;
  readonly job: WorkerJob;
  /** performance.now() past which the run is out of time. */
  readonly deadline: number;
  readonly lines: ConsoleLine[];
  /** Console lines not kept because the run already had MAX_CONSOLE_LINES. */
  dropped: number;
  /** The deadline passed: whatever error follows is reported as a timeout. */
  interrupted: boolean;
  /** Every handle the run created, disposed in reverse order when it ends cleanly. */
  readonly handles: QuickJSHandle[];
  runtime?: QuickJSRuntime;
  context?: QuickJSContext;
  helpers?: Helpers;
}

export type FailedResult = Extract<WorkerResult, { ok: false }>;
export type Unfinished =
  | { ok: true; outputJson: string; console: ConsoleLine[] }
  | Omit<FailedResult, "durationMs">;
export type Phase = "compile" | "run" | "output";

/** Thrown inside a run to end it with a classified error. */
export class RunFailure {
  constructor(readonly error: SandboxError) {}
}

export function newRun(instance: Instance, job: WorkerJob): Run {
  return {
    instance,
    job,
    deadline: performance.now() + job.timeoutMs,
    lines: [],
    dropped: 0,
    interrupted: false,
    handles: [],
  };
}

/** Records `handle` for disposal at the end of the run. */
export function keep<T extends QuickJSHandle>(run: Run, handle: T): T {
  run.handles.push(handle);
  return handle;
}

export function unwrap(
  run: Run,
  result:
    | { error?: QuickJSHandle; value?: QuickJSHandle }
    | { error: QuickJSHandle }
    | { value: QuickJSHandle },
  phase: Phase,
): QuickJSHandle {
  if ("error" in result && result.error) throw new RunFailure(classify(run, keep(run, result.error), phase));
  return (result as { value: QuickJSHandle }).value;
}

export function runTimeout(run: Run): SandboxError {
  return timeoutError(run.job.timeoutMs);
}

export function runOutOfMemory(run: Run): SandboxError {
  return memoryError(run.job.memoryMb);
}

/** Turns a value thrown in the sandbox into the error the caller sees, in the phase it was thrown. */
export function classify(
  run: Run,
  error: QuickJSHandle,
  phaseOf: Phase | (() => Phase),
  columnShift?: { line: number; columns: number },
): SandboxError {
  if (run.interrupted) return runTimeout(run);
  const described = describe(run, error);
  if (run.interrupted) return runTimeout(run);
  if (isOutOfMemory(described)) return runOutOfMemory(run);
  if (!described) {
    return run.instance.capHit
      ? runOutOfMemory(run)
      : { code: "runtime_error", message: "Uncaught exception" };
  }
  if (!described.isError && described.message === "null" && run.instance.capHit) return runOutOfMemory(run);
  const importFailed =
    described.name === "ReferenceError" && described.message.startsWith("could not load module");
  const maybeCompile = described.name === "SyntaxError" || importFailed;
  const phase = typeof phaseOf === "string" ? phaseOf : maybeCompile ? phaseOf() : "run";
  if (run.interrupted) return runTimeout(run);
  if (phase === "compile") {
    if (importFailed) {
      return {
        code: "invalid_module",
        message: `imports are not available in the sandbox: ${described.message}`,
      };
    }
    return { code: "syntax_error", message: syntaxMessage(described, columnShift) };
  }
  if (phase === "output") {
    return { code: "output_not_json", message: `the returned value is not JSON: ${described.message}` };
  }
  return { code: "runtime_error", message: withoutSecretParts(runtimeMessage(described), run.job) };
}

/** Asks the sandbox what `error` is; before the prelude is installed, `dump` has to do. */
export function describe(run: Run, error: QuickJSHandle): Described | undefined {
  const ctx = run.context;
  if (!ctx) return undefined;
  try {
    const helper = run.helpers?.describe;
    if (!helper) return dumped(ctx.dump(error));
    const described = ctx.callFunction(helper, ctx.undefined, error);
    if (described.error) {
      described.error.dispose();
      return undefined;
    }
    const json = described.value.consume((h) => ctx.getString(h));
    const parsed = JSON.parse(json) as Record<string, unknown>;
    const text = (key: string) => (typeof parsed[key] === "string" ? (parsed[key] as string) : "");
    return {
      isError: parsed.isError === true,
      name: text("name"),
      message: text("message"),
      stack: text("stack"),
      lineNumber: text("lineNumber"),
    };
  } catch {
    return undefined;
  }
}

function dumped(value: unknown): Described | undefined {
  if (!value || typeof value !== "object") return undefined;
  const d = value as Record<string, unknown>;
  return {
    isError: true,
    name: String(d.name ?? ""),
    message: String(d.message ?? ""),
    stack: String(d.stack ?? ""),
    lineNumber: String(d.lineNumber ?? ""),
  };
}

/** An exception from the host side of QuickJS (not one the function threw). */
export function hostFailure(run: Run, error: unknown): SandboxError {
  if (run.interrupted) return runTimeout(run);
  // The worker's native stack ran out inside QuickJS before QuickJS's own limit tripped.
  if (error instanceof RangeError) return { code: "runtime_error", message: "InternalError: stack overflow" };
  if (run.instance.capHit) return runOutOfMemory(run);
  return crashed();
}

/** Calls `fn` in the run's context; its value is kept for the run's clean-up, a throw classified. */
export function call(
  run: Run,
  ctx: QuickJSContext,
  fn: QuickJSHandle,
  ...args: QuickJSHandle[]
): QuickJSHandle {
  return keep(run, unwrap(run, ctx.callFunction(fn, ctx.undefined, ...args), "run"));
}
