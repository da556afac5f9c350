/**
 * The sandbox as a security boundary (SPEC X3): what user code must not reach, and how each way of
 * exhausting the machine ends. Each test names the property it protects.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { types } from "node:util";
import { createSandboxPool, type SandboxPool, type SandboxResult } from "./index.js";

let pool: SandboxPool;
before(() => {
  pool = createSandboxPool({ size: 2 });
});
after(async () => {
  await pool.close();
});

/** Short limits keep the denial-of-service cases fast; the defaults are tested where they matter. */
const run = (
  code: string,
  options: { event?: unknown; secrets?: Record<string, unknown>; timeoutMs?: number; memoryMb?: number } = {},
) =>
  pool.runFunction({
    code,
    event: options.event ?? {},
    secrets: options.secrets ?? {},
    timeoutMs: options.timeoutMs ?? 300,
    memoryMb: options.memoryMb ?? 32,
  });

function expectOk(result: SandboxResult): unknown {
  if (!result.ok) assert.fail(`expected success, got ${result.error.code}: ${result.error.message}`);
  return result.output;
}

function expectError(result: SandboxResult, code: string): string {
  if (result.ok) assert.fail(`expected ${code}, got output ${JSON.stringify(result.output)}`);
  assert.equal(result.error.code, code, result.error.message);
  assertNoHostDetails(result.error.message);
  return result.error.message;
}

/** Nothing about the host (paths, node internals, the wasm glue) may appear in what a run reports. */
function assertNoHostDetails(text: string): void {
  assert.doesNotMatch(
    text,
    /\/(work|home|usr|tmp|opt|app)\/|node_modules|file:\/\/|node:internal|wasm-function|emscripten|quickjs/i,
  );
}

async function assertPoolStillServes(): Promise<void> {
  assert.equal(expectOk(await run("export default ({ event }) => event.n + 1", { event: { n: 1 } })), 2);
}

describe("no host capabilities", () => {
  test("require, process, module, Buffer and globalThis.process do not exist", async () => {
    const output = await run(`export default () => [
      typeof require, typeof process, typeof globalThis.process, typeof module, typeof exports,
      typeof Buffer, typeof global, typeof __dirname, typeof Deno, typeof Bun, typeof std, typeof os,
    ]`);
    assert.deepEqual(expectOk(output), Array(12).fill("undefined"));
  });

  test("dynamic import() of node modules, the file system and the network is refused", async () => {
    for (const name of [
      "fs",
      "node:fs",
      "net",
      "node:child_process",
      "http",
      "./secrets.json",
      "/etc/passwd",
    ]) {
      const message = expectError(
        await run(`export default () => import(${JSON.stringify(name)})`),
        "runtime_error",
      );
      assert.match(message, /could not load module/);
    }
  });

  test("static imports make the module invalid", async () => {
    expectError(
      await run("import { readFileSync } from 'node:fs';\nexport default () => readFileSync"),
      "invalid_module",
    );
  });

  test("fetch, XMLHttpRequest, WebSocket and timers do not exist", async () => {
    const output = await run(`export default () => [
      typeof fetch, typeof XMLHttpRequest, typeof WebSocket, typeof setTimeout, typeof setInterval,
      typeof setImmediate, typeof queueMicrotask, typeof navigator,
    ]`);
    assert.deepEqual(expectOk(output), Array(8).fill("undefined"));
  });

  test("calling setTimeout is a ReferenceError, not a way to outlive the run", async () => {
    const message = expectError(
      await run("export default () => { setTimeout(() => {}, 0) }"),
      "runtime_error",
    );
    assert.match(message, /^ReferenceError: 'setTimeout' is not defined/);
  });

  test("WebAssembly is absent", async () => {
    assert.equal(expectOk(await run("export default () => typeof WebAssembly")), "undefined");
  });

  test("Atomics is absent, so a SharedArrayBuffer cannot be used to block the worker", async () => {
    const output = await run(`export default () => {
      const shared = new Int32Array(new SharedArrayBuffer(8));
      shared[0] = 1;
      return [typeof Atomics, shared[0]];
    }`);
    assert.deepEqual(expectOk(output), ["undefined", 1]);
  });

  test("eval and new Function run inside the sandbox", async () => {
    const output = await run(
      "export default () => [eval('typeof process'), new Function('return typeof require')(), Function('return this')() === globalThis]",
    );
    assert.deepEqual(expectOk(output), ["undefined", "undefined", true]);
  });
});

describe("constructor chains from the inputs reach only the sandbox", () => {
  const event = { list: [1], text: "t", nested: { deep: {} } };
  const secrets = { API_KEY: "k" };
  const chains = [
    "event.constructor.constructor('return typeof process')()",
    "event.list.constructor.constructor('return typeof require')()",
    "event.nested.deep.constructor.constructor('return typeof globalThis.process')()",
    "event.text.constructor.constructor('return typeof module')()",
    "secrets.__proto__.constructor.constructor('return typeof process')()",
    "secrets.API_KEY.constructor.constructor('return typeof process')()",
    "({}).constructor.constructor('return typeof process')()",
    "(async function () {}).constructor('return typeof process')()",
    "Object.getPrototypeOf(function* () {}).constructor('return typeof process')().next().value",
    "console.log.constructor('return typeof process')()",
  ];
  for (const chain of chains) {
    test(`${chain.split("(")[0]} yields the sandbox's own Function`, async () => {
      const output = await run(`export default async ({ event, secrets }) => await (${chain})`, {
        event,
        secrets,
      });
      assert.equal(expectOk(output), "undefined");
    });
  }

  test("the global object reached through Function('return this') holds only language builtins, console and the web helpers", async () => {
    const output = await run(
      "export default ({ event }) => Object.getOwnPropertyNames(event.constructor.constructor('return this')())",
      { event: {} },
    );
    const names = expectOk(output) as string[];
    const allowed = new Set([
      "Object",
      "Function",
      "Array",
      "Number",
      "parseFloat",
      "parseInt",
      "Infinity",
      "NaN",
      "undefined",
      "Boolean",
      "String",
      "Symbol",
      "Date",
      "Promise",
      "RegExp",
      "Error",
      "AggregateError",
      "EvalError",
      "RangeError",
      "ReferenceError",
      "SyntaxError",
      "TypeError",
      "URIError",
      "InternalError",
      "globalThis",
      "JSON",
      "Math",
      "Intl",
      "ArrayBuffer",
      "SharedArrayBuffer",
      "Uint8Array",
      "Int8Array",
      "Uint16Array",
      "Int16Array",
      "Uint32Array",
      "Int32Array",
      "Float16Array",
      "Float32Array",
      "Float64Array",
      "Uint8ClampedArray",
      "BigUint64Array",
      "BigInt64Array",
      "DataView",
      "Map",
      "BigInt",
      "Set",
      "WeakMap",
      "WeakSet",
      "Proxy",
      "Reflect",
      "FinalizationRegistry",
      "WeakRef",
      "decodeURI",
      "decodeURIComponent",
      "encodeURI",
      "encodeURIComponent",
      "escape",
      "unescape",
      "eval",
      "isFinite",
      "isNaN",
      "Iterator",
      "console",
      // Plain JavaScript inside the sandbox (prelude.ts), compiled on first use.
      "btoa",
      "atob",
      "TextEncoder",
      "TextDecoder",
    ]);
    assert.deepEqual(
      names.filter((name) => !allowed.has(name)),
      [],
    );
  });
});

describe("tricks that rely on host objects find none", () => {
  test("Error.prepareStackTrace and captureStackTrace hooks are inert and stacks show only sandbox frames", async () => {
    const code = `export default () => {
      Error.prepareStackTrace = (error, frames) => frames.map((f) => f.getThis && f.getThis());
      if (Error.captureStackTrace) Error.captureStackTrace({});
      const stack = new Error("probe").stack;
      if (typeof stack !== "string") return "not a string";
      throw new Error("boom: " + stack);
    }`;
    const message = expectError(await run(code), "runtime_error");
    assert.match(message, /^Error: boom: {5}at default \(function\.js:4:\d+\)/);
  });

  test("a Proxy returned as output runs its traps inside the sandbox and reaches the host as plain data", async () => {
    const code = `export default () => new Proxy({ a: 1 }, {
      get: (target, key) => (key === "toJSON" ? undefined : key === "a" ? "trapped" : target[key]),
      ownKeys: () => ["a"],
      getOwnPropertyDescriptor: () => ({ value: "x", enumerable: true, configurable: true }),
    })`;
    const output = expectOk(await run(code));
    assert.deepEqual(output, { a: "trapped" });
    assert.equal(types.isProxy(output), false);
  });

  test("a Proxy trap that never returns times out instead of hanging the host", async () => {
    const code = "export default () => new Proxy({}, { ownKeys() { for (;;) {} } })";
    expectError(await run(code), "timeout");
  });

  test("a Proxy trap that throws makes the output output_not_json", async () => {
    const code = "export default () => new Proxy({}, { ownKeys() { throw new Error('trap') } })";
    assert.match(expectError(await run(code), "output_not_json"), /trap/);
  });

  test("Promise species and thenable tricks settle inside the sandbox", async () => {
    const species = `class Evil extends Promise {
        static get [Symbol.species]() { return function (executor) { executor(() => {}, () => {}); }; }
      }
      export default () => Evil.resolve(1).then((x) => x + 1)`;
    const speciesResult = await run(species);
    if (!speciesResult.ok) assertNoHostDetails(speciesResult.error.message);

    const thenable = "export default async () => ({ then(resolve) { resolve(() => 'a function') } })";
    expectError(await run(thenable), "output_not_json");
    await assertPoolStillServes();
  });

  test("replacing JSON, Reflect or Array builtins cannot forge the output, console lines or errors", async () => {
    const code = `export default () => {
      JSON.stringify = () => '"forged"';
      JSON.parse = () => ({ forged: true });
      Reflect.apply = () => "forged";
      Array.prototype.join = () => "forged";
      String.prototype.slice = () => "forged";
      console.log("real", { line: 1 });
      return { output: [1, "two"] };
    }`;
    const result = await run(code);
    assert.deepEqual(expectOk(result), { output: [1, "two"] });
    assert.deepEqual(result.console, [{ level: "log", message: 'real {"line":1}' }]);
    const thrown = "export default () => { JSON.stringify = () => '{}'; throw new Error('real message') }";
    assert.match(expectError(await run(thrown), "runtime_error"), /^Error: real message/);
  });

  test("a thrown Proxy or getter-laden error is described inside the sandbox", async () => {
    const code = `export default () => {
      const error = new Error("x");
      Object.defineProperty(error, "message", { get() { throw new Error("getter") } });
      throw error;
    }`;
    assert.match(expectError(await run(code), "runtime_error"), /^Error: /);
    const proxy = "export default () => { throw new Proxy({}, { get() { for (;;) {} } }) }";
    expectError(await run(proxy), "timeout");
  });

  test("FinalizationRegistry and WeakRef do not outlive the run or crash the worker", async () => {
    const code = `export default () => {
      const registry = new FinalizationRegistry(() => { for (;;) {} });
      for (let i = 0; i < 1000; i++) registry.register({}, i);
      globalThis.keep = new WeakRef({});
      return "done";
    }`;
    assert.equal(expectOk(await run(code)), "done");
    await assertPoolStillServes();
  });
});

describe("inputs are copies and every run starts fresh", () => {
  test("a global set in one run is absent in the next", async () => {
    await run("globalThis.leak = 'run 1'; Object.prototype.polluted = 'run 1'; export default () => 1");
    await run("export default () => { globalThis.leak2 = 'run 2'; Array.prototype.push = null; return 1 }");
    const output = await run(
      "export default () => [typeof leak, typeof leak2, ({}).polluted === undefined, typeof [].push]",
    );
    assert.deepEqual(expectOk(output), ["undefined", "undefined", true, "function"]);
  });

  test("mutating event and secrets in the sandbox leaves the host objects unchanged", async () => {
    const event = { data: { count: 1 }, list: [1, 2] };
    const secrets = { API_KEY: "k" };
    const code = `export default ({ event, secrets }) => {
      event.data.count = 99; event.list.push(3); event.added = true;
      secrets.API_KEY = "changed"; delete secrets.API_KEY;
      return event;
    }`;
    assert.deepEqual(expectOk(await run(code, { event, secrets })), {
      data: { count: 99 },
      list: [1, 2, 3],
      added: true,
    });
    assert.deepEqual(event, { data: { count: 1 }, list: [1, 2] });
    assert.deepEqual(secrets, { API_KEY: "k" });
  });

  test("__proto__ keys in event data pollute neither the sandbox, the host, nor the next run", async () => {
    const event = JSON.parse(
      '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted2": "yes"}}, "n": 1}',
    ) as unknown;
    const code = `export default ({ event }) => {
      const fresh = {};
      return { seen: [fresh.polluted ?? null, fresh.polluted2 ?? null, Object.keys(event)], echo: event };
    }`;
    const output = expectOk(await run(code, { event })) as { seen: unknown[]; echo: Record<string, unknown> };
    assert.deepEqual(output.seen, [null, null, ["__proto__", "constructor", "n"]]);
    assert.ok(Object.hasOwn(output.echo, "__proto__"), "the key comes back as an own property");
    const host = {} as Record<string, unknown>;
    assert.equal(host.polluted, undefined);
    assert.equal(host.polluted2, undefined);
    assert.equal(expectOk(await run("export default () => ({}).polluted ?? null")), null);
  });

  test("output with a __proto__ key does not change the prototype of the host's result", async () => {
    const output = expectOk(
      await run('export default () => JSON.parse(\'{"__proto__": {"isAdmin": true}}\')'),
    );
    assert.equal(Object.getPrototypeOf(output), Object.prototype);
    assert.equal((output as { isAdmin?: unknown }).isAdmin, undefined);
    assert.equal(({} as { isAdmin?: unknown }).isAdmin, undefined);
  });
});

describe("denial of service ends cleanly with a clear code", () => {
  test("an infinite loop is a timeout", async () => {
    const result = await run("export default () => { for (;;) {} }", { timeoutMs: 200 });
    expectError(result, "timeout");
    assert.ok(result.durationMs >= 190 && result.durationMs < 1000, `took ${result.durationMs} ms`);
  });

  test("an infinite loop that catches every error is still a timeout", async () => {
    const code =
      "export default () => { for (;;) { try { for (;;) {} } catch (e) {} finally { for (;;) {} } } }";
    expectError(await run(code, { timeoutMs: 200 }), "timeout");
  });

  test("a microtask loop is a timeout", async () => {
    const code = "export default () => { const spin = () => Promise.resolve().then(spin); spin(); return 1 }";
    const result = await run(code, { timeoutMs: 200 });
    expectError(result, "timeout");
    assert.ok(result.durationMs < 1000, `took ${result.durationMs} ms`);
  });

  test("a promise-job flood that fills the memory ends cleanly, with no abort line, and the pool serves on", async () => {
    // Each job queues the next and keeps the chain alive, so memory runs out before the deadline; the
    // jobs that would follow are lost and the function's promise would stay pending forever.
    const flood = `export default async () => {
      const spin = () => Promise.resolve().then(spin);
      spin();
      await new Promise(() => {});
    }`;
    const printed: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      printed.push(String(chunk));
      return write(chunk, ...rest);
    }) as typeof process.stderr.write;
    try {
      for (let i = 0; i < 2; i++) {
        const result = await run(flood, { timeoutMs: 30_000, memoryMb: 16 });
        expectError(result, "memory_limit");
        await assertPoolStillServes();
      }
      // Let the worker's stderr reach this thread before looking.
      await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      process.stderr.write = write;
    }
    assert.deepEqual(
      printed.filter((line) => /Aborted|Assertion failed/.test(line)),
      [],
    );
  });

  test("an async function awaiting forever in a loop is a timeout", async () => {
    expectError(
      await run("export default async () => { for (;;) await null }", { timeoutMs: 200 }),
      "timeout",
    );
  });

  test("a heap bomb is memory_limit", async () => {
    const code = "export default () => { const keep = []; for (;;) keep.push(new Array(100000).fill(1.5)) }";
    expectError(await run(code, { timeoutMs: 5000 }), "memory_limit");
  });

  test("a bomb of small objects is memory_limit", async () => {
    const code =
      "export default () => { const keep = []; for (let i = 0; ; i++) keep.push({ i, s: 'x' + i }) }";
    expectError(await run(code, { timeoutMs: 5000 }), "memory_limit");
  });

  test("an ArrayBuffer bomb is memory_limit, whether one huge buffer or many small ones", async () => {
    expectError(
      await run("export default () => new ArrayBuffer(1024 * 1024 * 1024).byteLength"),
      "memory_limit",
    );
    const many = "export default () => { const keep = []; for (;;) keep.push(new ArrayBuffer(1024 * 1024)) }";
    expectError(await run(many, { timeoutMs: 5000 }), "memory_limit");
  });

  test("the memory budget is the run's: 40 MiB fits in 64 MiB but not in 16 MiB", async () => {
    const code =
      "export default () => { const keep = []; for (let i = 0; i < 40; i++) keep.push(new Uint8Array(1024 * 1024)); return keep.length }";
    assert.equal(expectOk(await run(code, { memoryMb: 64, timeoutMs: 5000 })), 40);
    expectError(await run(code, { memoryMb: 16, timeoutMs: 5000 }), "memory_limit");
  });

  test("catching the out-of-memory error and retrying still ends the run", async () => {
    const code = `export default () => {
      const keep = [];
      for (;;) { try { keep.push(new Array(100000).fill(1)); } catch (e) { keep.push(String(e)); } }
    }`;
    const result = await run(code, { timeoutMs: 1000 });
    assert.equal(result.ok, false);
    if (!result.ok) assert.ok(["memory_limit", "timeout"].includes(result.error.code), result.error.code);
    await assertPoolStillServes();
  });

  test("huge string concatenation is memory_limit", async () => {
    expectError(await run("export default () => { let s = 'ab'; for (;;) s = s + s + 'c' }"), "memory_limit");
    const flat =
      "export default () => { let s = 'x'.repeat(1024 * 1024); const keep = []; for (;;) { s = s + '.'; keep.push(s.slice(1)) } }";
    expectError(await run(flat, { timeoutMs: 5000 }), "memory_limit");
  });

  test("deep recursion is runtime_error, not a crash", async () => {
    const message = expectError(await run("export default function f() { return f() + 1 }"), "runtime_error");
    assert.match(message, /^InternalError: stack overflow/);
    await assertPoolStillServes();
  });

  test("deeply nested data and source end with an error code, not a crash", async () => {
    const cases = [
      "export default () => JSON.parse('['.repeat(200000))",
      "export default () => { let a = []; for (let i = 0; i < 200000; i++) a = [a]; return JSON.stringify(a).length }",
      "export default () => { let a = []; for (let i = 0; i < 200000; i++) a = [a]; return String(a).length }",
      "export default () => eval('('.repeat(200000) + '1' + ')'.repeat(200000))",
      "export default () => { let p = {}; for (let i = 0; i < 200000; i++) p = new Proxy(p, {}); return p.x }",
      "export default () => new RegExp('('.repeat(100000) + 'a' + ')'.repeat(100000)).test('a')",
    ];
    for (const code of cases) {
      const result = await run(code, { timeoutMs: 2000 });
      assert.equal(result.ok, false, code);
      if (!result.ok) {
        assert.notEqual(result.error.code, "sandbox_crashed", code);
        assertNoHostDetails(result.error.message);
      }
    }
    await assertPoolStillServes();
  });

  test("catastrophic regular expression backtracking is a timeout", async () => {
    expectError(
      await run("export default () => /(a+)+$/.test('a'.repeat(40) + 'b')", { timeoutMs: 200 }),
      "timeout",
    );
  });

  test("huge console output is capped and the run still ends at its deadline", async () => {
    // The sandbox's own deadline must end it, answering with the lines kept: a watchdog that fired first
    // (deadline + 1 s by default, reached once on a machine at load 9) answers with none.
    const patient = createSandboxPool({ size: 1, watchdogMarginMs: 10_000 });
    try {
      const code =
        "export default () => { const line = 'x'.repeat(20000); for (;;) console.log(line, { line }) }";
      const result = await patient.runFunction({
        code,
        event: {},
        secrets: {},
        timeoutMs: 1000,
        memoryMb: 32,
      });
      expectError(result, "timeout");
      assert.ok(result.console.length > 0 && result.console.length <= 1000, `${result.console.length} lines`);
      for (const line of result.console) assert.ok(Buffer.byteLength(line.message) <= 16 * 1024);
    } finally {
      await patient.close();
    }
  });

  test("the host's event loop keeps ticking while a function spins for 1 s", async () => {
    const spinAndMeasureLag = async (): Promise<number> => {
      let maxLag = 0;
      let last = performance.now();
      const interval = setInterval(() => {
        const now = performance.now();
        maxLag = Math.max(maxLag, now - last - 10);
        last = now;
      }, 10);
      try {
        const result = await pool.runFunction({
          code: "export default () => { for (;;) {} }",
          event: {},
          secrets: {},
        });
        expectError(result, "timeout");
        // Ended by the default 1 s limit, not by a larger one: a spin that ran 10 s was not stopped at 1 s.
        assert.ok(result.durationMs >= 990 && result.durationMs < 10_000, `spun for ${result.durationMs} ms`);
      } finally {
        clearInterval(interval);
      }
      return maxLag;
    };
    // A blocked loop would lag by the whole second on every attempt; one retry absorbs a scheduling hiccup
    // on a machine whose cores are busy with other test files.
    const lags = [await spinAndMeasureLag()];
    if (lags[0]! >= 100) lags.push(await spinAndMeasureLag());
    assert.ok(
      Math.min(...lags) < 100,
      `event loop lag reached ${lags.map((l) => l.toFixed(1)).join(" and ")} ms`,
    );
  });

  test("a worker stuck in a native call is terminated by the watchdog and replaced", async () => {
    const guarded = createSandboxPool({ size: 1, watchdogMarginMs: 300 });
    try {
      // Sorting 2M doubles never reaches QuickJS's interrupt check; only the host can stop it.
      const code =
        "export default () => { const a = new Float64Array(2e6); for (;;) { a.sort(); a.reverse(); } }";
      const result = await guarded.runFunction({ code, event: {}, secrets: {}, timeoutMs: 200 });
      expectError(result, "timeout");
      assert.ok(result.durationMs >= 450, `answered after ${result.durationMs} ms`);
      const next = await guarded.runFunction({
        code: "export default () => 'alive'",
        event: {},
        secrets: {},
      });
      assert.equal(expectOk(next), "alive");
    } finally {
      await guarded.close();
    }
  });
});
