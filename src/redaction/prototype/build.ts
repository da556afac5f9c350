/**
 * PROTOTYPE (decision 0345), not wired into the product: a matcher build that makes no string per form.
 *
 * forms.ts writes every form of every value as a string (22 M characters for 10,000 printable values of 64
 * characters) and matcher.ts writes them all again as bytes to count grams and choose windows. Here a form
 * is a (value, normalization, kind) triple. One position of each value (normalization) is chosen from the
 * rarity of the values' own 4-grams, and every form of that value is indexed at the output offset of that
 * position (clamped to the form's last window): only its first 4 characters and the `stride + q - 1`
 * characters of its window are computed (kinds.ts's per-character tables, digits.ts for base64). Equal
 * forms of a value are dropped by comparing their per-character outputs on the value's non-inert
 * characters, not strings. A form's string is made on its first candidate (verification) and kept.
 * The tiers, cells and scan are matcher.ts's, unchanged.
 */
import { collectPatterns, expandPatterns, MIN_FRAGMENT_LENGTH, MIN_VALUE_LENGTH } from "../forms.js";
import { buildMainTier, buildShortTier, key8, type Matcher, Scanner } from "../matcher.js";
import { digitOf, digitsOf, group, windowDigits } from "./digits.js";
import * as K from "./kinds.js";
import { chooseStart, chooseWindow, countGrams, normalizations, simple } from "./values.js";

/** A form's code: normalization * 64 + kind; kinds 0..30 text (kinds.ts), 32.. base64, SLOW a string. */
const BASE64 = 32;
const SLOW = 63;
/** The ASCII characters (0x20 and up, as words 1 to 3 of a bit set) that forms.ts's HOST_CHARS refuses. */
const [NOT_HOST_1, NOT_HOST_2, NOT_HOST_3] = (() => {
  const bits = [0, 0, 0, 0];
  for (const ch of " #%/:<>?@[\\]^|\x7f") bits[ch.charCodeAt(0) >> 5]! |= 1 << (ch.charCodeAt(0) & 31);
  return [bits[1]!, bits[2]!, bits[3]!];
})();
const MAX_STRIDE = 4;
/** Forms up to this length choose their window among all of theirs (see `chooseWindow`). */
const SHORT_FORM = 16;
const ENTRY_BUDGET = 300_000;

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(2 * a.length);
  grown.set(a);
  return grown;
}

/** The forms, as parallel typed arrays grown by doubling. */
class Forms {
  count = 0;
  value = new Int32Array(1024);
  code = new Int32Array(1024);
  length = new Int32Array(1024);
  /** Output offset of the value's chosen position in the form, and that position (a character). */
  offset = new Int32Array(1024);
  char = new Int32Array(1024);
  head = new Int32Array(1024);
  /** The forms with tails, and their tails. */
  tailed: number[] = [];
  tails: (readonly string[])[] = [];
  slow = new Map<number, string>();
  /** The normalizations of the values that have more than one (forms of normalization b > 0). */
  bases = new Map<number, string[]>();

  push(value: number, code: number, length: number, offset: number, char: number, head: number): number {
    if (this.count === this.value.length) {
      this.value = grow(this.value);
      this.code = grow(this.code);
      this.length = grow(this.length);
      this.offset = grow(this.offset);
      this.char = grow(this.char);
      this.head = grow(this.head);
    }
    const p = this.count++;
    this.value[p] = value;
    this.code[p] = code;
    this.length[p] = length;
    this.offset[p] = offset;
    this.char[p] = char;
    this.head[p] = head;
    return p;
  }
}

const unit = new Uint8Array(64);
const unitView = new DataView(unit.buffer);
const specialAt = new Int32Array(1 << 16);
const specialRow = new Int32Array(1 << 16);
const wideRow = new Int32Array(1 << 16);
const measured = new Int32Array(2);
const present = new Int32Array(4);
const keptKind = new Int32Array(64);

/** Decision 0346's reduced set: text kinds raw, host, hex only, plus `extra` (null: all of today's forms). */
export interface Reduced {
  extra(value: string): readonly string[] | null;
}
let reduced: Reduced | null = null;

/**
 * The text forms of one normalization `s` (index b) of value v. Returns whether `s` is Latin-1 with a
 * character above ASCII (so `btoa` takes other bytes than UTF-8: forms.ts's LATIN1_HIGH).
 */
function addTextForms(forms: Forms, v: number, b: number, s: string, start: number): boolean {
  const n = s.length;
  let specials = 0;
  let wides = 0;
  let upper = false;
  let widest = 0;
  present.fill(0);
  for (let j = 0; j < n; j++) {
    const c = s.charCodeAt(j);
    upper ||= c >= 0x41 && c <= 0x5a;
    if (c >= 0x80) {
      if (c > widest) widest = c;
      specialRow[specials] = K.rowIndex(c);
      wideRow[wides++] = specialRow[specials]!;
      specialAt[specials++] = j;
    } else if (K.INERT_CHAR[c] === 0) {
      specialRow[specials] = K.rowIndex(c);
      specialAt[specials++] = j;
      present[c >> 5]! |= 1 << (c & 31);
    }
  }
  let kept = 0;
  const add = (kind: number, length: number, offset: number) => {
    if (length < MIN_VALUE_LENGTH) return;
    K.writeUnits(s, kind, 0, 0, 0, 4, unit);
    forms.push(v, b * 64 + kind, length, offset, start, unitView.getInt32(0, true));
  };
  for (let kind = 0; kind < (reduced ? 1 : K.MEASURED); kind++) {
    // The same output as a kind kept before on every character of the value: the same string.
    let same = false;
    for (let m = 0; m < kept && !same; m++) same = K.sameKinds(kind, keptKind[m]!, present, wideRow, wides);
    if (same) continue;
    keptKind[kept++] = kind;
    K.measure(kind, s, specialAt, specialRow, specials, start, measured);
    add(kind, measured[0]!, measured[1]!);
  }
  // HOST_CHARS (forms.ts) with an upper-case letter, from the characters seen: no wide character, none
  // of the ASCII ones a host cannot hold.
  if (n >= MIN_FRAGMENT_LENGTH && wides === 0 && upper && (present[1]! & NOT_HOST_1) === 0) {
    if ((present[2]! & NOT_HOST_2) === 0 && (present[3]! & NOT_HOST_3) === 0) add(K.HOST_LOWER, n, start);
  }
  let bytes = 0;
  let before = 0;
  let letter = false;
  for (let j = 0; j < n; j++) {
    const c = s.charCodeAt(j);
    if (j === start) before = bytes;
    if (c < 0x80) {
      bytes++;
      letter ||= (c & 15) >= 10 || c >> 4 >= 10;
    } else {
      bytes += c < 0x800 ? 2 : 3;
      letter = true; // UTF-8 lead bytes are C0..EF
    }
  }
  add(K.HEX, 2 * bytes, 2 * before);
  if (letter) add(K.HEX_UPPER, 2 * bytes, 2 * before);
  return wides > 0 && widest <= 0xff;
}

/** The base64 forms of normalization `s` (index b) of value v, of its bytes in `encoding` (number e). */
function addBase64(
  forms: Forms,
  v: number,
  b: number,
  s: string,
  start: number,
  encoding: "utf8" | "latin1",
  e: number,
): void {
  let byte = start;
  for (let j = 0; encoding === "utf8" && j < start; j++) {
    const c = s.charCodeAt(j);
    if (c >= 0x80) byte += c < 0x800 ? 1 : 2;
  }
  for (let k = 0; k < 3; k++) {
    for (let u = 0; u < 2; u++) {
      const g = group(s, encoding, k, u === 1, MIN_FRAGMENT_LENGTH);
      if (g === null) continue;
      const head = digitsOf(u === 1).readInt32LE(g.first);
      const p = forms.push(v, b * 64 + BASE64 + e * 6 + k * 2 + u, g.end - g.first, 0, 0, head);
      forms.offset[p] = digitOf(byte, k, g.first);
      if (g.tails) {
        forms.tailed.push(p);
        forms.tails.push(g.tails);
      }
    }
  }
}

/** Writes the low bytes of form p from output offset w, `count` of them, into `unit`. */
function windowBytes(forms: Forms, values: readonly string[], p: number, w: number, count: number): void {
  const code = forms.code[p]!;
  const kind = code & 63;
  if (kind === SLOW) {
    const s = forms.slow.get(p)!;
    for (let i = 0; i < count; i++) unit[i] = s.charCodeAt(w + i) & 0xff;
    return;
  }
  const b = code >> 6;
  const s = b === 0 ? values[forms.value[p]!]! : forms.bases.get(forms.value[p]!)![b]!;
  if (kind < BASE64) {
    const at = forms.offset[p]!;
    if (w === at) K.writeUnits(s, kind, forms.char[p]!, at, w, count, unit);
    else K.writeUnits(s, kind, 0, 0, w, count, unit);
    return;
  }
  const x = kind - BASE64;
  const k = (x % 6) >> 1;
  const first = Math.ceil((8 * k) / 6);
  windowDigits(s, x >= 6 ? "latin1" : "utf8", k, (x & 1) === 1, first + w, count, unit);
}

/** The searched string of form p. */
function formString(forms: Forms, values: readonly string[], p: number): string {
  const code = forms.code[p]!;
  const kind = code & 63;
  if (kind === SLOW) return forms.slow.get(p)!;
  const s = normalizations(values[forms.value[p]!]!)[code >> 6]!;
  if (kind < BASE64) return K.kindString(s, kind);
  const x = kind - BASE64;
  const g = group(s, x >= 6 ? "latin1" : "utf8", (x % 6) >> 1, (x & 1) === 1, MIN_FRAGMENT_LENGTH)!;
  return digitsOf((x & 1) === 1).toString("latin1", g.first, g.end);
}

/** A form searched as its string. */
function addSlow(forms: Forms, v: number, s: string): void {
  const p = forms.push(v, SLOW, s.length, s.length >> 1, 0, 0);
  forms.slow.set(p, s);
  for (let i = 0; i < 4; i++) unit[i] = s.charCodeAt(i) & 0xff;
  forms.head[p] = unitView.getInt32(0, true);
}

/** Adds the forms of value v. */
function addValue(forms: Forms, v: number, value: string, counts: Uint16Array): void {
  const extra = reduced && simple(value) ? reduced.extra(value) : null;
  if (!simple(value) || (reduced && extra === null)) {
    for (const s of expandPatterns(collectPatterns([value]))) addSlow(forms, v, s);
    return;
  }
  for (const s of extra ?? []) addSlow(forms, v, s);
  const bases = normalizations(value);
  if (bases.length > 1) forms.bases.set(v, bases);
  for (let b = 0; b < bases.length; b++) {
    const s = bases[b]!;
    const start = chooseStart(s, counts);
    const latin1 = addTextForms(forms, v, b, s, start);
    addBase64(forms, v, b, s, start, "utf8", 0);
    // `btoa` takes Latin-1: a value of code points up to U+00FF has other bytes there than in UTF-8.
    if (latin1) addBase64(forms, v, b, s, start, "latin1", 1);
  }
}

/** Collects the forms of `values` (forms.ts's rules for which values are searched). */
export function collectForms(values: readonly string[]): {
  forms: Forms;
  values: string[];
  counts: Uint16Array;
} {
  const kept: string[] = [];
  const seen = new Set<string>();
  for (const value of values) {
    if (typeof value !== "string" || value.length < MIN_VALUE_LENGTH || seen.has(value)) continue;
    seen.add(value);
    if (value.length < 2 * MIN_VALUE_LENGTH && [...value].length < MIN_VALUE_LENGTH) continue;
    kept.push(value);
  }
  const counts = countGrams(kept);
  const forms = new Forms();
  for (let v = 0; v < kept.length; v++) addValue(forms, v, kept[v]!, counts);
  return { forms, values: kept, counts };
}

/** Chooses each form's window and writes its entries (gram, form) into its tier's arrays. */
function placeWindows(
  forms: Forms,
  kept: readonly string[],
  counts: Uint16Array,
  stride: number,
  window: Int32Array,
  ids: Int32Array[],
  grams: Int32Array[],
  owners: Int32Array[],
): void {
  const sizes = [0, 0, 0];
  for (let p = 0; p < forms.count; p++) {
    const l = forms.length[p]!;
    const t = l < 6 ? 0 : l - 7 < stride ? 1 : 2;
    const q = t === 0 ? 2 : t === 1 ? 4 : 8;
    const last = l - q + 1 - stride;
    let w = Math.min(forms.offset[p]!, last);
    let from = 0;
    if (l <= SHORT_FORM && last > 0) {
      windowBytes(forms, kept, p, 0, l);
      w = chooseWindow(unit, last, stride + q - 1, counts);
      from = w;
    } else {
      windowBytes(forms, kept, p, w, stride + q - 1);
    }
    window[p] = w;
    const r = sizes[t]!++;
    ids[t]![r] = p;
    const gram = grams[t]!;
    const owner = owners[t]!;
    for (let i = 0, e = r * stride; i < stride; i++, e++) {
      const at = from + i;
      gram[e] =
        q === 2
          ? unitView.getUint16(at, true)
          : q === 4
            ? unitView.getInt32(at, true)
            : key8(unitView.getInt32(at, true), unitView.getInt32(at + 4, true));
      owner[e] = p;
    }
  }
}

/** A form's string, made on its first candidate and kept. */
class LazyScanner extends Scanner {
  private readonly made = new Map<number, string>();
  constructor(
    private readonly forms: Forms,
    private readonly kept: string[],
    ...rest: ConstructorParameters<typeof Scanner>
  ) {
    super(...rest);
  }
  override pattern(p: number): string {
    let s = this.made.get(p);
    if (s === undefined) {
      s = formString(this.forms, this.kept, p);
      this.made.set(p, s);
    }
    return s;
  }
}

function cpuMs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
}

/** CPU ms of the last build's passes: forms (pass 1), windows and entries (pass 2), tiers (matcher.ts's). */
export const phases = { forms: 0, windows: 0, tiers: 0 };

export interface PrototypeMatcher extends Pick<Matcher, "ranges" | "longest"> {
  /** Searched strings, each with its tails (for tests: every string is made). */
  strings(): { searched: string; tails: readonly string[] | null }[];
  readonly count: number;
}

/** The prototype's matcher for `values`: the same ranges as `createMatcher(collectPatterns(values))`. */
export function createPrototypeMatcher(values: readonly string[], only?: Reduced): PrototypeMatcher {
  const t0 = cpuMs();
  reduced = only ?? null;
  const { forms, values: kept, counts } = collectForms(values);
  reduced = null;
  const t1 = cpuMs();
  const count = forms.count;
  const length = forms.length.subarray(0, count);
  let stride = Math.max(MAX_STRIDE, Math.floor(ENTRY_BUDGET / Math.max(1, count)));
  for (let p = 0; p < count; p++) {
    const l = length[p]!;
    stride = Math.min(stride, l < 6 ? l - 1 : l - 3);
  }
  const tierOf = (l: number) => (l < 6 ? 0 : l - 7 < stride ? 1 : 2);
  const sizes = [0, 0, 0];
  for (let p = 0; p < count; p++) sizes[tierOf(length[p]!)]!++;
  const ids = sizes.map((n) => new Int32Array(n));
  const grams = sizes.map((n) => new Int32Array(n * stride));
  const owners = sizes.map((n) => new Int32Array(n * stride));
  const window = new Int32Array(count);
  placeWindows(forms, kept, counts, stride, window, ids, grams, owners);
  const t2 = cpuMs();
  const head = forms.head.subarray(0, count);
  const entries = (t: number) => ({ gram: grams[t]!, pattern: owners[t]!, counts: new Uint16Array(0) });
  const shortTier = buildShortTier(entries(0), head, window, stride, ids[0]!);
  const midTier = buildMainTier(entries(1), head, window, stride, ids[1]!.length);
  const longTier = buildMainTier(entries(2), head, window, stride, ids[2]!.length);
  const tails: (readonly string[] | null)[] = new Array(count).fill(null);
  const extent = length.slice();
  for (let t = 0; t < forms.tailed.length; t++) {
    const p = forms.tailed[t]!;
    tails[p] = forms.tails[t]!;
    extent[p] = length[p]! + tails[p]![0]!.length;
  }
  let longest = 0;
  for (let p = 0; p < count; p++) if (extent[p]! > longest) longest = extent[p]!;
  const space = { patterns: [], tails, kinds: null, length, extent, head, ending: null };
  phases.forms = t1 - t0;
  phases.windows = t2 - t1;
  phases.tiers = cpuMs() - t2;
  const scanner = new LazyScanner(forms, kept, space, stride, [shortTier, midTier, longTier]);
  return {
    ranges: (text) => (count === 0 || text.length < 4 ? [] : scanner.ranges(text)),
    longest,
    count,
    strings: () =>
      Array.from({ length: count }, (_, p) => ({ searched: formString(forms, kept, p), tails: tails[p]! })),
  };
}
