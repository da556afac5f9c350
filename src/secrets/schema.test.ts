import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AppError } from "../errors.js";
import { MAX_VALUE_BYTES, parseValue } from "./schema.js";

const isCode = (code: string) => (e: unknown) => e instanceof AppError && e.code === code;

describe("secret values (S2)", () => {
  it("a token is any non-empty string and round-trips through its serialized form", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200 }), (s) => {
        const { value, serialized } = parseValue("token", s);
        assert.equal(value, s);
        assert.equal(JSON.parse(serialized), s);
      }),
    );
  });

  it("username_password needs two strings and a non-empty password", () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 1 }), (username, password) => {
        assert.deepEqual(parseValue("username_password", { username, password }).value, {
          username,
          password,
        });
      }),
    );
    for (const bad of [
      { username: "u" },
      { username: "u", password: "" },
      { username: 1, password: "p" },
      "u:p",
      null,
      [],
    ]) {
      assert.throws(() => parseValue("username_password", bad), isCode("invalid_request"));
    }
    assert.throws(
      () => parseValue("username_password", { username: "u", password: "p", extra: 1 }),
      isCode("invalid_request"),
    );
  });

  it("json must be an object, not an array, string or null", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const { serialized } = parseValue("json", obj);
        assert.deepEqual(JSON.parse(serialized), JSON.parse(JSON.stringify(obj)));
      }),
    );
    for (const bad of [[], "x", null, 1, true])
      assert.throws(() => parseValue("json", bad), isCode("invalid_request"));
  });

  it("anything that is not a non-empty string is refused as a token", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.constant(""), fc.integer(), fc.boolean(), fc.constant(null), fc.object()),
        (v) => {
          assert.throws(() => parseValue("token", v), isCode("invalid_request"));
        },
      ),
    );
  });

  it("a value over 64 KiB serialized is refused as payload_too_large", () => {
    assert.doesNotThrow(() => parseValue("token", "x".repeat(MAX_VALUE_BYTES - 2)));
    assert.throws(() => parseValue("token", "x".repeat(MAX_VALUE_BYTES)), isCode("payload_too_large"));
    assert.throws(
      () => parseValue("json", { k: "é".repeat(MAX_VALUE_BYTES / 2) }),
      isCode("payload_too_large"),
    );
  });

  it("a refusal never contains the value", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 5 }).map((s) => `§${s}`),
        (secret) => {
          try {
            parseValue("json", secret);
            assert.fail("accepted");
          } catch (e) {
            const err = e as AppError;
            assert.ok(!err.message.includes(secret));
            assert.ok(!JSON.stringify(err.details).includes(secret));
          }
        },
      ),
    );
  });
});

describe("secret values keep every key", () => {
  it("an own __proto__ key of a JSON value survives validation and serialization", () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const { serialized } = parseValue("json", value);
    assert.equal(serialized, '{"__proto__":{"polluted":true},"a":1}');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
