/**
 * The reduced form set of decision 0346's prototype ("decode the text, not encode the values"): a value's
 * forms that are not reversible escapings (raw and its normalizations, the host's lower case, hex, base64,
 * the lines of a multi-line value), and for each escaped form f of today's forms.ts, the string D(f) that the
 * decoded views of views.ts show for it. For most values D(f) is the value itself; the exceptions are
 * listed here as "targets" (space as `+`, lone surrogates as U+FFFD, tabs and line breaks dropped,
 * backslash as slash). A value for which that is not provably so ("irregular": a `%` the URL forms keep
 * that a decoder would read as an escape, or a target under 4 characters) keeps all of today's forms.
 */

import { addBase64Forms, createBase64Scratch } from "../base64.js";
import { collectPatterns, MIN_FRAGMENT_LENGTH, MIN_VALUE_LENGTH, type PatternTable } from "../forms.js";
import * as percent from "../percent.js";
import { type Heads, headKey } from "./views.js";

const ASCII = /^[\x00-\x7f]*$/;
const LINE_BREAK = /\r\n|\r|\n/;
const LATIN1_HIGH = /^[\x00-\xff]*[\x80-\xff][\x00-\xff]*$/;
const HOST_CHARS = /^[^\x00-\x20#%/:<>?@[\\\]^|\x7f-\uffff]*$/;
const TAB_OR_BREAK = /[\t\n\r]/g;
const HAS_TAB_OR_BREAK = /[\t\n\r]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
/**
 * A `%` that the WHATWG URL forms keep as it is and that the percent view would read as the start of an
 * escape (`%41`, `%u0041`), or that ends the value (the text after it could complete an escape).
 */
const PERCENT_AMBIGUOUS = /%(?:[0-9A-Fa-fu]|$)/;

export interface ReducedTable extends PatternTable, TargetInfo {
  /** How many values kept all of today's forms (a target under 4 characters). */
  short: number;
}

const HEAD_BITS = 18;

/** Lone surrogates as U+FFFD, as `Buffer.from(s, "utf8")` (so the percent encoders) writes them. */
export function wellFormed(s: string): string {
  return SURROGATE.test(s) ? s.replace(LONE_SURROGATE, "\ufffd") : s;
}

const SURROGATE = /[\ud800-\udfff]/;

function normalizations(s: string): string[] {
  if (ASCII.test(s)) return [s];
  const out = [s];
  for (const n of [s.normalize("NFC"), s.normalize("NFD")]) if (!out.includes(n)) out.push(n);
  return out;
}

function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/**
 * What the views show for the escaped forms of one base `s` (a normalization of the value): JSON escapings
 * (once, in the first JSON view; twice, in the second) and escape() give `s`; the percent styles give
 * `s` with lone surrogates as U+FFFD and, in the styles writing a space as `+`, spaces as `+` (the view
 * keeps a `+` as it is); the URL sets also give `s` without tabs and line breaks (the parser drops them)
 * and with backslash as slash (the path's variant).
 */
export function targets(s: string, out: Set<string>, urls: boolean): void {
  out.add(s);
  const w = wellFormed(s);
  out.add(w);
  if (s.includes(" ")) out.add(w.replaceAll(" ", "+"));
  if (!urls) return;
  for (const t of asParsed(s)) {
    out.add(wellFormed(t));
    if (t.includes("\\")) out.add(wellFormed(t.replaceAll("\\", "/")));
  }
}

/**
 * Whether the value (its normalizations `bases`) keeps its URL forms as strings: a view could show them as
 * another string than a target. Each base is tested as the URL parser reads it too, without its tabs and
 * line breaks: it drops them, so the `%` of `%\tae` is kept as the start of `%ae`.
 */
export function isIrregular(bases: readonly string[]): boolean {
  for (const s of bases) {
    for (const t of asParsed(s)) if (PERCENT_AMBIGUOUS.test(t)) return true;
  }
  return false;
}

/** `s`, and `s` as the URL parser reads it when that differs: without its tabs and line breaks. */
function asParsed(s: string): string[] {
  return HAS_TAB_OR_BREAK.test(s) ? [s, s.replace(TAB_OR_BREAK, "")] : [s];
}

/** What valueTargets keeps across values. */
export interface TargetInfo {
  irregular: number;
  longestTarget: number;
  heads: Heads;
}

export function createTargetInfo(): TargetInfo {
  return {
    irregular: 0,
    longestTarget: 0,
    heads: { bits: new Int32Array(1 << (HEAD_BITS - 5)), shift: 32 - HEAD_BITS },
  };
}

/**
 * One value's strings other than hex and base64: its targets (recorded in `info`: the longest, the
 * heads), the host's lower case, an irregular value's URL forms; `short`: some target is under 4 units.
 */
export function valueTargets(
  value: string,
  info: TargetInfo,
): { bases: string[]; forms: Set<string>; short: boolean } {
  const bases = normalizations(value);
  const forms = new Set<string>();
  for (const s of bases) targets(s, forms, true);
  if (LINE_BREAK.test(value)) addLines(value, forms);
  let short = false;
  // The views show these strings: the regions reach this far around an escape.
  const bits = info.heads.bits;
  for (const form of forms) {
    info.longestTarget = Math.max(info.longestTarget, form.length);
    if (form.length < MIN_VALUE_LENGTH) {
      short = true;
      continue;
    }
    const h = headKey(form, 0) >>> info.heads.shift;
    bits[h >>> 5]! |= 1 << (h & 31);
  }
  for (const s of bases) {
    if (s.length >= 6 && HOST_CHARS.test(s) && /[A-Z]/.test(s)) forms.add(s.toLowerCase());
  }
  if (bases[0]!.includes("%") && isIrregular(bases)) {
    info.irregular++;
    for (const s of bases) urlForms(s, forms);
  }
  return { bases, forms, short };
}

/** The reduced form set of `values` (duplicates and short ones allowed, as collectPatterns). */
export function collectReduced(values: readonly string[]): ReducedTable {
  const table: ReducedTable = {
    patterns: [],
    tails: [],
    values: [],
    firsts: [0],
    twins: [],
    short: 0,
    ...createTargetInfo(),
  };
  const seen = new Set<string>();
  const scratch = createBase64Scratch();
  for (const value of values) {
    if (typeof value !== "string" || value.length < MIN_VALUE_LENGTH || seen.has(value)) continue;
    seen.add(value);
    if (value.length < 2 * MIN_VALUE_LENGTH && codePointLength(value) < MIN_VALUE_LENGTH) continue;
    const { bases, forms, short } = valueTargets(value, table);
    for (const form of forms) {
      // A normalization, or the value without tabs and line breaks, may be shorter than the matcher takes
      // while its escaped forms are not: the value keeps today's forms as well (addToday).
      if (form.length < MIN_VALUE_LENGTH) continue;
      table.patterns.push(form);
      table.tails.push(null);
    }
    if (short) addToday(table, value);
    for (const s of bases) {
      const hex = Buffer.from(s, "utf8").toString("hex");
      const upper = hex.toUpperCase();
      table.patterns.push(hex);
      table.tails.push(null);
      if (upper !== hex) {
        table.patterns.push(upper);
        table.tails.push(null);
      }
      addBase64Forms(table, s, scratch, "utf8", MIN_FRAGMENT_LENGTH);
      if (LATIN1_HIGH.test(s)) addBase64Forms(table, s, scratch, "latin1", MIN_FRAGMENT_LENGTH);
    }
    table.values.push(value);
    table.firsts.push(table.patterns.length);
  }
  return table;
}

/** The lines of a multi-line value (6 code points or more, trimmed): their targets, without the URL ones. */
function addLines(value: string, forms: Set<string>): void {
  for (const raw of value.split(LINE_BREAK)) {
    const line = raw.trim();
    if (codePointLength(line) < MIN_FRAGMENT_LENGTH) continue;
    for (const base of normalizations(line)) targets(base, forms, false);
  }
}

/**
 * The WHATWG URL forms of an irregular value, as strings (forms.ts's urlForms): the only escaped forms that
 * keep a `%` as it is, so the only ones a view may show as another string than the value. Found in the
 * text itself, whatever surrounds them.
 */
function urlForms(s: string, out: Set<string>): void {
  for (const t of asParsed(s)) {
    const bytes = Buffer.from(t, "utf8");
    for (const style of percent.distinctStyles(percent.URL_STYLES, percent.presentBytes(bytes))) {
      out.add(percent.percentEncode(t, bytes, style, percent.HEX_UPPER_BYTES));
    }
    if (t.includes("\\")) {
      const slashed = t.replaceAll("\\", "/");
      const path = percent.URL_STYLES[0]!;
      out.add(percent.percentEncode(slashed, Buffer.from(slashed, "utf8"), path, percent.HEX_UPPER_BYTES));
    }
  }
}

/** Today's forms of the value, as forms.ts makes them (twins kept as twins). */
function addToday(table: ReducedTable, value: string): void {
  const own = collectPatterns([value]);
  const offset = table.patterns.length;
  for (let i = 0; i < own.patterns.length; i++) {
    table.patterns.push(own.patterns[i]!);
    table.tails.push(own.tails[i]!);
  }
  for (const t of own.twins ?? []) table.twins!.push(t + 4 * offset);
  table.short++;
}
