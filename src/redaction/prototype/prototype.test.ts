/**
 * The build prototype of decision 0345 finds what the product's build finds: the same ranges on the three
 * logs of the shapes bench for the twelve secret sets, the same searched strings (tails expanded) as
 * forms.ts for random values, and every planted form of random values in random text.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { logText, proseLog, secretSets, tokenDenseLog } from "../../../bench/redaction-shapes.js";
import { collectPatterns, expandPatterns } from "../forms.js";
import { createMatcher } from "../matcher.js";
import { createPrototypeMatcher } from "./build.js";

const KiB = 1024;

/** Every string the prototype redacts: each searched string, and it followed by each of its tails. */
function expanded(values: string[]): Set<string> {
  const out = new Set<string>();
  for (const { searched, tails } of createPrototypeMatcher(values).strings()) {
    out.add(searched);
    for (const tail of tails ?? []) out.add(searched + tail);
  }
  return out;
}

const value = fc.string({
  unit: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(..."aZ09_-.~!*'()%\"\\<>&/:@?#+ =$,;[]{}^`|".split("")) },
    { weight: 2, arbitrary: fc.constantFrom(..."éüß€ÿ\u00a0\u2028\u0301😀".split(/(?:)/u)) },
    { weight: 1, arbitrary: fc.constantFrom("\t", "\n", "\r", "\u0000", "\u007f", "\ud800") },
    { weight: 1, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  ),
  minLength: 1,
  maxLength: 20,
});

describe("redactor build prototype (decision 0345)", () => {
  it("makes the searched strings forms.ts makes, tails expanded (random values)", () => {
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 8 }), (values) => {
        const oracle = new Set(expandPatterns(collectPatterns(values)));
        assert.deepEqual([...expanded(values)].sort(), [...oracle].sort());
      }),
      { numRuns: 300 },
    );
  });

  it("finds every planted form of random values in random text, with the product's ranges", () => {
    const filler = fc.string({ unit: fc.constantFrom(...'aZ09+/=% "\\:,{}é\n'.split("")), maxLength: 40 });
    fc.assert(
      fc.property(
        fc.array(value, { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(filler, fc.nat()), { minLength: 1, maxLength: 8 }),
        filler,
        (values, pieces, end) => {
          const forms = expandPatterns(collectPatterns(values));
          fc.pre(forms.length > 0);
          let text = "";
          const planted: [number, number][] = [];
          for (const [before, k] of pieces) {
            const form = forms[k % forms.length]!;
            text += before;
            planted.push([text.length, text.length + form.length]);
            text += form;
          }
          text += end;
          const ranges = createPrototypeMatcher(values).ranges(text);
          for (const [from, to] of planted) {
            let covered = false;
            for (let i = 0; i < ranges.length && !covered; i += 2) {
              covered = ranges[i]! <= from && to <= ranges[i + 1]!;
            }
            assert.ok(covered, `planted [${from}, ${to}) not found`);
          }
          assert.deepEqual(ranges, createMatcher(collectPatterns(values)).ranges(text));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("gives the product's ranges on 256 KiB of each bench log, for the twelve sets of 10,000 values", () => {
    const sets = secretSets(10_000, { bench: 1, sets: 7 });
    let markers = 0;
    for (const { name, values } of sets) {
      const product = createMatcher(collectPatterns(values));
      const prototype = createPrototypeMatcher(values);
      for (const log of [
        logText(256 * KiB, values, 11),
        tokenDenseLog(256 * KiB, values, 12),
        proseLog(256 * KiB, values, 13),
      ]) {
        const expected = product.ranges(log);
        markers += expected.length / 2;
        assert.deepEqual(prototype.ranges(log), expected, name);
      }
    }
    // The logs carry the sets' values in several forms: the comparison is not of empty lists.
    assert.ok(markers > 1000, `${markers} ranges`);
  });
});
