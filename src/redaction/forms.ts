/**
 * The forms a secret value takes on its way out of a run (SPEC X6): raw, Unicode-normalized, JSON-escaped
 * (once and twice), percent-encoded (encodeURIComponent and friends, and the WHATWG URL parser's own sets for
 * path, query, fragment and userinfo), `escape()`, lower-cased where it could be a URL's host, hex of its
 * UTF-8 bytes, and base64 at every byte alignment (of the UTF-8 bytes, and of the Latin-1 bytes `btoa`
 * takes), plus the lines of a multi-line value.
 *
 * The result lists searched strings, each with its "tails": each tail t means `searched + t` is a form
 * too. Base64 needs this: the core of an alignment (the characters that depend on the value's bytes alone)
 * is always present, and when the value ends the encoded data, one more character (the value's last bits
 * plus zero bits) and optional padding follow. Searching the core and extending over a tail finds exactly
 * the occurrences of `core + tail`, without indexing both strings.
 */

import { addBase64Forms, type Base64Scratch, clearBase64Scratch, createBase64Scratch } from "./base64.js";
import * as percent from "./percent.js";
import {
  addTexts,
  includesTwin,
  LOWER_ESCAPES,
  pushTwin,
  type Texts,
  type TwinKind,
  twinString,
} from "./twins.js";

/** Values with fewer code points are not searched for: they would redact ordinary words. */
export const MIN_VALUE_LENGTH = 4;
/** Derived fragments (a line of a multi-line value, a base64 string) shorter than this are not searched. */
export const MIN_FRAGMENT_LENGTH = 6;

/**
 * Searched strings and their tails (longest first), as parallel arrays. A string may be listed twice (two
 * values sharing a form): that only costs a second index entry, the union of ranges is the same, so
 * deduplication is per value, not global (a global Map of fresh strings was half the build time).
 */
export interface PatternTable {
  patterns: string[];
  tails: (readonly string[] | null)[];
  /**
   * The values searched for, each once, and where each one's strings start in `patterns` (one more
   * entry, the end): a later build over a changed set takes an unchanged value's strings from here.
   */
  values: string[];
  firsts: number[];
  /** Built with a `previous` table: each string's index there, or -1 for the strings of a new value. */
  reused?: Int32Array;
  /**
   * `4 * p + kind`, ascending, for each searched string p that is the twin of `patterns[p]` (twins.ts):
   * that string with its hex digits in the other case, not made as a string here.
   */
  twins?: number[];
}

/** Plain text that every JSON escaper and percent-encoder leaves as is. */
const INERT = /^[A-Za-z0-9_.-]*$/;
const ASCII = /^[\x00-\x7f]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
const LINE_BREAK = /\r\n|\r|\n/;
const CONTROL = /[\x00-\x1f\x7f]/;
/** Only code points up to U+00FF, at least one of them above ASCII: `btoa` encodes it, differently from UTF-8. */
const LATIN1_HIGH = /^[\x00-\xff]*[\x80-\xff][\x00-\xff]*$/;
/** What `escape()` leaves as is. */
const ESCAPE_INERT = /^[A-Za-z0-9@*_+\-./]*$/;
/**
 * A value the WHATWG URL parser would take as a host (or a label of one) and lower-case: ASCII without the
 * forbidden domain code points, with an upper-case letter. Non-ASCII hosts become punycode (not searched).
 */
const HOST_CHARS = /^[^\x00-\x20#%/:<>?@[\\\]^|\x7f-\uffff]*$/;

/**
 * The base64 forms' buffers, one for every build of the thread: a build runs from start to end without
 * yielding. One made per build died with it, and with it the hidden class the optimized code of
 * base64.ts had assumed: that code was thrown away and compiled again in most builds (decision 0380).
 */
let scratch: Base64Scratch | undefined;
/** The thread's base64 scratch, for tests: a build leaves none of its values' bytes in it. */
export const base64ScratchOfThread = (): Base64Scratch | undefined => scratch;

/**
 * Collects the searched strings and their tails for a list of values (duplicates and short ones allowed).
 * With `previous`, the table of an earlier set, the values it has keep its strings: a change to one secret
 * computes the forms of that value alone (decision 0285). The forms depend on the value only.
 */
export function collectPatterns(values: readonly string[], previous?: PatternTable): PatternTable {
  const table: PatternTable = { patterns: [], tails: [], values: [], firsts: [0], twins: [] };
  const seen = new Set<string>();
  scratch ??= createBase64Scratch();
  const base64 = scratch;
  const known = previous ? new Map(previous.values.map((value, k) => [value, k])) : null;
  // A rebuild takes the kept values' strings as runs of `previous` (source 0) and computes the new
  // values' into `fresh` (source 1); the runs (source, from, to) are copied once at the end, in slices.
  // One string at a time, the copy was a fifth of a rebuild.
  const fresh: PatternTable = previous
    ? { patterns: [], tails: [], values: [], firsts: [], twins: [] }
    : table;
  const runs: number[] = [];
  const run = (source: number, from: number, to: number) => {
    const r = runs.length - 3;
    if (r >= 0 && runs[r] === source && runs[r + 2] === from) runs[r + 2] = to;
    else if (to > from) runs.push(source, from, to);
  };
  let count = 0;
  try {
    for (const value of values) {
      if (typeof value !== "string" || value.length < MIN_VALUE_LENGTH || seen.has(value)) continue;
      seen.add(value);
      const k = known?.get(value);
      if (k !== undefined) {
        const { firsts } = previous!;
        run(0, firsts[k]!, firsts[k + 1]!);
        count += firsts[k + 1]! - firsts[k]!;
        table.values.push(value);
        table.firsts.push(count);
        continue;
      }
      // A code point is at most 2 units, so only a short value needs counting.
      if (value.length < 2 * MIN_VALUE_LENGTH && codePointLength(value) < MIN_VALUE_LENGTH) continue;
      const from = fresh.patterns.length;
      addForms(fresh, value, base64);
      run(1, from, fresh.patterns.length);
      count += fresh.patterns.length - from;
      table.values.push(value);
      table.firsts.push(count);
    }
  } finally {
    clearBase64Scratch(base64);
  }
  if (!previous) return table;
  const reused = new Int32Array(count).fill(-1);
  const patterns: string[][] = [];
  const tails: PatternTable["tails"][] = [];
  const twins: number[] = [];
  for (let r = 0, at = 0; r < runs.length; r += 3) {
    const [source, from, to] = [runs[r]!, runs[r + 1]!, runs[r + 2]!];
    const origin = source === 0 ? previous : fresh;
    patterns.push(origin.patterns.slice(from, to));
    tails.push(origin.tails.slice(from, to));
    const marks = origin.twins ?? [];
    for (let t = firstAtOrAfter(marks, 4 * from); t < marks.length && marks[t]! < 4 * to; t++) {
      twins.push(marks[t]! + 4 * (at - from));
    }
    if (source === 0) for (let i = from; i < to; i++) reused[at++] = i;
    else at += to - from;
  }
  table.twins = twins;
  table.patterns = joinArrays(patterns);
  table.tails = joinArrays(tails);
  table.reused = reused;
  return table;
}

/** The index of the first element of the ascending `xs` that is `x` or more (xs.length if none). */
function firstAtOrAfter(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The arrays' elements in one array (`concat`, in groups so no call takes too many arguments). */
function joinArrays<T>(parts: T[][]): T[] {
  if (parts.length === 1) return parts[0]!;
  let out: T[] = [];
  for (let i = 0; i < parts.length; i += 4096) out = out.concat(...parts.slice(i, i + 4096));
  return out;
}

/** Adds the searched strings of one value (at least 4 code points) to `table`. */
function addForms(table: PatternTable, value: string, scratch: Base64Scratch): void {
  const bases = normalizations(value);
  const texts: Texts = { forms: [], twinned: [], kinds: [] };
  for (const base of bases) textForms(texts, base);
  for (const base of bases) wireForms(texts, base);
  addTexts(table, texts, MIN_VALUE_LENGTH);
  for (const base of bases) {
    addBase64Forms(table, base, scratch, "utf8", MIN_FRAGMENT_LENGTH);
    // `btoa` takes Latin-1: a value of code points up to U+00FF has other bytes there than in UTF-8.
    if (LATIN1_HIGH.test(base)) addBase64Forms(table, base, scratch, "latin1", MIN_FRAGMENT_LENGTH);
  }
  if (LINE_BREAK.test(value)) {
    // Sets: a 64 KiB key has a thousand lines, and a list would compare each form with all the others.
    const lines = new Set<string>();
    const twins = new Set<string>();
    for (const raw of value.split(LINE_BREAK)) {
      const line = raw.trim();
      if (codePointLength(line) < MIN_FRAGMENT_LENGTH) continue;
      const forms: Texts = { forms: [], twinned: [], kinds: [] };
      for (const base of normalizations(line)) textForms(forms, base);
      for (const form of forms.forms) if (!texts.forms.includes(form)) lines.add(form);
      forms.twinned.forEach((form, i) => {
        if (!includesTwin(texts, form, forms.kinds[i]!)) twins.add(`${forms.kinds[i]}${form}`);
      });
    }
    const rest: Texts = { forms: [...lines], twinned: [], kinds: [] };
    for (const twin of twins) {
      rest.kinds.push(Number(twin[0]) as TwinKind);
      rest.twinned.push(twin.slice(1));
    }
    addTexts(table, rest, MIN_FRAGMENT_LENGTH);
  }
}

/** Every string whose occurrences are redacted: each searched string, and it followed by each tail. */
export function expandPatterns(table: PatternTable): string[] {
  const out = new Set<string>();
  const kinds = twinKinds(table);
  table.patterns.forEach((searched, i) => {
    const core = kinds && kinds[i] !== 0 ? twinString(searched, kinds[i]!) : searched;
    out.add(core);
    for (const tail of table.tails[i] ?? []) out.add(core + tail);
  });
  return [...out];
}

/** Each pattern's twin kind (0: none), or null when the table has no twins. */
export function twinKinds(table: PatternTable): Uint8Array | null {
  const twins = table.twins;
  if (!twins || twins.length === 0) return null;
  const kinds = new Uint8Array(table.patterns.length);
  for (const t of twins) kinds[t >> 2] = t & 3;
  return kinds;
}

/** Appends to `out` the forms of `s` that are not in it yet. */
function push(out: string[], form: string): void {
  if (!out.includes(form)) out.push(form);
}

function codePointLength(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length - 1; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

function normalizations(s: string): string[] {
  if (ASCII.test(s)) return [s];
  const out = [s];
  push(out, s.normalize("NFC"));
  push(out, s.normalize("NFD"));
  return out;
}

function textForms(texts: Texts, s: string): void {
  const out = texts.forms;
  push(out, s);
  if (INERT.test(s)) return;
  const once = [jsonEscape(s)];
  if (PRINTABLE_ASCII.test(s)) {
    // Only `"` and `\` are escaped in printable ASCII, the same way by every variant below.
    if (/[<>&]/.test(s)) push(once, jsonEscapeHtmlSafe(s));
  } else {
    push(once, jsonEscapeAscii(s, percent.HEX_LOWER, false));
    push(once, jsonEscapeAscii(s, percent.HEX_UPPER, false));
    // Without control characters, writing every control as `\u00XX` changes nothing.
    if (CONTROL.test(s)) {
      push(once, jsonEscapeAscii(s, percent.HEX_LOWER, true));
      push(once, jsonEscapeAscii(s, percent.HEX_UPPER, true));
    }
    // Go's escaping differs from JSON.stringify's only on these.
    if (/[<>&\u2028\u2029]/.test(s)) push(once, jsonEscapeHtmlSafe(s));
  }
  if (s.includes("/")) push(once, once[0]!.replaceAll("/", "\\/"));
  for (const form of once) {
    push(out, form);
    // The escaping of the escaping: a JSON document logged as a string inside another one. A form with
    // nothing to escape is the value itself (pushed above), and so is its escaping.
    if (form !== s) push(out, jsonEscape(form));
  }
  // Styles that write the same string for this value (most: they differ on a few characters) are
  // encoded once.
  const bytes = Buffer.from(s, "utf8");
  for (const style of percent.distinctStyles(percent.PERCENT_STYLES, percent.presentBytes(bytes))) {
    const form = percent.percentEncode(s, bytes, style, percent.HEX_UPPER_BYTES);
    push(out, form);
    // The same in lower-case hex: a twin, not another string.
    if (percent.lastEscapeHadLetter()) pushTwin(texts, form, LOWER_ESCAPES);
  }
}

/**
 * The forms a whole value takes in a URL, through `escape()` and as hex: searched for the value and its
 * normalizations, not for the lines of a multi-line value. The URL forms are what `new URL(...)` and its
 * setters write: each component has its own percent-encode set (Node 20's parser; `^` in the path too, as
 * the current standard and later Node versions do), always upper-case hex, never `+` for space.
 */
function wireForms(texts: Texts, s: string): void {
  const out = texts.forms;
  if (!INERT.test(s)) {
    urlForms(out, s, true);
    // The parser drops every tab and line break of the text it parses (the setters of URL do not).
    if (/[\t\n\r]/.test(s)) urlForms(out, s.replace(/[\t\n\r]/g, ""), false);
  }
  if (!ESCAPE_INERT.test(s)) push(out, escape(s));
  // A derived form: like a line or a base64 string, searched from 6 characters (`TEST` must not blank `test`).
  if (s.length >= MIN_FRAGMENT_LENGTH && HOST_CHARS.test(s) && /[A-Z]/.test(s)) push(out, s.toLowerCase());
  const hex = Buffer.from(s, "utf8").toString("hex");
  push(out, hex);
  // Not a twin (tried, decision 0335): the sets of short plain values, whose only twin it was, built slower.
  push(out, hex.toUpperCase());
}

/**
 * `textForms(s)` has written the percent styles' upper-case forms: a URL set that writes the same string
 * for `s` is not encoded again (`textFormsDone` false for a variant of `s`).
 */
function urlForms(out: string[], s: string, textFormsDone: boolean): void {
  const bytes = Buffer.from(s, "utf8");
  const done = textFormsDone ? percent.PERCENT_STYLES : [];
  for (const style of percent.distinctStyles(percent.URL_STYLES, percent.presentBytes(bytes), done))
    push(out, percent.percentEncode(s, bytes, style, percent.HEX_UPPER_BYTES));
  // The parser reads a backslash in an http(s) path as a slash.
  if (s.includes("\\")) {
    const slashed = s.replaceAll("\\", "/");
    push(
      out,
      percent.percentEncode(
        slashed,
        Buffer.from(slashed, "utf8"),
        percent.URL_STYLES[0]!,
        percent.HEX_UPPER_BYTES,
      ),
    );
  }
}

/** What `JSON.stringify` writes between the quotes. */
function jsonEscape(s: string): string {
  const quoted = JSON.stringify(s);
  // Nothing escaped (most values): the value itself, which `push` finds by identity, not a copy.
  return quoted.length === s.length + 2 ? s : quoted.slice(1, -1);
}

/**
 * ASCII-only JSON: every non-ASCII character as `\uXXXX`, as Python's `json.dumps` and many loggers write
 * it. `allControls` also writes newline, tab and the like as `\u000a`, instead of their short escapes.
 */
function jsonEscapeAscii(s: string, hex: string, allControls: boolean): string {
  // Written into a byte buffer and read back once: the output is ASCII, and building it with `+=` made
  // a string per character (a tenth of the forms' garbage for a set of non-ASCII values).
  if (escaped.length < 6 * s.length) escaped = Buffer.allocUnsafe(6 * s.length);
  const out = escaped;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) {
      out[n++] = 0x5c;
      out[n++] = c;
    } else if ((c >= 0x20 && c < 0x7f) || (c === 0x7f && !allControls)) {
      out[n++] = c;
    } else if (!allControls && SHORT_ESCAPES[c] !== undefined) {
      out[n++] = 0x5c;
      out[n++] = SHORT_ESCAPES[c]!.charCodeAt(1);
    } else {
      out[n++] = 0x5c;
      out[n++] = 0x75; // u
      out[n++] = hex.charCodeAt((c >> 12) & 15);
      out[n++] = hex.charCodeAt((c >> 8) & 15);
      out[n++] = hex.charCodeAt((c >> 4) & 15);
      out[n++] = hex.charCodeAt(c & 15);
    }
  }
  return out.toString("latin1", 0, n);
}

/** jsonEscapeAscii's output, reused by every call (a build runs to its end), grown as needed. */
let escaped = Buffer.allocUnsafe(1024);

/** Go's `encoding/json`: `<`, `>`, `&`, U+2028 and U+2029 escaped, the rest as JSON.stringify. */
function jsonEscapeHtmlSafe(s: string): string {
  return jsonEscape(s).replace(/[<>&\u2028\u2029]/g, (ch) =>
    unicodeEscape(ch.charCodeAt(0), percent.HEX_LOWER),
  );
}

const SHORT_ESCAPES: Record<number, string> = {
  8: "\\b",
  9: "\\t",
  10: "\\n",
  12: "\\f",
  13: "\\r",
};

function unicodeEscape(c: number, hex: string): string {
  return "\\u" + hex[(c >> 12) & 15] + hex[(c >> 8) & 15] + hex[(c >> 4) & 15] + hex[c & 15];
}
