/**
 * The in-worker half of the sandbox: runs one job in a fresh QuickJS runtime and context and reports the
 * outcome as plain data. It has no dependency on worker_threads, so the benchmark can also time it raw.
 *
 * Limits and why each works the way it does:
 * - CPU: an interrupt handler checks a wall-clock deadline (QuickJS polls it every few thousand bytecodes
 *   and inside regexp backtracking); promise jobs are run in small batches with the deadline checked
 *   between batches, so a microtask loop ends too. Native calls that never poll are the watchdog's job
 *   (pool.ts).
 * - Memory: QuickJS's own limit only bounds single allocations in this wasm build (its byte counter needs
 *   malloc_usable_size, which emscripten lacks), so every wasm instance gets a WebAssembly.Memory whose
 *   maximum is the heap budget. malloc then fails at the cap and QuickJS throws "out of memory". Instances
 *   are cached per budget.
 * - Stack: QuickJS's stack limit (256 KiB of the 5 MiB C stack) must trip before the worker's native
 *   stack does; the pool gives workers a 16 MiB native stack, far above what 256 KiB of QuickJS needs.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import {
  newQuickJSWASMModule,
  newVariant,
  type QuickJSContext,
  type QuickJSHandle,
  type QuickJSRuntime,
  type QuickJSWASMModule,
  RELEASE_SYNC,
} from "quickjs-emscripten";
import { jsonDepth, MAX_JSON_DEPTH } from "../../json-depth.js";
import { PRELUDE_FILENAME, PRELUDE_SOURCE } from "./prelude.js";
import {
  type ConsoleLevel,
  type ConsoleLine,
  MAX_CONSOLE_LINE_BYTES,
  MAX_CONSOLE_LINES,
  MAX_OUTPUT_CHARS,
  type SandboxError,
  TRUNCATION_MARK,
  type WorkerJob,
  type WorkerResult,
} from "./types.js";

const MiB = 1024 * 1024;
const WASM_PAGE_BYTES = 64 * 1024;
/** The module declares 16 MiB of initial memory: static data and a 5 MiB C stack, then the heap. */
const MODULE_INITIAL_BYTES = 16 * MiB;
/** Bytes below the heap (static data and C stack), added to the heap budget to size the memory. */
const BELOW_HEAP_BYTES = 6 * MiB;
export const QUICKJS_STACK_BYTES = 256 * 1024;
/** Promise jobs run per batch between two deadline checks. */
const JOB_BATCH = 256;
/** Above this size an instance's memory is released after the run rather than kept for the next. */
const RETAINED_MEMORY_BYTES = 128 * MiB;
/** Distinct memory budgets kept instantiated per worker (most functions use the default). */
const MAX_INSTANCES = 3;

type EmscriptenModuleOptions = NonNullable<Parameters<typeof newVariant>[1]["emscriptenModule"]>;

interface WasmMemory {
  grow(delta: number): number;
  readonly buffer: { readonly byteLength: number };
}

/** The slice of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export const FUNCTION_FILENAME = "function.js";
export const EXPRESSION_FILENAME = "expression.js";
const MAX_STACK_FRAMES = 10;
/** Thrown before the first statement of a syntax probe; reaching it means the text compiled. */
const PROBE_SIGNAL = "cloakroom:compiled";
const PROBE = `throw ${JSON.stringify(PROBE_SIGNAL)};`;
const LEVELS: ReadonlySet<string> = new Set<ConsoleLevel>(["log", "info", "warn", "error"]);

export interface EngineOutcome {
  result: WorkerResult;
  /** The engine could not vouch for its own state after this job (a host-side failure). */
  recycle: boolean;
}

export interface SandboxEngine {
  run(job: WorkerJob): Promise<EngineOutcome>;
}

interface Instance {
  qjs: QuickJSWASMModule;
  memory: WasmMemory;
  /** The last attempt to grow the wasm memory hit the cap: a failed allocation was an out-of-memory. */
  capHit: boolean;
  /** The wasm code called abort() (a failed assertion in QuickJS): the instance is unusable. */
  aborted: boolean;
}

/** Compiles the QuickJS wasm once; instances (one per memory budget) are created from it on demand. */
export async function createSandboxEngine(): Promise<SandboxEngine> {
  const requireFromHere = createRequire(import.meta.url);
  const requireFromQuickJS = createRequire(requireFromHere.resolve("quickjs-emscripten"));
  const wasmPath = requireFromQuickJS.resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
  const wasmModule = await wasm.compile(await readFile(wasmPath));
  const instances = new Map<number, Instance>();

  async function instanceFor(memoryMb: number): Promise<Instance> {
    const cached = instances.get(memoryMb);
    if (cached) {
      instances.delete(memoryMb);
      instances.set(memoryMb, cached);
      return cached;
    }
    const maxBytes = Math.max(MODULE_INITIAL_BYTES, memoryMb * MiB + BELOW_HEAP_BYTES);
    const memory = new wasm.Memory({
      initial: MODULE_INITIAL_BYTES / WASM_PAGE_BYTES,
      maximum: Math.ceil(maxBytes / WASM_PAGE_BYTES),
    });
    const instance: Instance = {
      qjs: undefined as unknown as QuickJSWASMModule,
      memory,
      capHit: false,
      aborted: false,
    };
    const grow = memory.grow.bind(memory);
    // Emscripten grows the heap through this object; watching it tells an out-of-memory at the cap apart
    // from an error the function threw.
    Object.defineProperty(memory, "grow", {
      value: (delta: number) => {
        try {
          const previous = grow(delta);
          instance.capHit = false;
          return previous;
        } catch (error) {
          instance.capHit = true;
          throw error;
        }
      },
    });
    // Emscripten prints "Aborted(...)" to the process's stderr before throwing; the throw is handled (the
    // instance is dropped), so the line is only noise in the server's log, and it is kept out of it.
    // (Both are options of Emscripten's Module object that quickjs-emscripten passes on but does not type.)
    const emscriptenModule = {
      printErr: () => {},
      onAbort: () => {
        instance.aborted = true;
      },
    } as unknown as EmscriptenModuleOptions;
    instance.qjs = await newQuickJSWASMModule(
      newVariant(RELEASE_SYNC, { wasmModule, wasmMemory: memory, emscriptenModule }),
    );
    instances.set(memoryMb, instance);
    while (instances.size > MAX_INSTANCES) {
      const oldest = instances.keys().next().value as number;
      instances.delete(oldest);
    }
    return instance;
  }

  return {
    async run(job) {
      const startedAt = performance.now();
      let instance: Instance;
      try {
        instance = await instanceFor(job.memoryMb);
      } catch {
        return {
          result: failure(crashed(), [], startedAt),
          recycle: true,
        };
      }
      const { result, discard } = runInInstance(instance, job);
      // A dirty instance (leftover jobs, a failed dispose, a wasm trap) is dropped whole: cheaper and safer
      // than trusting its heap. The next job with this budget instantiates a fresh one. So is one whose
      // memory a large run grew: wasm memory never shrinks, and an idle worker should not hold it.
      if (discard || instance.memory.buffer.byteLength > RETAINED_MEMORY_BYTES)
        instances.delete(job.memoryMb);
      const durationMs = round(performance.now() - startedAt);
      return { result: { ...result, durationMs }, recycle: false };
    },
  };
}

type Unfinished = { ok: true; outputJson: string; console: ConsoleLine[] } | Omit<FailedResult, "durationMs">;
type FailedResult = Extract<WorkerResult, { ok: false }>;

/** Thrown inside a run to end it with a classified error. */
class RunFailure {
  constructor(readonly error: SandboxError) {}
}

interface Described {
  isError: boolean;
  name: string;
  message: string;
  stack: string;
  lineNumber: string;
}

type Phase = "compile" | "run" | "output";

function runInInstance(instance: Instance, job: WorkerJob): { result: Unfinished; discard: boolean } {
  const deadline = performance.now() + job.timeoutMs;
  const lines: ConsoleLine[] = [];
  let dropped = 0;
  let interrupted = false;
  const handles: QuickJSHandle[] = [];
  let runtime: QuickJSRuntime | undefined;
  let context: QuickJSContext | undefined;
  let helpers: Helpers | undefined;
  let result: Unfinished;
  let discard = false;
  instance.capHit = false;

  const keep = <T extends QuickJSHandle>(handle: T): T => {
    handles.push(handle);
    return handle;
  };

  try {
    const rt = instance.qjs.newRuntime();
    runtime = rt;
    rt.setMemoryLimit(job.memoryMb * MiB);
    rt.setMaxStackSize(QUICKJS_STACK_BYTES);
    rt.setInterruptHandler(() => {
      if (performance.now() >= deadline) interrupted = true;
      return interrupted;
    });
    const ctx = rt.newContext();
    context = ctx;

    if (job.kind === "empty") {
      result = { ok: true, outputJson: "null", console: lines };
    } else {
      helpers = installPrelude();
      result = runJob(ctx, rt, helpers);
    }
  } catch (error) {
    if (error instanceof RunFailure) {
      result = { ok: false, error: error.error, console: lines };
    } else {
      discard = true;
      result = { ok: false, error: hostFailure(error), console: lines };
    }
  }

  try {
    if (runtime?.hasPendingJob()) discard = true;
    // After an allocation failed at the cap, QuickJS's object lists may not add up, and freeing the
    // runtime then fails an assertion (abort): such an instance is dropped without freeing anything.
    if (instance.capHit || instance.aborted) discard = true;
    if (!discard) {
      for (let i = handles.length - 1; i >= 0; i--) handles[i]!.dispose();
      context?.dispose();
      runtime?.dispose();
    }
  } catch {
    discard = true;
  }
  if (dropped > 0 && lines.length === MAX_CONSOLE_LINES) {
    lines[MAX_CONSOLE_LINES - 1] = {
      level: "warn",
      message: `[${dropped + 1} more console lines were dropped: a run keeps at most ${MAX_CONSOLE_LINES}]`,
    };
  }
  return { result, discard };

  function installPrelude(): Helpers {
    const ctx = context!;
    const emit = keep(
      ctx.newFunction("emit", (levelHandle, messageHandle) => {
        // Never throw from here: the error would enter the sandbox carrying host stack frames.
        try {
          if (lines.length >= MAX_CONSOLE_LINES) {
            dropped++;
            return;
          }
          const level = levelHandle ? ctx.getString(levelHandle) : "log";
          const message = messageHandle ? ctx.getString(messageHandle) : "";
          lines.push({
            level: LEVELS.has(level) ? (level as ConsoleLevel) : "log",
            message: capLine(message),
          });
        } catch {
          dropped++;
        }
      }),
    );
    const factory = keep(unwrap(ctx.evalCode(PRELUDE_SOURCE, PRELUDE_FILENAME, { strict: true }), "run"));
    const helperObject = keep(
      unwrap(
        ctx.callFunction(
          factory,
          ctx.undefined,
          emit,
          keep(ctx.newNumber(MAX_CONSOLE_LINE_BYTES)),
          keep(ctx.newNumber(MAX_CONSOLE_LINES)),
        ),
        "run",
      ),
    );
    return {
      parse: keep(ctx.getProp(helperObject, "parse")),
      serialize: keep(ctx.getProp(helperObject, "serialize")),
      describe: keep(ctx.getProp(helperObject, "describe")),
      setGlobals: keep(ctx.getProp(helperObject, "setGlobals")),
    };
  }

  function runJob(ctx: QuickJSContext, rt: QuickJSRuntime, helpers: Helpers): Unfinished {
    const call = (fn: QuickJSHandle, phase: Phase, ...args: QuickJSHandle[]) =>
      keep(unwrap(ctx.callFunction(fn, ctx.undefined, ...args), phase));
    const fromJson = (json: string) => call(helpers.parse, "run", keep(ctx.newString(json)));

    switch (job.kind) {
      case "syntax": {
        const probe = probeCompile(job.code, FUNCTION_FILENAME, "module");
        if (!probe.compiles) {
          throw new RunFailure(classify(probe.error, "compile", { line: probe.line, columns: PROBE.length }));
        }
        return { ok: true, outputJson: "null", console: lines };
      }
      case "function": {
        const namespace = settle(evaluate(job.code, FUNCTION_FILENAME, "module"));
        const main = keep(ctx.getProp(namespace, "default"));
        if (ctx.typeof(main) !== "function") {
          throw new RunFailure({
            code: "invalid_module",
            message:
              "the module has no default export function: write `export default function process({ event, secrets }) { ... }`",
          });
        }
        const returned = call(main, "run", fromJson(job.inputJson));
        return output(settle(returned));
      }
      case "expression": {
        call(helpers.setGlobals, "run", fromJson(job.contextJson));
        // The newline keeps a trailing line comment from swallowing the closing parenthesis.
        const value = evaluate(`(${job.expression}\n)`, EXPRESSION_FILENAME, "global");
        return output(settle(value));
      }
      default:
        throw new RunFailure(crashed());
    }

    /**
     * Evaluates source text. A SyntaxError (or a failed import) may come from compiling the source or from
     * code it ran (`JSON.parse`, `eval`); only on that path is a probe compiled to tell which.
     */
    function evaluate(source: string, filename: string, type: "module" | "global"): QuickJSHandle {
      const result = ctx.evalCode(source, filename, { type, strict: true });
      if (!result.error) return keep(result.value);
      const error = keep(result.error);
      const columnShift = filename === EXPRESSION_FILENAME ? { line: 1, columns: 1 } : undefined;
      throw new RunFailure(
        classify(
          error,
          () => (probeCompile(source, filename, type).compiles ? "run" : "compile"),
          columnShift,
        ),
      );
    }

    /**
     * Compiles `source` without running any of it: a throw is put before its first statement, so reaching
     * that throw proves the whole text compiled and linked. (quickjs-emscripten's compile-only mode for
     * modules is avoided: it intermittently reports an exception that does not exist.)
     */
    function probeCompile(
      source: string,
      filename: string,
      type: "module" | "global",
    ): { compiles: true } | { compiles: false; error: QuickJSHandle; line: number } {
      const hashbang = source.startsWith("#!");
      const split = hashbang ? source.search(/[\r\n]/) : 0;
      const at = split < 0 ? source.length : split;
      const probed = hashbang ? `${source.slice(0, at)}\n${PROBE}${source.slice(at + 1)}` : PROBE + source;
      const line = hashbang ? 2 : 1;
      const result = ctx.evalCode(probed, filename, { type, strict: true });
      let thrown: QuickJSHandle;
      if (result.error) {
        thrown = keep(result.error);
      } else {
        const value = keep(result.value);
        drain();
        const state = ctx.getPromiseState(value);
        if (state.type !== "rejected") return { compiles: true };
        thrown = keep(state.error);
      }
      const described = describe(thrown);
      if (described && !described.isError && described.message === PROBE_SIGNAL) return { compiles: true };
      return { compiles: false, error: thrown, line };
    }

    function output(value: QuickJSHandle): Unfinished {
      const text = call(helpers.serialize, "output", value);
      // Checked on the VM's string length before copying it out: a returned value past the bound fails the
      // run rather than crossing into the host (the run log keeps far less of it anyway; see runner/caps.ts).
      const length = ctx.getNumber(keep(ctx.getProp(text, "length")));
      if (length > MAX_OUTPUT_CHARS) {
        drain();
        return {
          ok: false,
          error: {
            code: "output_too_large",
            message: `the returned value is ${length} characters of JSON; at most ${MAX_OUTPUT_CHARS} are accepted`,
          },
          console: lines,
        };
      }
      const outputJson = ctx.getString(text);
      if (jsonDepth(outputJson, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
        drain();
        return {
          ok: false,
          error: {
            code: "output_too_deep",
            message: `the returned value nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`,
          },
          console: lines,
        };
      }
      drain();
      return { ok: true, outputJson, console: lines };
    }

    /** Runs promise jobs to exhaustion within the deadline, then unwraps `handle` if it is a promise. */
    function settle(handle: QuickJSHandle): QuickJSHandle {
      drain();
      const state = ctx.getPromiseState(handle);
      if (state.type === "fulfilled") return state.notAPromise ? handle : keep(state.value);
      if (state.type === "rejected") throw new RunFailure(classify(keep(state.error), "run"));
      if (instance.capHit) throw new RunFailure(memoryError());
      throw new RunFailure({
        code: "runtime_error",
        message: "the returned promise never settled (the sandbox has no timers or I/O to wait for)",
      });
    }

    function drain(): void {
      while (rt.hasPendingJob()) {
        if (performance.now() >= deadline) {
          interrupted = true;
          throw new RunFailure(timeoutError());
        }
        const batch = rt.executePendingJobs(JOB_BATCH);
        if (batch.error) throw new RunFailure(classify(keep(batch.error), "run"));
        // A promise job that runs out of memory rejects a promise nobody may be watching, and the jobs it
        // would have queued are lost: a flood then dies out and leaves the function's promise pending
        // forever. The run ends here instead, at the first allocation that failed at the cap.
        if (instance.capHit) throw new RunFailure(memoryError());
      }
    }
  }

  function unwrap(
    result:
      | { error?: QuickJSHandle; value?: QuickJSHandle }
      | { error: QuickJSHandle }
      | { value: QuickJSHandle },
    phase: Phase,
  ): QuickJSHandle {
    if ("error" in result && result.error) throw new RunFailure(classify(keep(result.error), phase));
    return (result as { value: QuickJSHandle }).value;
  }

  function classify(
    error: QuickJSHandle,
    phaseOf: Phase | (() => Phase),
    columnShift?: { line: number; columns: number },
  ): SandboxError {
    if (interrupted) return timeoutError();
    const described = describe(error);
    if (interrupted) return timeoutError();
    if (isOutOfMemory(described)) return memoryError();
    if (!described) {
      return instance.capHit ? memoryError() : { code: "runtime_error", message: "Uncaught exception" };
    }
    if (!described.isError && described.message === "null" && instance.capHit) return memoryError();
    const importFailed =
      described.name === "ReferenceError" && described.message.startsWith("could not load module");
    const maybeCompile = described.name === "SyntaxError" || importFailed;
    const phase = typeof phaseOf === "string" ? phaseOf : maybeCompile ? phaseOf() : "run";
    if (interrupted) return timeoutError();
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
    return { code: "runtime_error", message: runtimeMessage(described) };
  }

  function describe(error: QuickJSHandle): Described | undefined {
    const ctx = context;
    if (!ctx) return undefined;
    try {
      const helper = helpers?.describe;
      if (!helper) {
        const dumped: unknown = ctx.dump(error);
        if (dumped && typeof dumped === "object") {
          const d = dumped as Record<string, unknown>;
          return {
            isError: true,
            name: String(d.name ?? ""),
            message: String(d.message ?? ""),
            stack: String(d.stack ?? ""),
            lineNumber: String(d.lineNumber ?? ""),
          };
        }
        return undefined;
      }
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

  function timeoutError(): SandboxError {
    return { code: "timeout", message: `the run exceeded its time limit of ${job.timeoutMs} ms` };
  }

  function memoryError(): SandboxError {
    return { code: "memory_limit", message: `the run exceeded its memory limit of ${job.memoryMb} MiB` };
  }

  function hostFailure(error: unknown): SandboxError {
    if (interrupted) return timeoutError();
    // The worker's native stack ran out inside QuickJS before QuickJS's own limit tripped.
    if (error instanceof RangeError)
      return { code: "runtime_error", message: "InternalError: stack overflow" };
    if (instance.capHit) return memoryError();
    return crashed();
  }
}

interface Helpers {
  parse: QuickJSHandle;
  serialize: QuickJSHandle;
  describe: QuickJSHandle;
  setGlobals: QuickJSHandle;
}

function isOutOfMemory(described: Described | undefined): boolean {
  return (
    described?.name === "InternalError" &&
    (described.message === "out of memory" || described.message === "string too long")
  );
}

function runtimeMessage(d: Described): string {
  const head = d.isError ? (d.name ? `${d.name}: ${d.message}` : d.message) : `Uncaught ${d.message}`;
  const frames = d.stack
    .trimEnd()
    .split("\n")
    .filter((frame) => frame.trim() !== "");
  // A stack overflow repeats one frame thousands of times; the first few say all there is.
  const shown = frames.slice(0, MAX_STACK_FRAMES);
  if (frames.length > MAX_STACK_FRAMES) shown.push(`    ... ${frames.length - MAX_STACK_FRAMES} more frames`);
  return capLine(shown.length > 0 ? `${head}\n${shown.join("\n")}` : head);
}

function syntaxMessage(d: Described, shift?: { line: number; columns: number }): string {
  const head = d.name ? `${d.name}: ${d.message}` : d.message;
  const at = /:(\d+):(\d+)\)?\s*$/m.exec(d.stack.split("\n")[0] ?? "");
  const line = at ? Number(at[1]) : Number(d.lineNumber) || 0;
  let column = at ? Number(at[2]) : 0;
  if (shift && line === shift.line && column > shift.columns) column -= shift.columns;
  if (line <= 0) return capLine(head);
  return capLine(column > 0 ? `${head} (line ${line}, column ${column})` : `${head} (line ${line})`);
}

function crashed(): SandboxError {
  return { code: "sandbox_crashed", message: "the sandbox failed unexpectedly" };
}

function failure(error: SandboxError, lines: ConsoleLine[], startedAt: number): WorkerResult {
  return { ok: false, error, console: lines, durationMs: round(performance.now() - startedAt) };
}

/** Caps a console line or message at MAX_CONSOLE_LINE_BYTES of UTF-8, marker included. */
export function capLine(text: string): string {
  if (text.length * 3 <= MAX_CONSOLE_LINE_BYTES) return text;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= MAX_CONSOLE_LINE_BYTES) return text;
  let end = MAX_CONSOLE_LINE_BYTES - Buffer.byteLength(TRUNCATION_MARK);
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8") + TRUNCATION_MARK;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
