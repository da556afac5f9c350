import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { analyzeExpression } from "./flow-analysis.js";

const name = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,20}$/);

const uses = (text: string) => {
  const a = analyzeExpression(text);
  assert.ok(a.ok, `${text}: ${a.ok ? "" : a.message}`);
  return a;
};

describe("expression analysis (acorn)", () => {
  it('finds secrets.X and secrets["X"] in every spelling, and only as references', () => {
    fc.assert(
      fc.property(name, name, (a, b) => {
        const found = uses(`secrets.${a} + secrets["${b}"] + secrets?.${a} + secrets[\`${b}\`]`).uses;
        assert.deepEqual([...new Set(found.map((u) => u.name))].sort(), [...new Set([a, b])].sort());
      }),
    );
    assert.deepEqual(uses("'secrets.X' + `secrets.Y` /* secrets.Z */ + event.secrets.W").uses, []);
    assert.deepEqual(uses("({ secrets: 1 }).secrets").uses, []);
  });

  it("tells plain uses (whole, or an interpolation) from computing ones", () => {
    const plain = (text: string) => uses(text).uses.map((u) => u.plain);
    assert.deepEqual(plain("secrets.A"), [true]);
    assert.deepEqual(plain("secrets?.A"), [true]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
    assert.deepEqual(plain("`Bearer ${secrets.A} and ${secrets['B']}`"), [true, true]);
    assert.deepEqual(plain("secrets.A.length"), [false]);
    assert.deepEqual(plain("'x' + secrets.A"), [false]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
    assert.deepEqual(plain("tag`${secrets.A}`"), [false]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
    assert.deepEqual(plain("`${secrets.A.split('')}`"), [false]);
    assert.deepEqual(plain("[secrets.A]"), [false]);
  });

  it("flags dynamic reads of secrets and code that can run", () => {
    assert.equal(uses("secrets[event.data.k]").dynamic, true);
    assert.equal(uses("Object.values(secrets)").dynamic, true);
    assert.equal(uses("({ ...secrets })").dynamic, true);
    assert.equal(uses("secrets.A").dynamic, false);
    for (const code of [
      "f()",
      "new Date()",
      "(() => 1)",
      "this",
      "globalThis.x",
      "tag`x`",
      "({ get a() { return 1 } })",
      // Conversion functions only as a call's callee, with at most two arguments.
      "String",
      "({ f: String })",
      "[event].map(String)",
      "String(event, 1, 2)",
      "new String(event)",
      "String.raw`x`",
      "Math.max(1)",
      "String(event)(1)",
      "JSON.stringify(event)",
      // JSON.stringify calls a toJSON with its key: with Function there, the key would run as code.
      "({ toJSON: 1 })",
      '({ "toJSON": event })',
      `({ "}), (globalThis.pwn = 1), (function () {": { toJSON: event.constructor.constructor } })`,
      // Computed keys are never simple.
      '({ ["a"]: 1 })',
      "({ [`k`]: 1 })",
      "({ [event.name]: 1 })",
    ]) {
      assert.equal(uses(code).simple, false, code);
    }
    for (const code of [
      "event.data.x ? steps.a.output : 'no'",
      "[1, 'a', { b: event.name }]",
      "typeof event",
      "String(event.data.id)",
      "encodeURIComponent(event.name) + '/' + parseInt(event.id, 10)",
      "Number(event.x) || Boolean(steps.a)",
    ]) {
      assert.equal(uses(code).simple, true, code);
    }
  });

  it("refuses statements and broken text, naming where", () => {
    for (const text of ["1); (2", "a; b", "1 +", "let x = 1", "", "/* open", "a)\n//"]) {
      const a = analyzeExpression(text);
      assert.equal(a.ok, false, text);
    }
    const broken = analyzeExpression("event.data + )");
    assert.ok(!broken.ok && broken.message === "SyntaxError: Unexpected token (line 1, column 14)");
    const short = analyzeExpression("event.data +");
    assert.ok(!short.ok && short.message.endsWith("at the end of the expression"), JSON.stringify(short));
  });

  it("never throws, whatever the text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        const a = analyzeExpression(text);
        assert.equal(typeof a.ok, "boolean");
      }),
      { numRuns: 500 },
    );
  });
});
