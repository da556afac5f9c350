import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { AppError } from "../errors.js";
import { checkName, isValidName, nameKey } from "./names.js";

const upperSnakeName = fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,127}$/);
const aliasName = fc.stringMatching(/^[a-z0-9_-]{1,128}$/);

describe("secret names (S1)", () => {
  it("every upper_snake name of the policy's grammar is accepted and kept as written", () => {
    fc.assert(
      fc.property(upperSnakeName, (name) => {
        assert.equal(checkName("upper_snake", name), name);
      }),
    );
  });

  it("an upper_snake name with a lowercase letter, a leading digit or another character is refused", () => {
    const bad = fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 9 }), upperSnakeName).map(([d, n]) => `${d}${n}`),
      fc
        .tuple(upperSnakeName, fc.constantFrom("a", "-", ".", "/", " ", "é", "\n", "\u0000"))
        .map(([n, c]) => n + c),
    );
    fc.assert(
      fc.property(bad, (name) => {
        assert.equal(isValidName("upper_snake", name), false);
        assert.throws(
          () => checkName("upper_snake", name),
          (e: unknown) => e instanceof AppError && e.code === "invalid_request",
        );
      }),
    );
  });

  it("alias names are case-insensitive: any casing is stored lowercase", () => {
    fc.assert(
      fc.property(aliasName, fc.boolean(), (name, upper) => {
        const given = upper ? name.toUpperCase() : name;
        assert.equal(checkName("alias", given), name);
        assert.equal(nameKey(given), nameKey(name));
      }),
    );
  });

  it("names longer than 128 characters are refused under both policies", () => {
    assert.equal(isValidName("upper_snake", "A".repeat(128)), true);
    assert.equal(isValidName("upper_snake", "A".repeat(129)), false);
    assert.equal(isValidName("alias", "a".repeat(129)), false);
  });

  it("path tricks and empty names are never valid", () => {
    for (const name of ["", "..", "../X", "A/B", "A%2FB", "A B", "A\tB", "__proto__".toUpperCase() + "/"]) {
      assert.equal(isValidName("upper_snake", name), false, name);
      assert.equal(isValidName("alias", name), false, name);
    }
  });

  it("the refusal message never repeats the refused name", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 3 }).map((s) => `§${s}`),
        (name) => {
          try {
            checkName("upper_snake", name);
            assert.fail("accepted");
          } catch (e) {
            assert.ok(!(e as Error).message.includes(name));
          }
        },
      ),
    );
  });
});
