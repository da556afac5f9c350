/**
 * Decision 0346's prototype matcher: the product's matcher (matcher.ts) built over the reduced form set
 * (reduced.ts), run over the text and over its decoded views (views.ts), the views' ranges mapped back to
 * the text, all ranges merged as the product merges them (overlapping and adjacent ones joined).
 */

import { createMatcher } from "../matcher.js";
import { createPrototypeMatcher, phases as phases0345 } from "../prototype/build.js";
import { simple } from "../prototype/values.js";
import { collectReduced, createTargetInfo, type TargetInfo, valueTargets } from "./reduced.js";
import { decodeViews, sourceRange } from "./views.js";

export interface DecodeMatcher {
  ranges(text: string): number[];
  /** The text's ranges alone, and the views (for the bench's split of the scan). */
  textRanges(text: string): number[];
  viewRanges(text: string): { ranges: number[]; regionChars: number };
  /** Searched strings (patterns, or the 0345 build's forms), and values that kept more of today's forms. */
  count: number;
  irregular: number;
  short: number;
}

/** CPU ms of the last build's two steps (the bench's split). */
export const phases = { forms: 0, matcher: 0 };

function cpuNow(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** The reduced set through the product's collection and matcher. */
function productBuild(values: readonly string[]) {
  const t0 = cpuNow();
  const table = collectReduced(values);
  const t1 = cpuNow();
  const matcher = createMatcher(table);
  phases.forms = t1 - t0;
  phases.matcher = cpuNow() - t1;
  return { matcher, info: table as TargetInfo, count: table.patterns.length, short: table.short };
}

/**
 * The reduced set through decision 0345's build (src/redaction/prototype/: no string per form, one window
 * position per value): its raw, host and hex kinds and base64, and the other targets as strings.
 */
function build0345(values: readonly string[]) {
  const info = createTargetInfo();
  let short = 0;
  // The values 0345's build takes through forms.ts (controls, surrogates) keep today's forms there, but
  // their targets still set the views' margin and heads.
  for (const value of new Set(values)) {
    if (typeof value === "string" && value.length >= 4 && !simple(value)) valueTargets(value, info);
  }
  const matcher = createPrototypeMatcher(values, {
    extra(value) {
      const t = valueTargets(value, info);
      if (t.short) {
        short++;
        return null;
      }
      const own = (f: string) => t.bases.some((b) => b === f || b.toLowerCase() === f);
      return [...t.forms].filter((f) => !own(f));
    },
  });
  phases.forms = phases0345.forms;
  phases.matcher = phases0345.windows + phases0345.tiers;
  return { matcher, info, count: matcher.count, short };
}

/**
 * `restarts`: false only to measure what they cost (views.ts): the views then miss some forms. `build`:
 * the product's collection and matcher over the reduced set, or 0345's build.
 */
export function createDecodeMatcher(
  values: readonly string[],
  restarts = true,
  build: "product" | "0345" = "product",
): DecodeMatcher {
  const { matcher, info, count, short } = build === "0345" ? build0345(values) : productBuild(values);
  const margin = info.longestTarget;
  const viewRanges = (text: string) => {
    const out: number[] = [];
    if (count === 0 || (!text.includes("%") && !text.includes("\\"))) {
      return { ranges: out, regionChars: 0 };
    }
    const { views, regionChars } = decodeViews(text, margin, restarts, info.heads);
    for (const view of views) {
      const found = matcher.ranges(view.text);
      for (let i = 0; i < found.length; i += 2) {
        const [s, e] = sourceRange(view, found[i]!, found[i + 1]!);
        out.push(s, e);
      }
    }
    return { ranges: out, regionChars };
  };
  return {
    count,
    irregular: info.irregular,
    short,
    textRanges: (text) => matcher.ranges(text),
    viewRanges,
    ranges(text) {
      const own = matcher.ranges(text);
      const { ranges } = viewRanges(text);
      return ranges.length === 0 ? own : merge(own, ranges);
    },
  };
}

/** The union of two lists of ranges `[start, end, ...]` (the second unsorted), overlapping and adjacent joined. */
export function merge(a: readonly number[], b: readonly number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < a.length; i += 2) pairs.push([a[i]!, a[i + 1]!]);
  for (let i = 0; i < b.length; i += 2) pairs.push([b[i]!, b[i + 1]!]);
  pairs.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  const out: number[] = [];
  for (const [s, e] of pairs) {
    const last = out.length - 1;
    if (last > 0 && s <= out[last]!) out[last] = Math.max(out[last]!, e);
    else out.push(s, e);
  }
  return out;
}
