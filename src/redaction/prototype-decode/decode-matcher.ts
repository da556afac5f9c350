/**
 * Decision 0346's prototype matcher: the product's matcher (matcher.ts) built over the reduced form set
 * (reduced.ts), run over the text and over its decoded views (views.ts), the views' ranges mapped back to
 * the text, all ranges merged as the product merges them (overlapping and adjacent ones joined).
 */

import { createMatcher, type Matcher } from "../matcher.js";
import { collectReduced, type ReducedTable } from "./reduced.js";
import { decodeViews, sourceRange } from "./views.js";

export interface DecodeMatcher {
  ranges(text: string): number[];
  /** The text's ranges alone, and the views (for the bench's split of the scan). */
  textRanges(text: string): number[];
  viewRanges(text: string): { ranges: number[]; regionChars: number };
  table: ReducedTable;
  matcher: Matcher;
}

/** CPU ms of the last build's two steps (the bench's split). */
export const phases = { forms: 0, matcher: 0 };

function cpuNow(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** `restarts`: false only to measure what they cost (views.ts): the views then miss some forms. */
export function createDecodeMatcher(values: readonly string[], restarts = true): DecodeMatcher {
  const t0 = cpuNow();
  const table = collectReduced(values);
  const t1 = cpuNow();
  const matcher = createMatcher(table);
  phases.forms = t1 - t0;
  phases.matcher = cpuNow() - t1;
  const margin = table.longestTarget;
  const viewRanges = (text: string) => {
    const out: number[] = [];
    if (table.patterns.length === 0 || (!text.includes("%") && !text.includes("\\"))) {
      return { ranges: out, regionChars: 0 };
    }
    const { views, regionChars } = decodeViews(text, margin, restarts, table.heads);
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
    table,
    matcher,
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
