/**
 * The decoded views of decision 0346's prototype: the regions of a text around its escapes (a `%` escape,
 * `%XX` or `%uXXXX`; a JSON escape, `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX`), each
 * decoded, every decoded UTF-16 unit carrying the source range it came from.
 *
 * - percent: `%XX` runs read as UTF-8 where they are a valid sequence, each other `%XX` as the Latin-1
 *   character XX; `%uXXXX` (escape()) as that unit; `+` kept (the reduced set has the value with spaces
 *   as `+`).
 * - latin1: `%XX` always as the Latin-1 character, `%uXXXX` as that unit (unescape()), built only when the
 *   percent view read some multi-byte UTF-8 sequence (otherwise the two views are the same).
 * - json: the JSON escapes decoded once; json2: the json view decoded once more (a JSON document logged as a
 *   string inside another), built only when the json view holds a backslash.
 *
 * A region runs `margin` characters either side of each escape (merged): an occurrence of a form with at
 * least one escape has at most `margin - 1` plain characters before its first escape and after its last,
 * and the gaps between its escapes are shorter than that, so the occurrence lies in one region. Regions
 * are joined by NUL in a view (one byte, so the view stays a one-byte string): a match across it maps to a
 * range over both regions (a value holding NUL only redacts more).
 */

/**
 * A view and where its units come from, as pieces: piece i starts at view unit `at[i]`; a plain piece
 * (`to[i]` = -1) copies the source from `from[i]` one unit per character, a decoded piece (one escape,
 * or a UTF-8 sequence of them: one or two units) comes from the source range [from[i], to[i]) as a whole.
 * A view of a view (json2) has its pieces in the first view's units, and `base` set.
 */
export interface View {
  text: string;
  at: number[];
  from: number[];
  to: number[];
  base: View | null;
}

/** The last piece starting at or before view unit k. */
function pieceOf(v: View, k: number): number {
  let lo = 0;
  let hi = v.at.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (v.at[mid]! <= k) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The source range of the view's units [a, b) (b > a): from the first one's start to the last one's end. */
export function sourceRange(v: View, a: number, b: number): [number, number] {
  const p = pieceOf(v, a);
  const s = v.to[p] === -1 ? v.from[p]! + (a - v.at[p]!) : v.from[p]!;
  const q = pieceOf(v, b - 1);
  const e = v.to[q] === -1 ? v.from[q]! + (b - v.at[q]!) : v.to[q]!;
  return v.base && e > s ? sourceRange(v.base, s, e) : [s, e];
}

export interface Views {
  views: View[];
  /** Characters of the text inside a region of either kind (the union). */
  regionChars: number;
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/** The value of the `count` hex digits at `at` (every one within `end`), or -1. */
function hexAt(text: string, at: number, count: number, end: number): number {
  if (at + count > end) return -1;
  let v = 0;
  for (let k = 0; k < count; k++) {
    const d = hexDigit(text.charCodeAt(at + k));
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Length of the percent escape at `i` (a `%`): 3, 6 (`%uXXXX`), or 0 when it is none. */
function percentToken(text: string, i: number, end: number): number {
  if (text.charCodeAt(i + 1) === 0x75) return hexAt(text, i + 2, 4, end) >= 0 ? 6 : 0;
  return hexAt(text, i + 1, 2, end) >= 0 ? 3 : 0;
}

const JSON_SHORT: Record<number, number> = {
  34: 0x22,
  92: 0x5c,
  47: 0x2f,
  98: 8,
  102: 12,
  110: 10,
  114: 13,
  116: 9,
};

/** Length of the JSON escape at `i` (a backslash): 2, 6 (`\uXXXX`), or 0 when it is none. */
function jsonToken(text: string, i: number, end: number): number {
  if (i + 1 >= end) return 0;
  const d = text.charCodeAt(i + 1);
  if (d === 0x75) return hexAt(text, i + 2, 4, end) >= 0 ? 6 : 0;
  return JSON_SHORT[d] !== undefined ? 2 : 0;
}

/** The merged regions `[start, end, ...]` around the escapes introduced by `ch`. */
function regionsOf(
  text: string,
  ch: string,
  token: (t: string, i: number, e: number) => number,
  margin: number,
): number[] {
  const out: number[] = [];
  const n = text.length;
  for (let i = text.indexOf(ch); i >= 0; i = text.indexOf(ch, i + 1)) {
    const len = token(text, i, n);
    if (len === 0) continue;
    const s = Math.max(0, i - margin);
    const e = Math.min(n, i + len + margin);
    const last = out.length - 1;
    if (last > 0 && s <= out[last]!) out[last] = Math.max(out[last]!, e);
    else out.push(s, e);
  }
  return out;
}

const SEPARATOR = "\u0000";

/** Builds a view from plain slices of the source and decoded units. */
class Writer {
  private text = "";
  readonly at: number[] = [];
  readonly from: number[] = [];
  readonly to: number[] = [];
  n = 0;
  constructor(private readonly base: View | null) {}
  /** Units decoded from source units [a, b) (one escape or one UTF-8 sequence). */
  push(units: string, a: number, b: number): void {
    this.piece(units, a, b);
  }
  /** The plain characters `text[a, b)`. */
  copy(text: string, a: number, b: number): void {
    if (b > a) this.piece(text.slice(a, b), a, -1);
  }
  separator(at: number): void {
    this.piece(SEPARATOR, at, at);
  }
  private piece(units: string, a: number, b: number): void {
    // A plain piece right after a plain piece it continues is merged into it.
    const last = this.at.length - 1;
    if (b === -1 && last >= 0 && this.to[last] === -1 && this.from[last]! + (this.n - this.at[last]!) === a) {
      this.text += units;
      this.n += units.length;
      return;
    }
    this.text += units;
    this.at.push(this.n);
    this.from.push(a);
    this.to.push(b);
    this.n += units.length;
  }
  view(): View {
    return { text: this.text, at: this.at, from: this.from, to: this.to, base: this.base };
  }
}

/** How many bytes the UTF-8 sequence led by `b` has (0: not a lead), and its second byte's bounds. */
function utf8Lead(b: number): [number, number, number] {
  if (b >= 0xc2 && b <= 0xdf) return [2, 0x80, 0xbf];
  if (b === 0xe0) return [3, 0xa0, 0xbf];
  if (b === 0xed) return [3, 0x80, 0x9f];
  if (b >= 0xe1 && b <= 0xef) return [3, 0x80, 0xbf];
  if (b === 0xf0) return [4, 0x90, 0xbf];
  if (b >= 0xf1 && b <= 0xf3) return [4, 0x80, 0xbf];
  if (b === 0xf4) return [4, 0x80, 0x8f];
  return [0, 0, 0];
}

/**
 * The UTF-8 sequence of `%XX` escapes at `i` (its lead byte `b0` above ASCII): its length in source
 * characters after writing its units, or 0 when it is not a valid sequence (nothing written).
 */
function utf8At(text: string, i: number, end: number, b0: number, w: Writer): number {
  const [n, lo, hi] = utf8Lead(b0);
  if (n === 0) return 0;
  let cp = b0 & (n === 2 ? 0x1f : n === 3 ? 0x0f : 0x07);
  for (let k = 1; k < n; k++) {
    const at = i + 3 * k;
    if (at >= end || text.charCodeAt(at) !== 0x25) return 0;
    const b = hexAt(text, at + 1, 2, end);
    if (b < (k === 1 ? lo : 0x80) || b > (k === 1 ? hi : 0xbf)) return 0;
    cp = (cp << 6) | (b & 0x3f);
  }
  const to = i + 3 * n;
  w.push(String.fromCodePoint(cp), i, to);
  return 3 * n;
}

/** Decodes the percent escapes of `text[s, e)` into `w`; returns whether a multi-byte sequence was read. */
/** Decodes `text[s, e)` into `w`, up to `limit` units in `w`; true when a multi-byte sequence was read. */
type Decode = (text: string, s: number, e: number, w: Writer, limit: number) => boolean;

function decodePercent(text: string, s: number, e: number, utf8: boolean, w: Writer, limit: number): boolean {
  let multi = false;
  let i = s;
  while (i < e && w.n < limit) {
    // Plain characters up to the next `%`, copied in one loop.
    const next = text.indexOf("%", i);
    const to = Math.min(next < 0 || next >= e ? e : next, i + (limit - w.n));
    w.copy(text, i, to);
    i = to;
    if (i >= e || w.n >= limit) break;
    const len = percentToken(text, i, e);
    if (len === 6) {
      w.push(String.fromCharCode(hexAt(text, i + 2, 4, e)), i, i + 6);
      i += 6;
    } else if (len === 3) {
      const b = hexAt(text, i + 1, 2, e);
      const used = utf8 && b >= 0x80 ? utf8At(text, i, e, b, w) : 0;
      if (used > 0) multi = true;
      else w.push(String.fromCharCode(b), i, i + 3);
      i += used > 0 ? used : 3;
    } else {
      w.copy(text, i, i + 1);
      i++;
    }
  }
  return multi;
}

function decodeJson(text: string, s: number, e: number, w: Writer, limit: number): boolean {
  let i = s;
  while (i < e && w.n < limit) {
    // Plain characters up to the next backslash, copied in one loop.
    const next = text.indexOf("\\", i);
    const to = Math.min(next < 0 || next >= e ? e : next, i + (limit - w.n));
    w.copy(text, i, to);
    i = to;
    if (i >= e || w.n >= limit) break;
    const len = jsonToken(text, i, e);
    if (len === 6) w.push(String.fromCharCode(hexAt(text, i + 2, 4, e)), i, i + 6);
    else if (len === 2) w.push(String.fromCharCode(JSON_SHORT[text.charCodeAt(i + 1)]!), i, i + 2);
    else w.copy(text, i, i + 1);
    i += len > 0 ? len : 1;
  }
  return false;
}

/**
 * The first 4 units of every target (reduced.ts), hashed into a bit set: a restart whose starts inside the
 * escape begin no target's first 4 units cannot show one there and is not decoded.
 */
export interface Heads {
  bits: Int32Array;
  shift: number;
}

export function headKey(s: string, at: number): number {
  let h = 0;
  for (let k = 0; k < 4; k++) h = Math.imul(h ^ s.charCodeAt(at + k), -1640531535);
  return h;
}

export function hasHead(heads: Heads, s: string, at: number): boolean {
  const h = headKey(s, at) >>> heads.shift;
  return ((heads.bits[h >>> 5]! >>> (h & 31)) & 1) === 1;
}

const probe: number[] = [];

/**
 * Whether a target may start at one of the characters x + 1 .. y - 1 of the percent escape [x, y), read
 * fresh from there: those characters, then the escapes after them as the percent view reads them (a byte
 * above ASCII, which may start a UTF-8 sequence, answers yes).
 */
function restartMayMatch(text: string, x: number, y: number, e: number, heads: Heads): boolean {
  const inner = y - x - 1;
  probe.length = 0;
  for (let i = x + 1; i < e && probe.length < inner + 3; ) {
    const c = text.charCodeAt(i);
    const len = i >= y && c === 0x25 ? percentToken(text, i, e) : 0;
    if (len === 6) probe.push(hexAt(text, i + 2, 4, e));
    else if (len === 3) {
      const b = hexAt(text, i + 1, 2, e);
      if (b >= 0x80) return true;
      probe.push(b);
    } else probe.push(c);
    i += len > 0 ? len : 1;
  }
  for (let k = 0; k + 4 <= probe.length && k < inner; k++) {
    let h = 0;
    for (let j = 0; j < 4; j++) h = Math.imul(h ^ probe[k + j]!, -1640531535);
    h >>>= heads.shift;
    if (((heads.bits[h >>> 5]! >>> (h & 31)) & 1) === 1) return true;
  }
  return false;
}

/**
 * Decodes each region, then, for each escape decoded there, the region again from the character after
 * the escape's first one, for `budget` units (a "restart"): a form whose occurrence starts inside an
 * escape of the view (`100%` before `41…%20…`, an odd run of backslashes before `n\"…`) is decoded there
 * from its own first character. Without restarts, such an occurrence is not found.
 */
function writeRegions(
  regions: readonly number[],
  base: View | null,
  decode: Decode,
  text: string,
  budget: number,
  heads: Heads | null = null,
) {
  const w = new Writer(base);
  let flag = false;
  for (let r = 0; r < regions.length; r += 2) {
    const [s, e] = [regions[r]!, regions[r + 1]!];
    if (r > 0) w.separator(s);
    const first = w.at.length;
    if (decode(text, s, e, w, Number.POSITIVE_INFINITY)) flag = true;
    if (budget <= 0) continue;
    const last = w.at.length;
    for (let p = first; p < last; p++) {
      if (w.to[p] === -1) continue;
      const x = w.from[p]!;
      // No form a view must show starts with a bare `"` (every escaping of it escapes `"`).
      if (text.charCodeAt(x + 1) === 0x22) continue;
      if (heads && !restartMayMatch(text, x, w.to[p]!, e, heads)) continue;
      w.separator(x + 1);
      decode(text, x + 1, e, w, w.n + budget);
    }
  }
  return { view: w.view(), flag };
}

/** Characters in the union of two region lists. */
function unionSize(a: readonly number[], b: readonly number[]): number {
  const all: [number, number][] = [];
  for (let r = 0; r < a.length; r += 2) all.push([a[r]!, a[r + 1]!]);
  for (let r = 0; r < b.length; r += 2) all.push([b[r]!, b[r + 1]!]);
  all.sort((x, y) => x[0] - y[0]);
  let n = 0;
  let reach = -1;
  for (const [s, e] of all) {
    if (e <= reach) continue;
    n += e - Math.max(s, reach);
    reach = e;
  }
  return n;
}

/**
 * The decoded views of `text` (none when it has no escape); `margin`: the longest searched target;
 * `restarts`: decode the restarts (see writeRegions), without which the views miss a form glued to an
 * unfinished escape; `heads`: the targets' first 4 units, to skip the percent views' restarts that cannot
 * show one (the JSON views' restarts feed the second JSON view, whose targets are escaped there).
 */
export function decodeViews(
  text: string,
  margin: number,
  restarts = true,
  heads: Heads | null = null,
): Views {
  const views: View[] = [];
  const budget = restarts ? margin + 6 : 0;
  const percent = text.includes("%") ? regionsOf(text, "%", percentToken, margin) : [];
  const json = text.includes("\\") ? regionsOf(text, "\\", jsonToken, margin) : [];
  const utf8: Decode = (t, s, e, w, limit) => decodePercent(t, s, e, true, w, limit);
  const latin1: Decode = (t, s, e, w, limit) => decodePercent(t, s, e, false, w, limit);
  if (percent.length > 0) {
    const p = writeRegions(percent, null, utf8, text, budget, heads);
    views.push(p.view);
    if (p.flag) views.push(writeRegions(percent, null, latin1, text, budget, heads).view);
  }
  if (json.length > 0) {
    // The first JSON view's restarts also feed the second: a once-escaped target is up to 6 units a
    // character (`\u00e9`).
    const j = writeRegions(json, null, decodeJson, text, restarts ? 6 * margin + 6 : 0).view;
    views.push(j);
    // The second decoding reads the first view (its regions and restarts) around its own escapes: a
    // once-escaped form shown there has at most `margin - 1` plain units before its first escape too.
    if (j.text.includes("\\")) {
      const twice = regionsOf(j.text, "\\", jsonToken, margin);
      if (twice.length > 0) views.push(writeRegions(twice, j, decodeJson, j.text, budget).view);
    }
  }
  return { views, regionChars: unionSize(percent, json) };
}
