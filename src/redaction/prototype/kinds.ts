/**
 * PROTOTYPE (decision 0345), not used by the product: the text forms of forms.ts as per-character maps.
 *
 * Every text form forms.ts makes of a value without control characters or surrogates (JSON escapes once and
 * twice, the percent styles in both hex cases, the WHATWG URL sets, `escape()`, the host's lower case, hex)
 * is the concatenation of one string per character of the value: `f(s) = f(s[0]) + f(s[1]) + ...`. So a
 * form's length, the output offset of a character, and any few characters of the form can be computed
 * from the value and a table per kind, without writing the form. `kindString` writes the whole form with
 * the real encoders: the lazy string of a candidate, and the tests' check of the decomposition.
 */
import * as percent from "../percent.js";

/** Kinds of text forms. Order matters only for deduplication (the first of equal forms is kept). */
export const RAW = 0;
const JSON_ONCE = [1, 2, 3, 4, 5] as const; // json, HTML-safe, ASCII lower hex, ASCII upper hex, `\/`
/** 6..10: JSON escaping of each of JSON_ONCE. 11..15 percent styles upper, 16..20 lower, 21..25 URL sets. */
export const SLASHED_PATH = 26;
export const ESCAPE = 27;
export const HOST_LOWER = 28;
export const HEX = 29;
export const HEX_UPPER = 30;
export const TEXT_KINDS = 31;

function jsonEscape(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}

const SHORT: Record<number, string> = { 8: "b", 9: "t", 10: "n", 12: "f", 13: "r" };

function unicodeEscape(c: number, hex: string): string {
  return `\\u${hex[(c >> 12) & 15]}${hex[(c >> 8) & 15]}${hex[(c >> 4) & 15]}${hex[c & 15]}`;
}

/** forms.ts's jsonEscapeAscii without `allControls` (the values here have no control characters). */
function jsonAscii(s: string, hex: string): string {
  let out = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += `\\${s[i]}`;
    else if (c >= 0x20 && c <= 0x7f) out += s[i];
    else if (SHORT[c] !== undefined) out += `\\${SHORT[c]}`;
    else out += unicodeEscape(c, hex);
  }
  return out;
}

function jsonOnce(s: string, k: number): string {
  switch (k) {
    case 1:
      return jsonEscape(s);
    case 2:
      return jsonEscape(s).replace(/[<>&\u2028\u2029]/g, (ch) =>
        unicodeEscape(ch.charCodeAt(0), percent.HEX_LOWER),
      );
    case 3:
      return jsonAscii(s, percent.HEX_LOWER);
    case 4:
      return jsonAscii(s, percent.HEX_UPPER);
    default:
      return jsonEscape(s).replaceAll("/", "\\/");
  }
}

function percentForm(s: string, style: percent.PercentStyle, hex: Uint8Array): string {
  return percent.percentEncode(s, Buffer.from(s, "utf8"), style, hex);
}

/** Form `kind` of `s` (a value or one of its normalizations), written by the encoders forms.ts uses. */
export function kindString(s: string, kind: number): string {
  if (kind === RAW) return s;
  if (kind <= 5) return jsonOnce(s, kind);
  if (kind <= 10) return jsonEscape(jsonOnce(s, JSON_ONCE[kind - 6]!));
  if (kind <= 15) return percentForm(s, percent.PERCENT_STYLES[kind - 11]!, percent.HEX_UPPER_BYTES);
  if (kind <= 20) return percentForm(s, percent.PERCENT_STYLES[kind - 16]!, percent.HEX_LOWER_BYTES);
  if (kind <= 25) return percentForm(s, percent.URL_STYLES[kind - 21]!, percent.HEX_UPPER_BYTES);
  if (kind === SLASHED_PATH)
    return percentForm(s.replaceAll("\\", "/"), percent.URL_STYLES[0]!, percent.HEX_UPPER_BYTES);
  if (kind === ESCAPE) return escape(s);
  if (kind === HOST_LOWER) return s.toLowerCase();
  const hex = Buffer.from(s, "utf8").toString("hex");
  return kind === HEX ? hex : hex.toUpperCase();
}

/**
 * Per character and kind: the length of its output, its output's low bytes (what the matcher hashes), and
 * an id of its output string (equal ids, equal outputs). A row per character: ASCII in rows 0..127, other
 * characters from row 128 on, on first use (a map lookup per character and call, not per unit).
 */
const UNITS = 12;
let rowLength = new Uint8Array(256 * TEXT_KINDS);
let rowBytes = new Uint8Array(256 * TEXT_KINDS * UNITS);
let rowId = new Int32Array(256 * TEXT_KINDS);
const interned = new Map<string, number>();
const idOf = (s: string) => {
  let id = interned.get(s);
  if (id === undefined) {
    id = interned.size + 1;
    interned.set(s, id);
  }
  return id;
};

function grown<T extends Uint8Array | Int32Array>(a: T, make: (n: number) => T): T {
  const b = make(2 * a.length);
  b.set(a);
  return b;
}

function fillRow(row: number, c: number): void {
  if ((row + 1) * TEXT_KINDS > rowLength.length) {
    rowLength = grown(rowLength, (n) => new Uint8Array(n));
    rowBytes = grown(rowBytes, (n) => new Uint8Array(n));
    rowId = grown(rowId, (n) => new Int32Array(n));
  }
  for (let k = 0; k < TEXT_KINDS; k++) {
    const out = kindString(String.fromCharCode(c), k);
    const at = row * TEXT_KINDS + k;
    rowLength[at] = out.length;
    for (let i = 0; i < out.length; i++) rowBytes[at * UNITS + i] = out.charCodeAt(i) & 0xff;
    rowId[at] = idOf(out);
  }
}

/** Kinds compared per value by `measure` (all but the host's lower case and hex, handled apart). */
export const MEASURED = HOST_LOWER;
for (let c = 0x20; c < 0x7f; c++) fillRow(c, c);

/** Each BMP character's row, 0 until first used (256 KiB: a map lookup per character was a fifth of a pass). */
const rowOfChar = new Int32Array(1 << 16);
let rows = 128;

/** The row of character c (no control character, no surrogate). */
function rowOf(c: number): number {
  if (c < 0x80) return c;
  let row = rowOfChar[c]!;
  if (row === 0) {
    row = rows++;
    fillRow(row, c);
    rowOfChar[c] = row;
  }
  return row;
}

/** Length of the output of character `c` (no control character, no surrogate) in form `kind`. */
export function unitLength(kind: number, c: number): number {
  return rowLength[rowOf(c) * TEXT_KINDS + kind]!;
}

/** The id of that output (equal outputs, equal ids). */
export function unitId(kind: number, c: number): number {
  return rowId[rowOf(c) * TEXT_KINDS + kind]!;
}

/**
 * Writes the low bytes of form `kind` of `s` from output offset `from` (the output of characters before
 * `char` is `offset` units long, offset <= from) into `out[0, count)`. Returns the units written (fewer
 * at the form's end).
 */
export function writeUnits(
  s: string,
  kind: number,
  char: number,
  offset: number,
  from: number,
  count: number,
  out: Uint8Array,
): number {
  let n = 0;
  let at = offset;
  for (let j = char; j < s.length && n < count; j++) {
    const base = rowOf(s.charCodeAt(j)) * TEXT_KINDS + kind;
    const len = rowLength[base]!;
    if (at + len <= from) {
      at += len;
      continue;
    }
    for (let i = 0; i < len; i++, at++) {
      if (at >= from && n < count) out[n++] = rowBytes[base * UNITS + i]!;
    }
  }
  return n;
}

/** Characters every text kind but hex writes as they are (forms.ts's INERT). */
export const INERT_CHAR = (() => {
  const t = new Uint8Array(128);
  for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-")
    t[ch.charCodeAt(0)] = 1;
  return t;
})();

/** The row of character c in the tables (see `measure`, `sameKinds`): computed once per character of a value. */
export function rowIndex(c: number): number {
  return rowOf(c) * TEXT_KINDS;
}

/**
 * The length of form `kind` of `s` and the output offset of character `start` (into `out`): `s` is written
 * as it is but at its characters `specialAt[0, specials)`, whose rows (`rowIndex`) are `specialRow`.
 */
export function measure(
  kind: number,
  s: string,
  specialAt: Int32Array,
  specialRow: Int32Array,
  specials: number,
  start: number,
  out: Int32Array,
): void {
  let length = s.length;
  let offset = start;
  for (let x = 0; x < specials; x++) {
    const more = rowLength[specialRow[x]! + kind]! - 1;
    length += more;
    if (specialAt[x]! < start) offset += more;
  }
  out[0] = length;
  out[1] = offset;
}

/** For kinds a, b < MEASURED: the ASCII characters on which they write different outputs (4 words). */
const differ = (() => {
  const d = new Int32Array(MEASURED * MEASURED * 4);
  for (let a = 0; a < MEASURED; a++) {
    for (let b = 0; b < MEASURED; b++) {
      for (let c = 0x20; c < 0x7f; c++) {
        if (rowId[c * TEXT_KINDS + a] !== rowId[c * TEXT_KINDS + b])
          d[(a * MEASURED + b) * 4 + (c >> 5)]! |= 1 << (c & 31);
      }
    }
  }
  return d;
})();

/**
 * Whether kinds a and b write the same string for a value whose ASCII characters are `present` (4 words)
 * and whose other characters have the rows `wideRow[0, wides)` (`rowIndex`).
 */
export function sameKinds(
  a: number,
  b: number,
  present: Int32Array,
  wideRow: Int32Array,
  wides: number,
): boolean {
  const d = (a * MEASURED + b) * 4;
  if (
    ((differ[d]! & present[0]!) |
      (differ[d + 1]! & present[1]!) |
      (differ[d + 2]! & present[2]!) |
      (differ[d + 3]! & present[3]!)) !==
    0
  ) {
    return false;
  }
  for (let x = 0; x < wides; x++) if (rowId[wideRow[x]! + a] !== rowId[wideRow[x]! + b]) return false;
  return true;
}
