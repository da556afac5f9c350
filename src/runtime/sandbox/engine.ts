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
 *
 * This file keeps the instances; one run's steps are in engine-run.ts, its state and error classification
 * in engine-state.ts, the error texts in engine-messages.ts.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { newQuickJSWASMModule, newVariant, type QuickJSWASMModule, RELEASE_SYNC } from "quickjs-emscripten";
import { prepareExpressions, runExpressions } from "./engine-expressions.js";
import { crashed } from "./engine-messages.js";
import { runInInstance } from "./engine-run.js";
import type { Instance, Unfinished, WasmMemory } from "./engine-state.js";
import type { WorkerJob, WorkerResult } from "./types.js";

export { capLine } from "./engine-messages.js";
export { EXPRESSION_FILENAME, FUNCTION_FILENAME, QUICKJS_STACK_BYTES } from "./engine-run.js";

const MiB = 1024 * 1024;
const WASM_PAGE_BYTES = 64 * 1024;
/** The module declares 16 MiB of initial memory: static data and a 5 MiB C stack, then the heap. */
const MODULE_INITIAL_BYTES = 16 * MiB;
/** Bytes below the heap (static data and C stack), added to the heap budget to size the memory. */
const BELOW_HEAP_BYTES = 6 * MiB;
/** Above this size an instance's memory is released after the run rather than kept for the next. */
const RETAINED_MEMORY_BYTES = 128 * MiB;
/** Distinct memory budgets kept instantiated per worker (most functions use the default). */
const MAX_INSTANCES = 3;

type EmscriptenModuleOptions = NonNullable<Parameters<typeof newVariant>[1]["emscriptenModule"]>;

/** The slice of the WebAssembly API used here (the project's TypeScript libs do not declare it). */
interface WasmApi {
  compile(bytes: Uint8Array): Promise<object>;
  Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory;
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

export interface EngineOutcome {
  result: WorkerResult;
  /** The engine could not vouch for its own state after this job (a host-side failure). */
  recycle: boolean;
}

export interface SandboxEngine {
  run(job: WorkerJob): Promise<EngineOutcome>;
  /**
   * Work left from the last job, done once its answer is sent (decision 0250): an expression job's
   * context is freed and a fresh one readied for the next. `run` does it first if it was not called.
   */
  idle(): void;
}

/** The QuickJS wasm, compiled: instances are made from it (`createInstance`). */
export async function compileQuickJS(): Promise<object> {
  const requireFromHere = createRequire(import.meta.url);
  const requireFromQuickJS = createRequire(requireFromHere.resolve("quickjs-emscripten"));
  const wasmPath = requireFromQuickJS.resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
  return wasm.compile(await readFile(wasmPath));
}

/** Compiles the QuickJS wasm once; instances (one per memory budget) are created from it on demand. */
export async function createSandboxEngine(): Promise<SandboxEngine> {
  const wasmModule = await compileQuickJS();
  /** Least recently used first. */
  const instances = new Map<number, Instance>();

  async function instanceFor(memoryMb: number): Promise<Instance> {
    const cached = instances.get(memoryMb);
    if (cached) {
      instances.delete(memoryMb);
      instances.set(memoryMb, cached);
      return cached;
    }
    const instance = await createInstance(wasmModule, memoryMb);
    instances.set(memoryMb, instance);
    while (instances.size > MAX_INSTANCES) {
      const oldest = instances.keys().next().value as number;
      instances.delete(oldest);
    }
    return instance;
  }

  /** The last expression job's clean-up and the next one's context, for `idle`. */
  let pending: (() => void) | undefined;
  function idle(): void {
    const work = pending;
    pending = undefined;
    work?.();
  }

  /** Drops a dirty instance, or one whose memory a large run grew (wasm memory never shrinks). */
  function keepOrDrop(instance: Instance, memoryMb: number, discard: boolean): void {
    if (!discard && instance.memory.buffer.byteLength <= RETAINED_MEMORY_BYTES) return;
    if (instances.get(memoryMb) === instance) instances.delete(memoryMb);
  }

  return {
    idle,
    async run(job) {
      idle();
      const startedAt = performance.now();
      let instance: Instance;
      try {
        instance = await instanceFor(job.memoryMb);
      } catch {
        return {
          result: {
            ok: false,
            error: crashed(),
            console: [],
            durationMs: round(performance.now() - startedAt),
          },
          recycle: true,
        };
      }
      // A dirty instance (leftover jobs, a failed dispose, a wasm trap) is dropped whole: cheaper and safer
      // than trusting its heap. The next job with this budget instantiates a fresh one.
      let result: Unfinished;
      if (job.kind === "expressions") {
        const outcome = runExpressions(instance, job);
        result = outcome.result;
        pending = () => {
          let clean = outcome.release();
          if (clean && instances.get(job.memoryMb) === instance)
            clean = prepareExpressions(instance, job.memoryMb, job.lean);
          keepOrDrop(instance, job.memoryMb, !clean);
        };
      } else {
        const outcome = runInInstance(instance, job);
        result = outcome.result;
        keepOrDrop(instance, job.memoryMb, outcome.discard);
      }
      const durationMs = round(performance.now() - startedAt);
      return { result: { ...result, durationMs }, recycle: false };
    },
  };
}

/** Instantiates QuickJS in a wasm memory whose maximum is the heap budget. */
export async function createInstance(wasmModule: object, memoryMb: number): Promise<Instance> {
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
  return instance;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
