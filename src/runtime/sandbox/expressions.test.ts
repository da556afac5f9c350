/**
 * Expression jobs (SPEC X4, decision 0250) through a real pool of one thread, so every run below shares
 * the thread's kept QuickJS runtime: what one run's expressions change must be gone in the next run, and
 * a lean context must answer exactly as a full one for the simple expressions it is used for.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { analyzeExpression, sandboxSource } from "../../consumers/flow-analysis.js";
import type { ExpressionItem } from "./expression-setup.js";
import { evaluateEach, evaluateExpressions } from "./expressions.js";
import { createSandboxPool, type SandboxPool, type SandboxResult } from "./index.js";
import { isSimpleSource } from "./simple.js";

let pool: SandboxPool;
before(() => {
  pool = createSandboxPool({ size: 1, reserve: 0 });
});
after(async () => {
  await pool.close();
});

const MiB = 1024 * 1024;
const EVENT = { id: "e1", name: "order.created", data: { id: 42, tags: ["a", "b"], note: "Cafe\u0301" } };

function evaluate(
  texts: string[],
  options: {
    lean?: boolean;
    keepGoing?: boolean;
    secrets?: Record<string, unknown>;
    tenant?: string;
    timeoutMs?: number;
  } = {},
): Promise<SandboxResult> {
  return pool.evalExpressions({
    sources: texts.map(sandboxSource),
    keepGoing: options.keepGoing ?? true,
    scope: {
      event: EVENT,
      steps: { prev: { output: { n: 1 } } },
      secrets: options.secrets ?? { KEY: "k-1" },
    },
    lean: options.lean ?? false,
    tenant: options.tenant ?? "org-a",
    ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
  });
}

async function items(
  texts: string[],
  options: Parameters<typeof evaluate>[1] = {},
): Promise<ExpressionItem[]> {
  const result = await evaluate(texts, options);
  if (!result.ok) assert.fail(`expected items, got ${result.error.code}: ${result.error.message}`);
  return result.output as ExpressionItem[];
}

/** Each expression of one run against the item it must give. */
async function expectItems(cases: [string, ExpressionItem][], options: Parameters<typeof evaluate>[1] = {}) {
  const got = await items(
    cases.map(([text]) => text),
    options,
  );
  assert.deepEqual(
    got.map((item, i) => [cases[i]?.[0], item]),
    cases,
  );
}

describe("isolation between runs on one thread", () => {
  test("a global, a prototype property or a replaced built-in left by one run is absent from the next", async () => {
    const set = await items(
      [
        '(globalThis.leak = "from run 1", "set")',
        '(Object.prototype.polluted = "yes", "set")',
        '(JSON.stringify = () => "hijacked", String.prototype.trim = () => "hijacked", "set")',
        '(Array.prototype.push = () => 0, "set")',
      ],
      { tenant: "org-a" },
    );
    assert.deepEqual(set, Array(4).fill({ text: "set" }));
    const seen = await items(
      ["typeof leak", "typeof ({}).polluted", "JSON.stringify({ a: [1] })", '" x ".trim()', "[].push(1)"],
      { tenant: "org-b" },
    );
    assert.deepEqual(seen, [
      { text: "undefined" },
      { text: "undefined" },
      { text: '{"a":[1]}' },
      { text: "x" },
      { text: "1" },
    ]);
  });

  test("a counter kept in a global reads 1 in every run, past the runtime's renewal", async () => {
    for (let run = 0; run < 80; run++) {
      const lean = run % 3 === 0;
      const texts = lean ? ["event.data.id"] : ["(globalThis.n = (globalThis.n || 0) + 1)"];
      assert.deepEqual(await items(texts, { lean }), [{ text: lean ? "42" : "1" }], `run ${run}`);
    }
  });

  test("runs of the same simple expressions share a context (decision 0310), yet each sees only its own scope", async () => {
    const texts = ["secrets.KEY", "secrets.OTHER", "event.data.id"];
    const first = { lean: true, secrets: { KEY: "k-1", OTHER: "o-1" } };
    assert.deepEqual(await items(texts, first), [{ text: "k-1" }, { text: "o-1" }, { text: "42" }]);
    // The same organization and sources: the kept context, with this run's secrets only.
    assert.deepEqual(await items(texts, { lean: true, secrets: { KEY: "k-2" } }), [
      { text: "k-2" },
      { missing: "OTHER" },
      { text: "42" },
    ]);
    assert.deepEqual(await items(texts, { ...first, tenant: "org-b" }), [
      { text: "k-1" },
      { text: "o-1" },
      { text: "42" },
    ]);
  });

  test("a lean run whose expressions are not simple gets a fresh context, whatever the host says", async () => {
    for (let run = 0; run < 3; run++) {
      const counted = await items(["(globalThis.n = (globalThis.n || 0) + 1)", "event.name"], { lean: true });
      assert.deepEqual(counted, [{ text: "1" }, { text: "order.created" }], `run ${run}`);
    }
  });

  test("a run after an endless loop or a memory bomb starts clean and within its limits", async () => {
    const loop = await evaluate(["(globalThis.mark = 1, (() => { for (;;) {} })())"]);
    assert.equal(loop.ok, false);
    assert.equal(!loop.ok && loop.error.code, "timeout");
    // Time enough that only the memory limit can end it, however busy the machine.
    const bomb = await evaluate(
      ["(() => { const a = []; for (;;) a.push(new Array(1e6).fill(a.length)); })()"],
      { timeoutMs: 20_000 },
    );
    assert.equal(!bomb.ok && bomb.error.code, "memory_limit");
    assert.deepEqual(await items(["typeof mark", "event.name"]), [
      { text: "undefined" },
      { text: "order.created" },
    ]);
  });
  test("a run that left its memory in reference cycles takes none of the next run's budget", async () => {
    // 40 Ki objects, each its own cycle, with a 1 KB string: 40 MiB of the 64 that QuickJS does not free
    // with the run's context. The next run (another organization's) needs 36 MiB in one string.
    const cycles = `(() => { const a = []; for (let i = 0; i < 40 * 1024; i++) { const o = {}; o.o = o;
      o.s = "y".repeat(1000) + i; a.push(o); } return a.length; })()`;
    const big = ["'x'.repeat(36 * 1024 * 1024).length"];
    assert.deepEqual(await items(big, { timeoutMs: 20_000, tenant: "org-b" }), [{ text: String(36 * MiB) }]);
    assert.deepEqual(await items([cycles], { timeoutMs: 20_000 }), [{ text: String(40 * 1024) }]);
    assert.deepEqual(await items(big, { timeoutMs: 20_000, tenant: "org-b" }), [{ text: String(36 * MiB) }]);
  });
});

describe("what an expression's value becomes", () => {
  test("strings as they are, numbers, booleans and bigints as JavaScript prints them, objects as JSON; the rest named", async () => {
    await expectItems([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
      ["`Bearer ${secrets.KEY}`", { text: "Bearer k-1" }],
      ["0.1 + 0.2", { text: "0.30000000000000004" }],
      ["1e21", { text: "1e+21" }],
      ["-0", { text: "0" }],
      ["event.data.id > 1", { text: "true" }],
      ["2n ** 70n", { text: "1180591620717411303424" }],
      ["({ id: event.data.id, tags: event.data.tags })", { json: '{"id":42,"tags":["a","b"]}' }],
      ["null", { json: "null" }],
      ["steps.prev.output", { json: '{"n":1}' }],
      // Named, not sent:
      ["event.missing", { not: "undefined" }],
      ["() => 1", { not: "function" }],
      ["Symbol('s')", { not: "symbol" }],
      ["Promise.resolve(1)", { not: "promise" }],
      ["({ toJSON() {} })", { not: "json" }],
    ]);
  });

  test("what an expression throws is described; a missing secret is named; the batch stops at the first unless told to go on", async () => {
    const texts = [
      "event.data.id",
      "(() => { throw new TypeError('bad ' + event.name) })()",
      "(() => { throw 'plain' })()",
      "secrets[event.name]",
      "1 +",
    ];
    const all = await items(texts);
    assert.equal(all.length, 5);
    assert.deepEqual(all.slice(0, 4), [
      { text: "42" },
      { error: "TypeError: bad order.created" },
      { error: "Uncaught plain" },
      { missing: "order.created" },
    ]);
    assert.match((all[4] as { error: string }).error, /^SyntaxError: /);
    assert.deepEqual(await items(texts, { keepGoing: false }), all.slice(0, 2));
  });

  test("an error that quotes part of a secret names no part of it", async () => {
    const secrets = { KEY: "sk_live_ABCDEFGH:xyz", CFG: { token: "tok_QWERTYUI;9" } };
    const got = await items(
      ["JSON.parse(secrets.KEY)", "JSON.parse(secrets.CFG.token)", "JSON.parse(event.name)"],
      {
        secrets,
      },
    );
    assert.deepEqual(got.slice(0, 2), [
      { error: "SyntaxError: unexpected token: '[[SENSITIVE]]'" },
      { error: "SyntaxError: unexpected token: '[[SENSITIVE]]'" },
    ]);
    // Event data is not a secret: its text stays for the reader.
    assert.deepEqual(got[2], { error: "SyntaxError: unexpected token: 'order'" });
  });

  test("what the engine reads with is captured before the first expression: replacing it changes nothing after", async () => {
    await expectItems([
      [
        '(JSON.stringify = () => "x", String = () => "y", Reflect.get = () => "z", "replaced")',
        { text: "replaced" },
      ],
      ["({ a: 1 })", { json: '{"a":1}' }],
      ["5", { text: "5" }],
      ["secrets.KEY", { text: "k-1" }],
    ]);
  });

  test("values past the output bound fail the batch with output_too_large", async () => {
    const result = await evaluate(["'x'.repeat(600000)", "'y'.repeat(600000)"]);
    assert.equal(!result.ok && result.error.code, "output_too_large");
  });
});

describe("lean and full contexts", () => {
  // Each is simple (decision 0171), as the lean context requires: the analysis says so below.
  const SIMPLE = [
    "event.name",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
    "`${event.data.id}-${event.data.tags}-${event}`",
    "event.data.tags[1] ?? 'none'",
    "event?.data?.missing?.x ?? null",
    "[...event.data.tags, event.data.id * 2]",
    "({ ...event.data, extra: !event.data.id })",
    "/a+b/gi",
    "event.data.note.normalize",
    "event.constructor.name + ':' + event.data.tags.constructor.name",
    "typeof event.data.id === 'number' ? 'n' : 's'",
    "event.name in event ? 1 : 0",
    "[secrets.KEY, secrets['KEY']].join",
    "steps.prev.output.n + 1",
    "+event.data.id / 0",
    "void 0",
    // The conversion functions a simple expression may call by name (decision 0310).
    "String(event.data.id) + Number('7') + Boolean(event.nothing)",
    "encodeURIComponent(event.name + '/&?') + encodeURI('a b')",
    "decodeURIComponent('%41') + decodeURI('%20') + parseInt('42px', 10) + parseFloat('1.5e1')",
  ];

  test("every simple expression answers the same in a lean context as in a full one", async () => {
    for (const text of SIMPLE) {
      const analysis = analyzeExpression(text);
      assert.ok(analysis.ok && analysis.simple, `${text} is simple`);
    }
    assert.deepEqual(await items(SIMPLE, { lean: true }), await items(SIMPLE, { lean: false }));
  });

  test("a kept context (decision 0310) answers every kind of item, each failure and the bounds as a fresh one", async () => {
    const texts = [
      "event.name",
      "event.data.id",
      "!event.data.id",
      "12345678901234567890n",
      "event.data",
      "null",
      "event.nothing",
      "event.constructor",
      "event.nothing.deeper",
      "secrets.NOPE",
      "[event.data.tags, secrets.KEY]",
      "({ a: 1n })",
    ];
    for (const text of texts) assert.ok(isSimpleSource(sandboxSource(text)), `${text} is simple`);
    for (const keepGoing of [true, false]) {
      const kept = await items(texts, { lean: true, keepGoing });
      assert.deepEqual(kept, await items(texts, { lean: false, keepGoing }), `keepGoing ${keepGoing}`);
      assert.deepEqual(await items(texts, { lean: true, keepGoing }), kept, "and again in the kept context");
    }
    const big = { secrets: { KEY: "x".repeat(600_000) } };
    for (const lean of [true, true, false]) {
      const over = await evaluate(["secrets.KEY", "secrets.KEY"], { ...big, lean });
      assert.equal(!over.ok && over.error.code, "output_too_large", `lean ${lean}`);
    }
  });

  test("a lean context has no Function: the toJSON route found in review (decision 0310) compiles nothing", async () => {
    // Not simple (a toJSON key), but a host could still ask for a lean context: Function is out of reach.
    const route = `({ "}), (globalThis.pwn = 1), (function () {": { toJSON: event.constructor.constructor } })`;
    const lean = await items([route, "typeof pwn", "typeof event.constructor.constructor"], { lean: true });
    assert.deepEqual(lean.slice(1), [{ text: "undefined" }, { text: "undefined" }]);
    // A full context has Function (code may call it): there the key does run, in that job's own context.
    const full = await items([route, "typeof pwn"], { lean: false });
    assert.deepEqual(full[1], { text: "number" });
    assert.deepEqual(await items(["typeof pwn"], { lean: false }), [{ text: "undefined" }]);
  });

  test("a missing secret's computed name counts toward the output bound", async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
    const huge = "secrets[`${({ toString: [].join, length: 2000000 })}`]";
    for (const lean of [true, true, true, false]) {
      const over = await evaluate([huge], { lean });
      assert.equal(!over.ok && over.error.code, "output_too_large", `lean ${lean}`);
    }
  });

  test("a full context has the web helpers and a console that writes nowhere; a lean one has fewer built-ins", async () => {
    const texts: Record<string, string> = {
      "btoa('user:' + secrets.KEY)": "dXNlcjprLTE=",
      "atob('aGk=')": "hi",
      "new TextEncoder().encode('é').length": "2",
      "(console.log('x'), typeof console.error)": "function",
      "typeof Map + typeof Date": "functionfunction",
    };
    await expectItems(Object.entries(texts).map(([source, text]) => [source, { text }]));
    const lean = { lean: true };
    await expectItems(
      [["typeof Map + typeof Date + typeof btoa", { text: "undefinedundefinedundefined" }]],
      lean,
    );
  });
});

describe("a step's batch (expressions.ts)", () => {
  const batch = (texts: string[], lean = false) => ({
    sources: texts.map(sandboxSource),
    event: EVENT,
    steps: {},
    secrets: { KEY: "k-1" },
    declared: ["KEY", "OTHER"],
    lean,
    tenant: "org-a",
  });

  test("the first failure is named by its index, worded for the run log", async () => {
    const result = await evaluateExpressions(pool, batch(["event.name", "secrets.OTHER", "event.id"]));
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.index, 1);
    assert.equal(result.code, "secret_not_declared");
    assert.equal(
      result.message,
      "secret OTHER is declared, but this step does not name it: write secrets.OTHER",
    );
  });

  test("several steps' expressions each keep their own value or failure", async () => {
    const result = await evaluateEach(
      pool,
      batch(["event.name", "event.nothing", "secrets[event.id + '!']"], true),
    );
    assert.deepEqual(result, {
      ok: true,
      values: [
        { text: "order.created" },
        { error: { code: "expression_failed", message: "the expression's value is undefined" } },
        {
          error: {
            code: "secret_not_declared",
            message: "secret (a computed name) is not declared by the flow",
          },
        },
      ],
    });
  });

  test("a time limit fails the whole batch with the step's wording", async () => {
    const result = await evaluateExpressions(pool, batch(["(() => { for (;;) {} })()"]));
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.index, null);
    assert.equal(result.code, "expression_failed");
    assert.match(result.message, /time limit of 1000 ms/);
  });
});
