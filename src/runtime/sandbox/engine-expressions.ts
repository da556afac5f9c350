/**
 * An `expressions` job (SPEC X4, decision 0250): a fresh QuickJS context, in a runtime the instance keeps
 * for expression jobs, gets the scope from SETUP (expression-setup.ts); then each expression is evaluated
 * in the global scope and its value read through the QuickJS API, one item per expression. No prelude and
 * no driver program: QuickJS in wasm compiles about 10 bytes of code per microsecond, so a job compiles
 * little beyond its expressions. The context is readied while the worker is idle (`prepareExpressions`).
 *
 * Nothing of a job survives it but the runtime: the context, and with it every global and built-in an
 * expression could change, is freed at the end of the job. The runtime is freed too (and a new one made)
 * after any job that failed as a whole, and every RUNTIME_JOBS jobs, which collects the cycles freed
 * contexts leave. A dirty instance (leftover promise jobs, an allocation that failed at the cap, an
 * abort) is dropped whole, as for every other job.
 *
 * One exception (decision 0310): a lean job whose every source the worker itself judges simple
 * (simple.ts) runs in a context kept for its organization and those exact sources. A simple expression
 * cannot assign, define or call anything it chooses, so it leaves nothing behind in the context: the
 * next such job gets the same context with its own scope, and the scope's globals are cleared after each
 * job. This spares the context's creation and freeing, most of a small job's cost.
 */
import {
  DefaultIntrinsics,
  type Intrinsics,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
} from "quickjs-emscripten";
import { evaluateKept, freeContext, keepKey, keptContext } from "./engine-kept.js";
import { capLine, outputTooLarge, withoutSecretParts } from "./engine-messages.js";
import { drain, EXPRESSION_FILENAME, QUICKJS_STACK_BYTES } from "./engine-run.js";
import type { Instance, KeptRuntime, Prepared, Run, Unfinished } from "./engine-state.js";
import {
  call,
  hostFailure,
  keep,
  newRun,
  RunFailure,
  runOutOfMemory,
  runTimeout,
  unwrap,
} from "./engine-state.js";
import {
  DESCRIBE_SOURCE,
  type ExpressionItem,
  FULL_SETUP_SOURCE,
  LEAN_GUARD_SOURCE,
  SETUP_FILENAME,
  SETUP_SOURCE,
} from "./expression-setup.js";
import { WEB_HELPERS_SOURCE } from "./prelude.js";
import { type ExpressionsJob, MAX_OUTPUT_CHARS } from "./types.js";

const MiB = 1024 * 1024;
/** Jobs a kept runtime serves before it is freed and replaced. */
export const RUNTIME_JOBS = 64;
/** The globals a job's scope sets (expression-setup.ts), cleared when a kept context's job ends. */
const SCOPE_GLOBALS = ["event", "steps", "secrets"] as const;
/**
 * What a kept runtime may still hold once a job's context is freed. Objects in reference cycles outlive
 * their context until QuickJS collects them, which it does only when objects are made past a threshold
 * that can lie above the memory limit (and never for a string): a job that left 40 MiB of cycles made the
 * next job, maybe another organization's, fail with `memory_limit` at its first allocation. Past this the
 * runtime is freed (which collects everything), so every job starts with nearly its whole budget. Plain
 * jobs leave about 20 KB each (a context waiting for a collection): 64 of them stay well under it.
 */
const leftoverBytes = (memoryMb: number) => Math.min(4 * MiB, (memoryMb * MiB) / 8);

/**
 * What a simple expression can reach (decision 0171 bars calls, functions and every global but `event`,
 * `steps` and `secrets`): the base objects (through literals, `constructor` and prototypes), regular
 * expression literals, `String.prototype.normalize` as a property; plus what the driver uses (eval, JSON,
 * Proxy). Date, Map and Set, typed arrays and Promise are reachable only by name or through calls.
 */
const LEAN: Intrinsics = {
  BaseObjects: true,
  Eval: true,
  JSON: true,
  Proxy: true,
  RegExp: true,
  StringNormalize: true,
};

export interface ExpressionsOutcome {
  result: Unfinished;
  /** The instance cannot be trusted after this job (a host-side failure). */
  discard: boolean;
  /**
   * Frees the job's context, after its answer is sent; false when the instance cannot be trusted after
   * it (see `release`). The engine calls it before the next job at the latest.
   */
  release(): boolean;
}

export function runExpressions(instance: Instance, job: ExpressionsJob): ExpressionsOutcome {
  const run = newRun(instance, job);
  instance.capHit = false;
  let kept: KeptRuntime | undefined;
  let context: Prepared | undefined;
  let reused = false;
  let result: Unfinished;
  let discard = false;
  try {
    const runtime = keptRuntime(instance, job.memoryMb);
    kept = runtime;
    runtime.current = run;
    run.runtime = runtime.rt;
    const key = keepKey(runtime, job);
    const fresh = () => takeContext(runtime, true);
    const keptOne = key === undefined ? undefined : keptContext(run, runtime, key, fresh);
    reused = keptOne !== undefined;
    context = keptOne ?? takeContext(runtime, job.lean);
    run.context = context.ctx;
    result = context.loop ? evaluateKept(run, context, runtime) : evaluate(run, context, runtime, job);
  } catch (error) {
    if (error instanceof RunFailure) {
      result = { ok: false, error: error.error, console: [] };
    } else {
      discard = true;
      result = { ok: false, error: hostFailure(run, error), console: [] };
    }
  }
  if (kept) kept.current = undefined;
  const ok = result.ok;
  return {
    result,
    discard,
    release() {
      const clean = !discard && release(run, kept, context, ok, reused);
      if (!clean) instance.expressions = undefined;
      return clean;
    },
  };
}

/**
 * While the worker is idle (after an answer is sent): readies a fresh context of each kind, lean and full,
 * SETUP compiled and, for a full context, FULL_SETUP run, so the next job starts at its scope. No
 * expression has run in it; a job takes it and it is freed with the job. False: the instance is dirty.
 */
export function prepareExpressions(instance: Instance, memoryMb: number, lean: boolean): boolean {
  instance.capHit = false;
  try {
    const kept = keptRuntime(instance, memoryMb);
    // The kind just used first; the other too when a new runtime has none, so a flow that mixes lean
    // and full batches finds both ready.
    for (const isLean of [lean, !lean])
      kept.prepared[isLean ? "lean" : "full"] ??= openContext(kept.rt, isLean);
    return true;
  } catch {
    // The next job opens its own context; an instance whose allocation failed at the cap is not trusted.
    return !instance.capHit && !instance.aborted;
  }
}

/** The instance's expression runtime, opened with the job's limits on first use. */
function keptRuntime(instance: Instance, memoryMb: number): KeptRuntime {
  if (instance.expressions) return instance.expressions;
  const rt = instance.qjs.newRuntime();
  const kept: KeptRuntime = {
    rt,
    current: undefined,
    jobs: 0,
    prepared: {},
    kept: new Map(),
    seen: new Set(),
    refused: new Set(),
    keptSinceRead: 0,
  };
  instance.expressions = kept;
  // Instances are per memory budget, so the budget is the same for every job this runtime serves.
  rt.setMemoryLimit(memoryMb * MiB);
  rt.setMaxStackSize(QUICKJS_STACK_BYTES);
  rt.setInterruptHandler(() => {
    const run = kept.current;
    if (!run) return false;
    if (performance.now() >= run.deadline) run.interrupted = true;
    return run.interrupted;
  });
  return kept;
}

function takeContext(kept: KeptRuntime, lean: boolean): Prepared {
  const kind = lean ? "lean" : "full";
  const ready = kept.prepared[kind];
  kept.prepared[kind] = undefined;
  return ready ?? openContext(kept.rt, lean);
}

/** A fresh context with SETUP compiled (and FULL_SETUP run in a full one): nothing of any job in it. */
function openContext(rt: QuickJSRuntime, lean: boolean): Prepared {
  const ctx = rt.newContext({ intrinsics: lean ? LEAN : DefaultIntrinsics });
  const handles: QuickJSHandle[] = [];
  const held = (result: ReturnType<QuickJSContext["evalCode"]>): QuickJSHandle => {
    if (result.error) {
      handles.push(result.error);
      throw new Error("the expressions' setup failed");
    }
    handles.push(result.value);
    return result.value;
  };
  try {
    if (lean) held(ctx.evalCode(LEAN_GUARD_SOURCE, SETUP_FILENAME));
    if (!lean) {
      const full = held(ctx.evalCode(FULL_SETUP_SOURCE, SETUP_FILENAME));
      const web = ctx.newString(WEB_HELPERS_SOURCE);
      handles.push(web);
      held(ctx.callFunction(full, ctx.undefined, web));
    }
    const setup = held(ctx.evalCode(SETUP_SOURCE, SETUP_FILENAME));
    return { ctx, setup, handles };
  } catch (error) {
    for (const handle of handles) handle.dispose();
    ctx.dispose();
    throw error;
  }
}

/** What SETUP answered, captured before the first expression runs. */
interface Captured {
  marker: QuickJSHandle;
  missing: QuickJSHandle;
  stringify: QuickJSHandle;
  String: QuickJSHandle;
}

function evaluate(run: Run, context: Prepared, kept: KeptRuntime, job: ExpressionsJob): Unfinished {
  const { ctx } = context;
  const held = call(run, ctx, context.setup, keep(run, ctx.newString(job.scopeJson)));
  const at = (i: number) => keep(run, ctx.getProp(held, i));
  const captured: Captured = { marker: at(0), missing: at(1), stringify: at(2), String: at(3) };
  const items: ExpressionItem[] = [];
  const size = { chars: 0 };
  for (const source of job.sources) {
    const item = one(run, ctx, captured, source, size);
    // A thrown text or a missing name counts toward the bound as a value does.
    const told = "error" in item ? item.error : "missing" in item ? item.missing : undefined;
    size.chars += told?.length ?? 0;
    if (size.chars > MAX_OUTPUT_CHARS) throw new RunFailure(outputTooLarge());
    items.push(item);
    if (!job.keepGoing && !("text" in item || "json" in item)) break;
  }
  // Promise jobs an expression queued run now, under the deadline, as they did after the prelude's runs.
  drain({ run, rt: kept.rt });
  if (run.instance.capHit) throw new RunFailure(runOutOfMemory(run));
  return { ok: true, outputJson: JSON.stringify(items), console: [] };
}

/** Evaluates one expression in the global scope and reads its value as text, JSON or what it is instead. */
function one(
  run: Run,
  ctx: QuickJSContext,
  captured: Captured,
  source: string,
  size: { chars: number },
): ExpressionItem {
  const result = ctx.evalCode(source, EXPRESSION_FILENAME, { type: "global", strict: true });
  if (result.error) return thrown(run, ctx, captured, keep(run, result.error));
  const value = keep(run, result.value);
  const type = ctx.typeof(value);
  if (type === "string") return { text: text(run, ctx, value, size) };
  if (type === "number" || type === "boolean" || type === "bigint") {
    return { text: text(run, ctx, call(run, ctx, captured.String, value), size) };
  }
  if (type !== "object") return { not: type as "undefined" | "function" | "symbol" };
  const state = ctx.getPromiseState(value);
  if (state.type !== "fulfilled" || !state.notAPromise) {
    if (state.type === "fulfilled") keep(run, state.value);
    if (state.type === "rejected") keep(run, state.error);
    return { not: "promise" };
  }
  const json = ctx.callFunction(captured.stringify, ctx.undefined, value);
  if (json.error) return thrown(run, ctx, captured, keep(run, json.error));
  const kept = keep(run, json.value);
  return ctx.typeof(kept) === "string" ? { json: text(run, ctx, kept, size) } : { not: "json" };
}

/** A string from the sandbox, once its length is known to keep the job's answer within bounds. */
function text(run: Run, ctx: QuickJSContext, value: QuickJSHandle, size: { chars: number }): string {
  size.chars += ctx.getNumber(keep(run, ctx.getProp(value, "length")));
  if (size.chars > MAX_OUTPUT_CHARS) throw new RunFailure(outputTooLarge());
  return ctx.getString(value);
}

/** What an expression threw: the time or memory limit ends the job; `marker` names a missing secret. */
function thrown(run: Run, ctx: QuickJSContext, captured: Captured, error: QuickJSHandle): ExpressionItem {
  if (run.interrupted) throw new RunFailure(runTimeout(run));
  if (run.instance.capHit) throw new RunFailure(runOutOfMemory(run));
  if (ctx.sameValue(error, captured.marker)) {
    return { missing: ctx.getString(call(run, ctx, captured.missing)) };
  }
  const describe = keep(run, unwrap(run, ctx.evalCode(DESCRIBE_SOURCE, SETUP_FILENAME), "run"));
  const message = ctx.callFunction(describe, ctx.undefined, error, captured.String);
  if (message.error) {
    keep(run, message.error);
    if (run.interrupted) throw new RunFailure(runTimeout(run));
    return { error: "Uncaught exception" };
  }
  return { error: capLine(withoutSecretParts(ctx.getString(keep(run, message.value)), run.job)) };
}

/**
 * Whether to read the heap after this job (30-90 µs, more with more kept contexts to walk): after every
 * job in a fresh context, whose freed context may leave cycles; after a kept context's job, only every
 * KEPT_HEAP_EVERY jobs or when its scope was large. A simple expression makes no closure, no function and
 * no object that refers to itself (decision 0310), so a kept job leaves no cycle but SETUP's closures,
 * and the rest of its garbage is freed with its scope; the periodic read bounds what a mistake in that
 * argument could leave before the runtime is renewed.
 */
function heapDue(kept: KeptRuntime, run: Run, reused: boolean): boolean {
  if (!reused || (run.job as ExpressionsJob).scopeJson.length > KEPT_SCOPE_READ) return true;
  kept.keptSinceRead++;
  if (kept.keptSinceRead < KEPT_HEAP_EVERY) return false;
  kept.keptSinceRead = 0;
  return true;
}
const KEPT_HEAP_EVERY = 8;
const KEPT_SCOPE_READ = 64 * 1024;

/**
 * The bytes the runtime's heap holds (QuickJS's count, objects in unreachable cycles included), read from
 * its memory report: the only measure quickjs-emscripten offers without a context of the runtime's own.
 */
function heapInUse(rt: QuickJSRuntime): number {
  const used = /^memory used\s+\d+\s+(\d+)/m.exec(rt.dumpMemoryUsage());
  // A report without the line (another QuickJS build): as if full, so the runtime is not kept.
  return used ? Number(used[1]) : Number.POSITIVE_INFINITY;
}

/**
 * Frees the job's handles and context, and the runtime when it is not to serve another job. Returns false
 * when the instance cannot be trusted after this job (see engine-run.ts `release`).
 */
function release(
  run: Run,
  kept: KeptRuntime | undefined,
  context: Prepared | undefined,
  ok: boolean,
  reused: boolean,
): boolean {
  try {
    if (!kept || kept.rt.hasPendingJob()) return false;
    if (run.instance.capHit || run.instance.aborted) return false;
    for (let i = run.handles.length - 1; i >= 0; i--) run.handles[i]!.dispose();
    if (context && reused) {
      // The job's scope, its secrets included, does not wait in the context for the next job.
      for (const name of SCOPE_GLOBALS) context.ctx.setProp(context.ctx.global, name, context.ctx.undefined);
    } else if (context) {
      freeContext(context);
    }
    kept.jobs++;
    if (
      !ok ||
      run.interrupted ||
      kept.jobs >= RUNTIME_JOBS ||
      (heapDue(kept, run, reused) && heapInUse(kept.rt) > leftoverBytes(run.job.memoryMb))
    ) {
      run.instance.expressions = undefined;
      for (const ready of [kept.prepared.lean, kept.prepared.full, ...kept.kept.values()]) {
        if (ready) freeContext(ready);
      }
      kept.rt.dispose();
    }
    return true;
  } catch {
    return false;
  }
}
