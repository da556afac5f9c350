import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createRedactor, redactDeep, SENSITIVE } from "./index.js";

const redactor = createRedactor(["hunter2-secret", "api-key-1234"]);

describe("redactDeep", () => {
  it("every string leaf of a JSON value is redacted, keys included", () => {
    const input = {
      user: "bob",
      password: "hunter2-secret",
      nested: [{ header: "Bearer api-key-1234" }, "x hunter2-secret y", 42, null, true],
      "api-key-1234": "value under a secret key",
    };
    assert.deepEqual(redactDeep(redactor, input), {
      user: "bob",
      password: SENSITIVE,
      nested: [{ header: `Bearer ${SENSITIVE}` }, `x ${SENSITIVE} y`, 42, null, true],
      [SENSITIVE]: "value under a secret key",
    });
  });

  it("a number holding a value is replaced by its redacted JSON text; other numbers stay numbers", () => {
    const pins = createRedactor(["73910482"]);
    const data = { pin: 73910482, near: 173910482, n: 42, big: 1e21 };
    assert.deepEqual(redactDeep(pins, data, { numbers: true }), {
      pin: SENSITIVE,
      near: `1${SENSITIVE}`,
      n: 42,
      big: 1e21,
    });
    // Off by default: a record's own numbers (a duration) stay numbers.
    assert.deepEqual(redactDeep(pins, data), data);
  });

  it("the input is left untouched and non-string values pass through", () => {
    const input = { a: ["hunter2-secret"], n: 1.5, b: false, u: undefined };
    const snapshot = structuredClone(input);
    const out = redactDeep(redactor, input);
    assert.deepEqual(input, snapshot);
    assert.notEqual(out.a, input.a);
    assert.equal(redactDeep(redactor, 7), 7);
    assert.equal(redactDeep(redactor, null), null);
    assert.equal(redactDeep(redactor, "api-key-1234"), SENSITIVE);
  });

  it("a __proto__ key becomes an own property and pollutes no prototype", () => {
    const input = JSON.parse(
      '{"__proto__": {"polluted": "hunter2-secret"}, "constructor": {"prototype": 1}}',
    );
    const out = redactDeep(redactor, input) as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.ok(Object.hasOwn(out, "__proto__"));
    assert.deepEqual(Object.getOwnPropertyDescriptor(out, "__proto__")?.value, { polluted: SENSITIVE });
    assert.equal((out as { polluted?: unknown }).polluted, undefined);
    assert.equal(({} as { polluted?: unknown }).polluted, undefined);
  });

  it("an object seen twice, or a cycle, maps to a single copy", () => {
    const shared = { token: "api-key-1234" };
    const cyclic: Record<string, unknown> = { shared, again: shared };
    cyclic.self = cyclic;
    const out = redactDeep(redactor, cyclic) as Record<string, unknown>;
    assert.equal(out.self, out);
    assert.equal(out.shared, out.again);
    assert.deepEqual(out.shared, { token: SENSITIVE });
  });
});
