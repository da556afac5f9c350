/** Public types of the sandbox (SPEC X3, X4) and the messages between the pool and its workers. */

export interface SandboxRunInput {
  code: string;
  event: unknown;
  secrets: Record<string, unknown>;
  /** A flow's logic step also gets `steps` (X4): the outputs of the steps before it. */
  steps?: Record<string, unknown>;
  /** Wall-clock budget of the run inside the worker; default 1000. */
  timeoutMs?: number;
  /** Heap budget of the run; default 64. */
  memoryMb?: number;
  /** The organization the run is for: threads are shared fairly between organizations. */
  tenant?: string;
}

export interface SandboxExpressionInput {
  expression: string;
  /** Each key becomes a global of the expression (e.g. `secrets`, `event`). */
  context: Record<string, unknown>;
  timeoutMs?: number;
  memoryMb?: number;
  /** The organization the evaluation is for (see SandboxRunInput.tenant). */
  tenant?: string;
}

/** A flow step's expressions, or several steps', evaluated together in one fresh context (SPEC X4). */
export interface SandboxExpressionsInput {
  /** Each in sandbox form (`"use strict";(<text>\n)`, flow-analysis.ts `sandboxSource`). */
  sources: string[];
  /** Go on past an expression that throws (each gets its own error) rather than stop at the first. */
  keepGoing: boolean;
  /** The expressions' globals; `secrets` holds only the values they may read. */
  scope: { event: unknown; steps: Record<string, unknown>; secrets: Record<string, unknown> };
  /**
   * Every expression is simple (decision 0171: no calls, no functions, no global but `event`, `steps` and
   * `secrets`), so none can tell the built-ins it cannot reach are missing: the context is created with
   * fewer of them (decision 0250).
   */
  lean: boolean;
  timeoutMs?: number;
  memoryMb?: number;
  /** The organization the evaluation is for (see SandboxRunInput.tenant). */
  tenant?: string;
}

export type ConsoleLevel = "log" | "info" | "warn" | "error";

export interface ConsoleLine {
  level: ConsoleLevel;
  message: string;
}

export type SandboxErrorCode =
  | "timeout"
  | "memory_limit"
  | "runtime_error"
  | "syntax_error"
  | "invalid_module"
  | "output_not_json"
  | "output_too_large"
  | "output_too_deep"
  | "sandbox_crashed";

export interface SandboxError {
  code: SandboxErrorCode;
  message: string;
}

export type SandboxResult =
  | { ok: true; output: unknown; console: ConsoleLine[]; durationMs: number }
  | { ok: false; error: SandboxError; console: ConsoleLine[]; durationMs: number };

export type SyntaxCheckResult = { ok: true } | { ok: false; message: string };

export interface SandboxPool {
  /** X3: runs `export default function process({ event, secrets })`, sync or async. */
  runFunction(input: SandboxRunInput): Promise<SandboxResult>;
  /** X4: evaluates one JavaScript expression (a template literal such as `` `Bearer ${secrets.API_KEY}` `` or any other). */
  evalExpression(input: SandboxExpressionInput): Promise<SandboxResult>;
  /**
   * X4: a batch of expressions in one fresh context, without the prelude; the output is one item per
   * expression evaluated (`ExpressionItem`, expression-setup.ts).
   */
  evalExpressions(input: SandboxExpressionsInput): Promise<SandboxResult>;
  /** Compiles a logic function without running it, for save-time validation. */
  checkSyntax(code: string, tenant?: string): Promise<SyntaxCheckResult>;
  close(): Promise<void>;
}

export interface SandboxPoolOptions {
  /** Worker threads one organization may use at once; default min(2, available CPUs). */
  size?: number;
  /**
   * Threads beyond `size`, kept for other organizations while one holds `size` of them (a tenant spinning
   * to its timeout in every thread must not stall the others); default 1. The pool starts size + reserve.
   */
  reserve?: number;
  /** Runs waiting for a worker beyond which new runs are refused; default 1000. */
  maxQueue?: number;
  /**
   * Extra time the host grants a worker past a run's timeoutMs before it terminates and replaces the
   * worker; default 1000. The in-sandbox deadline normally ends a run first; this is the last resort for
   * native operations that never reach an interrupt check.
   */
  watchdogMarginMs?: number;
}

export const DEFAULT_TIMEOUT_MS = 1000;
export const DEFAULT_MEMORY_MB = 64;
export const MAX_TIMEOUT_MS = 60_000;
/** A wasm32 heap cannot exceed 2 GiB; keep well below so one run cannot starve the host. */
export const MAX_MEMORY_MB = 1024;
export const MAX_CONSOLE_LINES = 1000;
export const MAX_CONSOLE_LINE_BYTES = 16 * 1024;
/** Ends a console line or message cut at MAX_CONSOLE_LINE_BYTES; the run log redacts the cut text (X6). */
export const TRUNCATION_MARK = "… [truncated]";
/** A function's return value, as JSON text, in characters; past it the run fails with output_too_large. */
export const MAX_OUTPUT_CHARS = 1024 * 1024;

/** A job as the worker receives it: inputs are JSON text, never host objects. */
export type WorkerJob =
  | { kind: "function"; code: string; inputJson: string; timeoutMs: number; memoryMb: number }
  | { kind: "expression"; expression: string; contextJson: string; timeoutMs: number; memoryMb: number }
  | { kind: "syntax"; code: string; timeoutMs: number; memoryMb: number }
  | ExpressionsJob
  /** A fresh runtime and context that evaluate nothing: the baseline of the benchmark. */
  | { kind: "empty"; timeoutMs: number; memoryMb: number };

/** A batch of expressions (engine-expressions.ts); the scope enters as JSON text, like every input. */
export interface ExpressionsJob {
  kind: "expressions";
  sources: string[];
  keepGoing: boolean;
  scopeJson: string;
  lean: boolean;
  /**
   * The organization (the pool's tenant) of a lean job: a later lean job of the same organization with the
   * same sources may run in this job's context, once the worker has judged every source simple itself
   * (engine-expressions.ts, decision 0310).
   */
  keepFor?: string;
  timeoutMs: number;
  memoryMb: number;
}

/** What the worker answers: the output stays JSON text until the host parses it. */
export type WorkerResult =
  | { ok: true; outputJson: string; console: ConsoleLine[]; durationMs: number }
  | { ok: false; error: SandboxError; console: ConsoleLine[]; durationMs: number };

export type WorkerRequest = { id: number; job: WorkerJob };
export type WorkerReply =
  | { type: "ready" }
  /** `recycle` asks the pool to replace the worker after this answer (its state is no longer trusted). */
  | { type: "result"; id: number; result: WorkerResult; recycle: boolean };
