/**
 * One run in a QuickJS instance, as named steps: open a runtime with the job's limits, install the
 * prelude, run the job (check syntax, call a module's default export, or evaluate an expression), then
 * release the runtime or mark the instance for discarding. Why the limits work as they do: engine.ts.
 */
import type { QuickJSContext, QuickJSHandle, QuickJSRuntime } from "quickjs-emscripten";
import { jsonDepth, MAX_JSON_DEPTH } from "../../json-depth.js";
import { capLine, crashed } from "./engine-messages.js";
import {
  classify,
  describe,
  type Helpers,
  hostFailure,
  type Instance,
  keep,
  newRun,
  type Phase,
  type Run,
  RunFailure,
  runOutOfMemory,
  runTimeout,
  type Unfinished,
  unwrap,
} from "./engine-state.js";
import { PRELUDE_FILENAME, PRELUDE_SOURCE } from "./prelude.js";
import {
  type ConsoleLevel,
  MAX_CONSOLE_LINE_BYTES,
  MAX_CONSOLE_LINES,
  MAX_OUTPUT_CHARS,
  type WorkerJob,
} from "./types.js";

export const QUICKJS_STACK_BYTES = 256 * 1024;
export const FUNCTION_FILENAME = "function.js";
export const EXPRESSION_FILENAME = "expression.js";
const MiB = 1024 * 1024;
/** Promise jobs run per batch between two deadline checks. */
const JOB_BATCH = 256;
/** Thrown before the first statement of a syntax probe; reaching it means the text compiled. */
const PROBE_SIGNAL = "cloakroom:compiled";
const PROBE = `throw ${JSON.stringify(PROBE_SIGNAL)};`;
const LEVELS: ReadonlySet<string> = new Set<ConsoleLevel>(["log", "info", "warn", "error"]);

/** A run with its runtime, context and prelude in place: what the job's steps work on. */
interface Vm {
  run: Run;
  ctx: QuickJSContext;
  rt: QuickJSRuntime;
  helpers: Helpers;
}

export function runInInstance(instance: Instance, job: WorkerJob): { result: Unfinished; discard: boolean } {
  const run = newRun(instance, job);
  instance.capHit = false;
  let result: Unfinished;
  let discard = false;
  try {
    const { rt, ctx } = openRuntime(run);
    if (job.kind === "empty") {
      result = { ok: true, outputJson: "null", console: run.lines };
    } else {
      const helpers = installPrelude(run, ctx);
      run.helpers = helpers;
      result = runJob({ run, ctx, rt, helpers });
    }
  } catch (error) {
    if (error instanceof RunFailure) {
      result = { ok: false, error: error.error, console: run.lines };
    } else {
      discard = true;
      result = { ok: false, error: hostFailure(run, error), console: run.lines };
    }
  }
  // A dirty instance is not freed at all (see release); a host failure already made it dirty.
  if (!discard && !release(run)) discard = true;
  noteDroppedLines(run);
  return { result, discard };
}

/** A fresh runtime and context with the job's memory, stack and time limits. */
function openRuntime(run: Run): { rt: QuickJSRuntime; ctx: QuickJSContext } {
  const rt = run.instance.qjs.newRuntime();
  run.runtime = rt;
  rt.setMemoryLimit(run.job.memoryMb * MiB);
  rt.setMaxStackSize(QUICKJS_STACK_BYTES);
  rt.setInterruptHandler(() => {
    if (performance.now() >= run.deadline) run.interrupted = true;
    return run.interrupted;
  });
  const ctx = rt.newContext();
  run.context = ctx;
  return { rt, ctx };
}

/**
 * Frees the run's handles, context and runtime. Returns false when the instance cannot be trusted after
 * this run (leftover jobs, an allocation failed at the cap, an abort, or a failed dispose).
 */
function release(run: Run): boolean {
  try {
    if (run.runtime?.hasPendingJob()) return false;
    // After an allocation failed at the cap, QuickJS's object lists may not add up, and freeing the
    // runtime then fails an assertion (abort): such an instance is dropped without freeing anything.
    if (run.instance.capHit || run.instance.aborted) return false;
    for (let i = run.handles.length - 1; i >= 0; i--) run.handles[i]!.dispose();
    run.context?.dispose();
    run.runtime?.dispose();
    return true;
  } catch {
    return false;
  }
}

/** The last kept console line says how many were dropped. */
function noteDroppedLines(run: Run): void {
  if (run.dropped > 0 && run.lines.length === MAX_CONSOLE_LINES) {
    run.lines[MAX_CONSOLE_LINES - 1] = {
      level: "warn",
      message: `[${run.dropped + 1} more console lines were dropped: a run keeps at most ${MAX_CONSOLE_LINES}]`,
    };
  }
}

function installPrelude(run: Run, ctx: QuickJSContext): Helpers {
  const emit = keep(
    run,
    ctx.newFunction("emit", (level, message) => emitLine(run, ctx, level, message)),
  );
  const factory = keep(
    run,
    unwrap(run, ctx.evalCode(PRELUDE_SOURCE, PRELUDE_FILENAME, { strict: true }), "run"),
  );
  const maxLineBytes = keep(run, ctx.newNumber(MAX_CONSOLE_LINE_BYTES));
  const maxLines = keep(run, ctx.newNumber(MAX_CONSOLE_LINES));
  const helperObject = keep(
    run,
    unwrap(run, ctx.callFunction(factory, ctx.undefined, emit, maxLineBytes, maxLines), "run"),
  );
  return {
    parse: keep(run, ctx.getProp(helperObject, "parse")),
    serialize: keep(run, ctx.getProp(helperObject, "serialize")),
    describe: keep(run, ctx.getProp(helperObject, "describe")),
    setGlobals: keep(run, ctx.getProp(helperObject, "setGlobals")),
  };
}

/** The host side of `console.*`: keeps a capped line, or counts it as dropped. */
function emitLine(run: Run, ctx: QuickJSContext, levelHandle?: QuickJSHandle, messageHandle?: QuickJSHandle) {
  // Never throw from here: the error would enter the sandbox carrying host stack frames.
  try {
    if (run.lines.length >= MAX_CONSOLE_LINES) {
      run.dropped++;
      return;
    }
    const level = levelHandle ? ctx.getString(levelHandle) : "log";
    const message = messageHandle ? ctx.getString(messageHandle) : "";
    run.lines.push({
      level: LEVELS.has(level) ? (level as ConsoleLevel) : "log",
      message: capLine(message),
    });
  } catch {
    run.dropped++;
  }
}

function runJob(vm: Vm): Unfinished {
  const { run, ctx, helpers } = vm;
  const job = run.job;
  switch (job.kind) {
    case "syntax": {
      const probe = probeCompile(vm, job.code, FUNCTION_FILENAME, "module");
      if (!probe.compiles) {
        throw new RunFailure(
          classify(run, probe.error, "compile", { line: probe.line, columns: PROBE.length }),
        );
      }
      return { ok: true, outputJson: "null", console: run.lines };
    }
    case "function": {
      const namespace = settle(vm, evaluate(vm, job.code, FUNCTION_FILENAME, "module"));
      const main = keep(run, ctx.getProp(namespace, "default"));
      if (ctx.typeof(main) !== "function") {
        throw new RunFailure({
          code: "invalid_module",
          message:
            "the module has no default export function: write `export default function process({ event, secrets }) { ... }`",
        });
      }
      const returned = call(vm, main, "run", fromJson(vm, job.inputJson));
      return output(vm, settle(vm, returned));
    }
    case "expression": {
      call(vm, helpers.setGlobals, "run", fromJson(vm, job.contextJson));
      // The newline keeps a trailing line comment from swallowing the closing parenthesis.
      const value = evaluate(vm, `(${job.expression}\n)`, EXPRESSION_FILENAME, "global");
      return output(vm, settle(vm, value));
    }
    default:
      throw new RunFailure(crashed());
  }
}

function call(vm: Vm, fn: QuickJSHandle, phase: Phase, ...args: QuickJSHandle[]): QuickJSHandle {
  return keep(vm.run, unwrap(vm.run, vm.ctx.callFunction(fn, vm.ctx.undefined, ...args), phase));
}

function fromJson(vm: Vm, json: string): QuickJSHandle {
  return call(vm, vm.helpers.parse, "run", keep(vm.run, vm.ctx.newString(json)));
}

/**
 * Evaluates source text. A SyntaxError (or a failed import) may come from compiling the source or from
 * code it ran (`JSON.parse`, `eval`); only on that path is a probe compiled to tell which.
 */
function evaluate(vm: Vm, source: string, filename: string, type: "module" | "global"): QuickJSHandle {
  const result = vm.ctx.evalCode(source, filename, { type, strict: true });
  if (!result.error) return keep(vm.run, result.value);
  const error = keep(vm.run, result.error);
  const columnShift = filename === EXPRESSION_FILENAME ? { line: 1, columns: 1 } : undefined;
  const phase = () => (probeCompile(vm, source, filename, type).compiles ? "run" : "compile");
  throw new RunFailure(classify(vm.run, error, phase, columnShift));
}

/**
 * Compiles `source` without running any of it: a throw is put before its first statement, so reaching
 * that throw proves the whole text compiled and linked. (quickjs-emscripten's compile-only mode for
 * modules is avoided: it intermittently reports an exception that does not exist.)
 */
function probeCompile(
  vm: Vm,
  source: string,
  filename: string,
  type: "module" | "global",
): { compiles: true } | { compiles: false; error: QuickJSHandle; line: number } {
  const { run, ctx } = vm;
  const hashbang = source.startsWith("#!");
  const split = hashbang ? source.search(/[\r\n]/) : 0;
  const at = split < 0 ? source.length : split;
  const probed = hashbang ? `${source.slice(0, at)}\n${PROBE}${source.slice(at + 1)}` : PROBE + source;
  const line = hashbang ? 2 : 1;
  const result = ctx.evalCode(probed, filename, { type, strict: true });
  let thrown: QuickJSHandle;
  if (result.error) {
    thrown = keep(run, result.error);
  } else {
    const value = keep(run, result.value);
    drain(vm);
    const state = ctx.getPromiseState(value);
    if (state.type !== "rejected") return { compiles: true };
    thrown = keep(run, state.error);
  }
  const described = describe(run, thrown);
  if (described && !described.isError && described.message === PROBE_SIGNAL) return { compiles: true };
  return { compiles: false, error: thrown, line };
}

/** Serializes the returned value inside the sandbox and copies it out if it is within the bounds. */
function output(vm: Vm, value: QuickJSHandle): Unfinished {
  const { run, ctx } = vm;
  const text = call(vm, vm.helpers.serialize, "output", value);
  // Checked on the VM's string length before copying it out: a returned value past the bound fails the
  // run rather than crossing into the host (the run log keeps far less of it anyway; see runner/caps.ts).
  const length = ctx.getNumber(keep(run, ctx.getProp(text, "length")));
  if (length > MAX_OUTPUT_CHARS) {
    drain(vm);
    const message = `the returned value is ${length} characters of JSON; at most ${MAX_OUTPUT_CHARS} are accepted`;
    return { ok: false, error: { code: "output_too_large", message }, console: run.lines };
  }
  const outputJson = ctx.getString(text);
  if (jsonDepth(outputJson, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    drain(vm);
    const message = `the returned value nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`;
    return { ok: false, error: { code: "output_too_deep", message }, console: run.lines };
  }
  drain(vm);
  return { ok: true, outputJson, console: run.lines };
}

/** Runs promise jobs to exhaustion within the deadline, then unwraps `handle` if it is a promise. */
function settle(vm: Vm, handle: QuickJSHandle): QuickJSHandle {
  const { run, ctx } = vm;
  drain(vm);
  const state = ctx.getPromiseState(handle);
  if (state.type === "fulfilled") return state.notAPromise ? handle : keep(run, state.value);
  if (state.type === "rejected") throw new RunFailure(classify(run, keep(run, state.error), "run"));
  if (run.instance.capHit) throw new RunFailure(runOutOfMemory(run));
  throw new RunFailure({
    code: "runtime_error",
    message: "the returned promise never settled (the sandbox has no timers or I/O to wait for)",
  });
}

/** Also ends an expression job (engine-expressions.ts). */
export function drain(vm: Pick<Vm, "run" | "rt">): void {
  const { run, rt } = vm;
  while (rt.hasPendingJob()) {
    if (performance.now() >= run.deadline) {
      run.interrupted = true;
      throw new RunFailure(runTimeout(run));
    }
    const batch = rt.executePendingJobs(JOB_BATCH);
    if (batch.error) throw new RunFailure(classify(run, keep(run, batch.error), "run"));
    // A promise job that runs out of memory rejects a promise nobody may be watching, and the jobs it
    // would have queued are lost: a flood then dies out and leaves the function's promise pending
    // forever. The run ends here instead, at the first allocation that failed at the cap.
    if (run.instance.capHit) throw new RunFailure(runOutOfMemory(run));
  }
}
