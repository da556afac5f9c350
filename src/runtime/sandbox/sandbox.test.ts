import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { AppError } from "../../errors.js";
import { createSandboxPool, type SandboxPool, type SandboxResult } from "./index.js";

let pool: SandboxPool;
before(() => {
  pool = createSandboxPool({ size: 2 });
});
after(async () => {
  await pool.close();
});

const run = (code: string, event: unknown = {}, secrets: Record<string, unknown> = {}, timeoutMs?: number) =>
  pool.runFunction({ code, event, secrets, ...(timeoutMs ? { timeoutMs } : {}) });

function expectOk(result: SandboxResult): unknown {
  if (!result.ok) assert.fail(`expected success, got ${result.error.code}: ${result.error.message}`);
  return result.output;
}

function expectError(result: SandboxResult, code: string): string {
  if (result.ok) assert.fail(`expected ${code}, got output ${JSON.stringify(result.output)}`);
  assert.equal(result.error.code, code, result.error.message);
  return result.error.message;
}

describe("logic functions (X3)", () => {
  test("a sync function's return value is the run's output", async () => {
    const result = await run("export default function process({ event }) { return { ok: event.n + 1 } }", {
      n: 41,
    });
    assert.deepEqual(expectOk(result), { ok: 42 });
    assert.ok(result.durationMs > 0 && result.durationMs < 1000, `took ${result.durationMs} ms`);
  });

  test("an async function's promise is awaited, including chained awaits", async () => {
    const code = `export default async function process({ event, secrets }) {
      const a = await Promise.resolve(event.n);
      const b = await new Promise((resolve) => resolve(a * 2));
      return { b, key: secrets.API_KEY };
    }`;
    assert.deepEqual(expectOk(await run(code, { n: 2 }, { API_KEY: "k-123" })), { b: 4, key: "k-123" });
  });

  test("top-level await in the module is awaited before the function runs", async () => {
    const code = "const base = await Promise.resolve(10);\nexport default ({ event }) => base + event.n;";
    assert.equal(expectOk(await run(code, { n: 5 })), 15);
  });

  test("each JSON type comes back as returned, and undefined becomes null", async () => {
    const cases: [string, unknown][] = [
      ["null", null],
      ["true", true],
      ["false", false],
      ["3.5", 3.5],
      ["-7", -7],
      ['"text ✓"', "text ✓"],
      ["[1, 'a', null, [true]]", [1, "a", null, [true]]],
      ["({ a: { b: [1, 2] }, c: 'x' })", { a: { b: [1, 2] }, c: "x" }],
      ["undefined", null],
    ];
    for (const [literal, expected] of cases) {
      assert.deepEqual(expectOk(await run(`export default () => ${literal}`)), expected, literal);
    }
  });

  test("any JSON event returned as is comes back equal (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const expected = JSON.parse(JSON.stringify(value)) as unknown;
        assert.deepEqual(expectOk(await run("export default ({ event }) => event", value)), expected);
      }),
      { numRuns: 40 },
    );
  });

  test("console.log, info, warn and error are captured with their level, formatted like util.format", async () => {
    const code = `export default function () {
      console.log("plain", 1, { a: [1] }, null, undefined);
      console.info("info line");
      console.warn("warn", true);
      console.error(new TypeError("bad thing"));
      return null;
    }`;
    const result = await run(code);
    expectOk(result);
    assert.deepEqual(
      result.console.map((line) => line.level),
      ["log", "info", "warn", "error"],
    );
    assert.equal(result.console[0]!.message, 'plain 1 {"a":[1]} null undefined');
    assert.equal(result.console[1]!.message, "info line");
    assert.equal(result.console[2]!.message, "warn true");
    assert.match(result.console[3]!.message, /^TypeError: bad thing\n {4}at default \(function\.js:5:/);
  });

  test("console output is kept when the run fails afterwards", async () => {
    const result = await run("export default () => { console.log('before'); throw new Error('after') }");
    expectError(result, "runtime_error");
    assert.deepEqual(result.console, [{ level: "log", message: "before" }]);
  });

  test("a console line is capped at 16 KiB and a run keeps at most 1000 lines", async () => {
    const long = await run("export default () => { console.log('é'.repeat(20000)); return 1 }");
    const line = long.console[0]!.message;
    assert.ok(Buffer.byteLength(line) <= 16 * 1024, `line is ${Buffer.byteLength(line)} bytes`);
    assert.ok(line.endsWith("[truncated]"));
    assert.ok(line.startsWith("éé"));

    const many = await run(
      "export default () => { for (let i = 0; i < 1500; i++) console.log('line', i); return 1 }",
    );
    expectOk(many);
    assert.equal(many.console.length, 1000);
    assert.equal(many.console[998]!.message, "line 998");
    assert.match(many.console[999]!.message, /501 more console lines were dropped/);
  });

  test("btoa and atob build and read base64 as browsers do (a basic auth header)", async () => {
    const code = `export default function process({ secrets }) {
      const header = "Basic " + btoa(secrets.USER + ":" + secrets.PASSWORD);
      let refused = "";
      try { btoa("€"); } catch (e) { refused = e.name; }
      let bad = "";
      try { atob("abcde"); } catch (e) { bad = e.name; }
      return { header, back: atob(header.slice(6)), latin1: btoa("é"), spaced: atob(" aGk =\\n"), short: atob("aGk"), refused, bad };
    }`;
    assert.deepEqual(expectOk(await run(code, {}, { USER: "svc", PASSWORD: "p4ss:w0rd" })), {
      header: `Basic ${Buffer.from("svc:p4ss:w0rd").toString("base64")}`,
      back: "svc:p4ss:w0rd",
      latin1: Buffer.from("é", "latin1").toString("base64"),
      spaced: "hi",
      short: "hi",
      refused: "InvalidCharacterError",
      bad: "InvalidCharacterError",
    });
  });

  test("TextEncoder and TextDecoder convert UTF-8 both ways, with U+FFFD for invalid input", async () => {
    const text = "a é € 😀";
    const code = `export default function process({ event }) {
      const bytes = new TextEncoder().encode(event.text);
      const decoder = new TextDecoder();
      return {
        bytes: Array.from(bytes),
        back: decoder.decode(bytes),
        base64: btoa(String.fromCharCode(...bytes)),
        invalid: decoder.decode(new Uint8Array([0x61, 0xff, 0xe2, 0x82, 0x62])),
        encoding: decoder.encoding,
      };
    }`;
    assert.deepEqual(expectOk(await run(code, { text })), {
      bytes: [...Buffer.from(text)],
      back: text,
      base64: Buffer.from(text).toString("base64"),
      invalid: Buffer.from([0x61, 0xff, 0xe2, 0x82, 0x62]).toString("utf8"),
      encoding: "utf-8",
    });
  });

  test("the web helpers are compiled on first use, and a function may replace or shadow them", async () => {
    const code = `export default function process() {
      const before = typeof btoa;
      globalThis.atob = () => "mine";
      const TextEncoder = "shadowed";
      return [before, atob("aGk="), btoa("hi"), TextEncoder, typeof globalThis.TextDecoder];
    }`;
    assert.deepEqual(expectOk(await run(code)), ["function", "mine", "aGk=", "shadowed", "function"]);
  });

  test("base64 and UTF-8 round trips agree with Node's own encoders (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 40 }), async (text) => {
        const code = `export default function process({ event }) {
          const bytes = new TextEncoder().encode(event.text);
          const b64 = btoa(String.fromCharCode(...bytes));
          const again = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
          return { b64, again };
        }`;
        assert.deepEqual(expectOk(await run(code, { text })), {
          b64: Buffer.from(text).toString("base64"),
          again: text,
        });
      }),
      { numRuns: 40 },
    );
  });

  test("a syntax error is reported as syntax_error with its line number", async () => {
    const message = expectError(await run("export default function () {\n  const x = ;\n}"), "syntax_error");
    assert.match(message, /^SyntaxError: .*\(line 2, column \d+\)$/);
  });

  test("a module without a default export function is invalid_module", async () => {
    expectError(await run("export const process = () => 1;"), "invalid_module");
    expectError(await run("export default 42;"), "invalid_module");
  });

  test("a thrown error is runtime_error with its message and the sandbox's own stack", async () => {
    const code =
      "function check(n) {\n  if (n > 1) throw new RangeError('n too big: ' + n);\n}\nexport default ({ event }) => check(event.n);";
    const message = expectError(await run(code, { n: 5 }), "runtime_error");
    assert.equal(
      message,
      "RangeError: n too big: 5\n    at check (function.js:2:34)\n    at default (function.js:4:36)",
    );
  });

  test("an error that quotes part of a secret names no part of it", async () => {
    const code = "export default ({ secrets }) => JSON.parse(secrets.KEY)";
    const message = expectError(await run(code, {}, { KEY: "sk_live_ABCDEFGH:xyz" }), "runtime_error");
    assert.equal(message.split("\n")[0], "SyntaxError: unexpected token: '[[SENSITIVE]]'");
  });

  test("a thrown non-error value is reported as uncaught", async () => {
    assert.equal(
      expectError(await run("export default () => { throw { code: 7 } }"), "runtime_error"),
      'Uncaught {"code":7}',
    );
  });

  test("a rejected promise is runtime_error", async () => {
    const message = expectError(
      await run("export default async () => { await null; throw new Error('nope') }"),
      "runtime_error",
    );
    assert.match(message, /^Error: nope/);
  });

  test("a promise that can never settle is runtime_error, not a hang", async () => {
    const message = expectError(await run("export default () => new Promise(() => {})"), "runtime_error");
    assert.match(message, /never settled/);
  });

  test("functions, symbols, BigInts and cycles in the output are output_not_json", async () => {
    for (const value of [
      "() => 1",
      "({ f() {} })",
      "[Symbol('s')]",
      "({ n: 1n })",
      "(() => { const a = {}; a.self = a; return a })()",
    ]) {
      expectError(await run(`export default () => ${value}`), "output_not_json");
    }
  });

  test("toJSON and getters on the output run inside the sandbox", async () => {
    const code = "export default () => ({ when: { toJSON: () => 'then' }, get computed() { return 6 * 7 } })";
    assert.deepEqual(expectOk(await run(code)), { when: "then", computed: 42 });
  });
});

describe("expressions (X4)", () => {
  test("a template literal inserts secrets from the context", async () => {
    const result = await pool.evalExpression({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the expression is sandbox source text
      expression: "`Bearer ${secrets.API_KEY}`",
      context: { secrets: { API_KEY: "tok_1" } },
    });
    assert.equal(expectOk(result), "Bearer tok_1");
  });

  test("any JavaScript expression sees the context's keys as globals", async () => {
    const result = await pool.evalExpression({
      expression:
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the expression is sandbox source text
        "({ url: `https://api.example.com/data?token=${secrets.API_TOKEN}`, id: event.data.id * 2 })",
      context: { secrets: { API_TOKEN: "t" }, event: { data: { id: 21 } } },
    });
    assert.deepEqual(expectOk(result), { url: "https://api.example.com/data?token=t", id: 42 });
  });

  test("a trailing line comment does not break the expression", async () => {
    const result = await pool.evalExpression({
      expression: "secrets.A // the key",
      context: { secrets: { A: "a" } },
    });
    assert.equal(expectOk(result), "a");
  });

  test("a malformed expression is syntax_error with its position", async () => {
    const result = await pool.evalExpression({
      expression: "`Bearer ${secrets.API_KEY`",
      context: { secrets: {} },
    });
    assert.match(expectError(result, "syntax_error"), /\(line 1, column \d+\)$/);
  });

  test("reading through a missing value is runtime_error", async () => {
    const result = await pool.evalExpression({
      expression: "secrets.MISSING.value",
      context: { secrets: {} },
    });
    assert.match(
      expectError(result, "runtime_error"),
      /^TypeError: cannot read property 'value' of undefined/,
    );
  });
});

describe("syntax check on save", () => {
  test("valid code passes and invalid code reports the line", async () => {
    assert.deepEqual(await pool.checkSyntax("export default function process({ event }) { return event }"), {
      ok: true,
    });
    const bad = await pool.checkSyntax("export default function () {\n\n  return )\n}");
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? "" : bad.message, /\(line 3, column \d+\)$/);
  });

  test("the check does not run the code", async () => {
    assert.deepEqual(await pool.checkSyntax("while (true) {}\nexport default () => 1"), { ok: true });
  });

  test("imports are refused at save time", async () => {
    const result = await pool.checkSyntax("import fs from 'fs';\nexport default () => fs");
    assert.equal(result.ok, false);
    assert.match(result.ok ? "" : result.message, /imports are not available/);
  });
});

describe("the pool", () => {
  test("runs queue when every worker is busy and all complete", async () => {
    const small = createSandboxPool({ size: 1 });
    try {
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, n) =>
          small.runFunction({
            code: "export default ({ event }) => event.n * 10",
            event: { n },
            secrets: {},
          }),
        ),
      );
      assert.deepEqual(
        results.map((r) => expectOk(r)),
        [0, 10, 20, 30, 40, 50],
      );
    } finally {
      await small.close();
    }
  });

  test("runs beyond maxQueue are refused as unavailable", async () => {
    const small = createSandboxPool({ size: 1, maxQueue: 1 });
    try {
      const first = small.runFunction({ code: "export default () => 1", event: {}, secrets: {} });
      await assert.rejects(
        small.runFunction({ code: "export default () => 2", event: {}, secrets: {} }),
        (e: unknown) => e instanceof AppError && e.code === "unavailable",
      );
      expectOk(await first);
    } finally {
      await small.close();
    }
  });

  test("close() ends runs in flight and refuses new ones", async () => {
    const small = createSandboxPool({ size: 1 });
    const inFlight = small.runFunction({
      code: "export default () => { for (;;) {} }",
      event: {},
      secrets: {},
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await small.close();
    expectError(await inFlight, "sandbox_crashed");
    await assert.rejects(
      small.runFunction({ code: "export default () => 1", event: {}, secrets: {} }),
      AppError,
    );
  });

  test("limits outside their range and non-JSON inputs are invalid_request", async () => {
    const bad = (input: Parameters<SandboxPool["runFunction"]>[0]) =>
      assert.rejects(
        pool.runFunction(input),
        (e: unknown) => e instanceof AppError && e.code === "invalid_request",
      );
    await bad({ code: "export default () => 1", event: {}, secrets: {}, timeoutMs: 0 });
    await bad({ code: "export default () => 1", event: {}, secrets: {}, timeoutMs: 60_001 });
    await bad({ code: "export default () => 1", event: {}, secrets: {}, memoryMb: 2048 });
    await bad({ code: "export default () => 1", event: { n: 1n }, secrets: {} });
  });
});
