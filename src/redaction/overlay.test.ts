/**
 * Layered rebuilds (decision 0360): a matcher rebuilt over an overlay finds exactly what a matcher built
 * from scratch over the same values finds, through any series of changes, in both scan loops; and falls
 * back to a full build where it must.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { collectPatterns, expandPatterns, type PatternTable } from "./forms.js";
import { createRedactor, isLayered, SENSITIVE } from "./index.js";
import { createMatcher, type Matcher, passesFilter, selectionOf, withOverlay } from "./matcher.js";
import { rebuildMatcher } from "./overlay.js";
import { useScanLoop } from "./scan-wasm.js";

const secretValue = fc.string({
  unit: fc.constantFrom(..."aZq09_-.~!*'()%\"\\<>&/:@?#+ =$,;éü€".split("")),
  minLength: 4,
  maxLength: 24,
});

/** An edit of a list of values: one removed, one added, or one changed (a character appended). */
const edit = fc.tuple(fc.constantFrom("remove", "add", "change"), fc.nat(), secretValue);

function apply(values: string[], [kind, at, value]: [string, number, string]): string[] {
  const out = values.slice();
  const k = at % out.length;
  if (kind === "remove" && out.length > 1) out.splice(k, 1);
  else if (kind === "add") out.splice(k, 0, value);
  else out[k] = `${out[k]}${value[0]}`;
  return out;
}

/** Forms of `values` at `picks`, between pieces of filler: a text holding old and new values' forms. */
function textWith(values: string[], picks: number[], filler: string): string {
  let text = filler;
  for (const pick of picks) {
    const forms = expandPatterns(collectPatterns([values[pick % values.length]!]));
    text += forms[(pick >>> 4) % forms.length] + filler;
  }
  return text;
}

/** One step of the runner's chain: the next table and matcher, and whether it was layered. */
function rebuild(values: string[], table: PatternTable, matcher: Matcher) {
  const next = collectPatterns(values, table);
  const layered = rebuildMatcher(next, matcher);
  const built = layered ?? createMatcher(next, matcher);
  next.reused = undefined;
  return { table: next, matcher: built, layered: layered !== null };
}

function sameAsFresh(matcher: Matcher, values: string[], text: string): void {
  const fresh = createMatcher(collectPatterns(values));
  assert.deepEqual(matcher.ranges(text), fresh.ranges(text));
  assert.equal(matcher.longest, fresh.longest);
  for (const cut of [text.length >> 1, text.length - 3, text.length]) {
    assert.equal(matcher.liveFrom(text.slice(0, cut)), fresh.liveFrom(text.slice(0, cut)));
  }
}

describe("layered rebuilds (decision 0360)", () => {
  for (const loop of ["wasm", "js"] as const) {
    it(`a series of changes gives the ranges of a build from scratch (${loop} loop)`, () => {
      useScanLoop(loop);
      let layered = 0;
      let steps = 0;
      try {
        fc.assert(
          fc.property(
            fc.array(secretValue, { minLength: 110, maxLength: 140 }),
            fc.array(edit, { minLength: 1, maxLength: 5 }),
            fc.array(fc.nat(), { minLength: 4, maxLength: 12 }),
            fc.constantFrom(" ", "x=", "\n", '","', "%22"),
            (start, edits, picks, filler) => {
              let values = start;
              let table = collectPatterns(values);
              fc.pre(table.patterns.length >= 1024);
              let matcher = createMatcher(table);
              const seen = [...values];
              for (const e of edits) {
                values = apply(values, e);
                seen.push(...values);
                const step = rebuild(values, table, matcher);
                ({ table, matcher } = step);
                layered += step.layered ? 1 : 0;
                steps++;
                sameAsFresh(matcher, values, textWith(seen, picks, filler));
              }
            },
          ),
          { numRuns: 30, endOnFailure: true },
        );
      } finally {
        useScanLoop("auto");
      }
      // The property is about the layered path: most steps must have taken it.
      assert.ok(layered > steps / 2, `${layered} of ${steps} steps layered`);
    });
  }

  it("falls back to a full build past its share of the base, then layers on the new base", () => {
    const values = Array.from({ length: 200 }, (_, i) => `value-${i}-${(i * 7919).toString(36)}Qz!`);
    let table = collectPatterns(values);
    let matcher = createMatcher(table);
    const kinds: boolean[] = [];
    for (let i = 0; i < 40; i++) {
      values[i] = `${values[i]}~`;
      const step = rebuild(values, table, matcher);
      ({ table, matcher } = step);
      kinds.push(step.layered);
      if (i % 8 === 0) sameAsFresh(matcher, values, textWith(values, [i, i + 50, 3 * i], " "));
    }
    const full = kinds.indexOf(false);
    assert.ok(full > 0, "the first changes are layered");
    assert.ok(kinds.slice(full + 1).includes(true), "layered again after the full build");
    sameAsFresh(matcher, values, textWith(values, [1, 2, 3, 77, 199], '"'));
  });

  it("a new value too short for the base's stride makes a full build", () => {
    // Long values only: the stride is the largest their patterns allow, more than a 4-character value has.
    const values = Array.from({ length: 200 }, (_, i) => `long-secret-value-number-${i}-of-many`);
    const table = collectPatterns(values);
    const matcher = createMatcher(table);
    assert.ok(selectionOf(matcher), "the base keeps its layers (1,024 patterns or more)");
    // A control: a new value as long as the others is layered.
    const longer = [...values, "long-secret-value-number-X-of-many"];
    assert.notEqual(rebuildMatcher(collectPatterns(longer, table), matcher), null);
    const after = [...values, "PIN7"];
    const next = collectPatterns(after, table);
    assert.equal(rebuildMatcher(next, matcher), null);
    const built = createMatcher(next, matcher);
    sameAsFresh(built, after, textWith(after, [200, 5, 200], " PIN7 "));
  });

  it("a removed secret is shown again and a new one hidden, as by a redactor built from scratch", () => {
    const before = Array.from({ length: 150 }, (_, i) => `tok_${i}_${(i * 104729).toString(36)}#X`);
    const removed = before[42]!;
    const added = "fresh-Secret-9%z";
    const after = [...before.slice(0, 42), ...before.slice(43), added];
    const rebuilt = createRedactor(after, createRedactor(before));
    assert.ok(isLayered(rebuilt));
    const text = `a=${removed} b=${added} c=${encodeURIComponent(added)} d=${before[7]}`;
    const out = rebuilt.redact(text);
    assert.equal(out, `a=${removed} b=${SENSITIVE} c=${SENSITIVE} d=${SENSITIVE}`);
    assert.equal(out, createRedactor(after).redact(text));
  });
});

describe("layered rebuilds of sets with long values (decision 0360)", () => {
  // 2,000 keys of 40 characters: a stride of 21, and no pattern short enough for the q = 4 tier (under
  // 28 characters at that stride), so the base's q = 4 tier is empty. Values of 24 to 27 characters fit
  // the stride and go to that tier: all of it is overlay.
  const keys = Array.from(
    { length: 2000 },
    (_, i) => `key_${String(i).padStart(5, "0")}_${"AbCdEfGh".repeat(4)}`,
  );

  for (const loop of ["wasm", "js"] as const) {
    it(`values added one at a time to an empty q = 4 tier are found as from scratch (${loop} loop)`, () => {
      useScanLoop(loop);
      try {
        let values = keys.slice();
        let table = collectPatterns(values);
        let matcher = createMatcher(table);
        assert.equal(selectionOf(matcher)?.layers.mid.count, 0, "the base's q = 4 tier is empty");
        for (let i = 0; i < 40; i++) {
          values = [...values, `mid-${String(i).padStart(3, "0")}-${"Zq".repeat(8)}-${"x".repeat(i % 4)}`];
          const step = rebuild(values, table, matcher);
          ({ table, matcher } = step);
          assert.ok(step.layered, `change ${i} layered`);
          if (i % 10 === 9) sameAsFresh(matcher, values, textWith(values, [0, 1999, 2000, i, 2000 + i], " "));
        }
        assert.equal(selectionOf(matcher)?.layers.mid.count, 0, "the q = 4 tier still empty: all overlay");
      } finally {
        useScanLoop("auto");
      }
    });
  }

  it("an overlay larger than its tier gets a larger filter, which every gram of both passes", () => {
    const small = createMatcher(collectPatterns(keys.slice(0, 200)));
    const large = createMatcher(collectPatterns(keys.slice(200)));
    const baseTier = longTier(small);
    const overlayTier = longTier(large);
    const merged = withOverlay(baseTier, overlayTier);
    assert.ok(merged.filter.length > baseTier.filter.length, "a larger filter");
    for (const tier of [baseTier, overlayTier]) {
      const groups = tier.start[tier.start.length - 1]!;
      for (let k = 0; k < 4 * groups; k += 4) assert.ok(passesFilter(merged, tier.cells[k]!));
    }
    // An overlay that fits keeps the base's size.
    assert.equal(withOverlay(overlayTier, baseTier).filter.length, overlayTier.filter.length);
  });
});

/** The q = 8 tier of a full build (kept in its selection's layers). */
function longTier(matcher: Matcher) {
  const selection = selectionOf(matcher);
  assert.ok(selection, "a matcher of 1,024 patterns or more keeps its layers");
  return selection.layers.long;
}
