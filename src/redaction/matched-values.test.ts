import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { collectPatterns, expandPatterns } from "./forms.js";
import { createRedactor } from "./index.js";

/** The obvious answer: the values one of whose forms occurs in the text. */
function naiveMatched(values: string[], text: string): string[] {
  return [...new Set(values)].filter((v) =>
    expandPatterns(collectPatterns([v])).some((p) => text.includes(p)),
  );
}

describe("redactor.matchedValues", () => {
  it("names exactly the values that have a form in the text, whatever the form", () => {
    const value = fc.string({ minLength: 4, maxLength: 12, unit: fc.constantFrom(..."ab:/ +é1") });
    fc.assert(
      fc.property(
        fc.uniqueArray(value, { minLength: 1, maxLength: 4 }),
        fc.nat(),
        fc.string(),
        (values, pick, noise) => {
          const chosen = values[pick % values.length]!;
          const forms = expandPatterns(collectPatterns([chosen]));
          const form = forms[pick % Math.max(1, forms.length)] ?? chosen;
          const text = `${noise}${form}${noise}`;
          const redactor = createRedactor(values);
          assert.deepEqual(redactor.matchedValues(text).sort(), naiveMatched(values, text).sort());
        },
      ),
      { numRuns: 300 },
    );
  });

  it("tells which of several secrets a redacted text held", () => {
    const redactor = createRedactor(["PIN=493817", "sk_live_abcdef", "user:s3cret-pass"]);
    const text = `guess ${Buffer.from("PIN=493817").toString("base64")} and ${encodeURIComponent("user:s3cret-pass")}`;
    assert.deepEqual(redactor.matchedValues(text).sort(), ["PIN=493817", "user:s3cret-pass"]);
    assert.deepEqual(redactor.matchedValues("nothing here"), []);
  });
});
