/**
 * The percent-encoded forms of a value (X6): the encoders' styles (encodeURIComponent, RFC 3986, form
 * encoding, the WHATWG URL parts) and one encoder writing into a reused byte buffer. Apart from forms.ts
 * for size only: forms.ts decides which forms a value has, this file how one is written.
 */

export const HEX_UPPER = "0123456789ABCDEF";
export const HEX_LOWER = "0123456789abcdef";

export interface PercentStyle {
  /** 1 for the ASCII bytes left as they are: letters, digits and the style's own few. */
  keep: Uint8Array;
  spaceAsPlus: boolean;
  /** `keep` as a bit set of 4 words, to compare two styles on a value's bytes (`sameOn`). */
  bits: Int32Array;
}

function keepBits(keep: Uint8Array): Int32Array {
  const bits = new Int32Array(4);
  for (let c = 0; c < 128; c++) if (keep[c] === 1) bits[c >> 5]! |= 1 << (c & 31);
  return bits;
}

function percentStyle(keep: string, spaceAsPlus: boolean): PercentStyle {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    const ch = String.fromCharCode(c);
    if (/[A-Za-z0-9]/.test(ch) || keep.includes(ch)) table[c] = 1;
  }
  return { keep: table, spaceAsPlus, bits: keepBits(table) };
}

export const PERCENT_STYLES: readonly PercentStyle[] = [
  percentStyle("-_.!~*'()", false), // encodeURIComponent
  percentStyle("-_.!~*'()", true), // encodeURIComponent with + for space
  percentStyle("-_.~", false), // RFC 3986 unreserved, Python's quote(safe="")
  percentStyle("-_.~", true), // Python's quote_plus
  percentStyle("-_.*", true), // application/x-www-form-urlencoded (URLSearchParams, Java)
];

/** A WHATWG percent-encode set: C0 controls, DEL and non-ASCII, plus `encoded`. */
function urlStyle(encoded: string): PercentStyle {
  const table = new Uint8Array(128);
  for (let c = 0x21; c < 0x7f; c++) if (!encoded.includes(String.fromCharCode(c))) table[c] = 1;
  return { keep: table, spaceAsPlus: false, bits: keepBits(table) };
}

export const URL_STYLES: readonly PercentStyle[] = [
  urlStyle('"#<>?`{}'), // path (pathname setter, or parsed)
  urlStyle('"#<>?`{}^'), // path, current standard
  urlStyle("\"#'<>"), // query of an http(s) URL
  urlStyle('"<>`'), // fragment (an implicit-grant access_token travels there)
  urlStyle('"#/:;<=>?@[\\]^`{|}'), // userinfo (username and password)
];

/** The ASCII bytes of `bytes` as a bit set of 4 words (every style encodes the bytes above ASCII). */
export function presentBytes(bytes: Uint8Array): Int32Array {
  const present = new Int32Array(4);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x80) present[b >> 5]! |= 1 << (b & 31);
  }
  return present;
}

/** Whether two styles write the same string for a value whose ASCII bytes are `present`. */
function sameOn(a: PercentStyle, b: PercentStyle, present: Int32Array): boolean {
  for (let w = 0; w < 4; w++) if (((a.bits[w]! ^ b.bits[w]!) & present[w]!) !== 0) return false;
  // No style keeps a space: it is `%20` or `+`.
  return a.spaceAsPlus === b.spaceAsPlus || (present[1]! & 1) === 0;
}

/**
 * The styles of `styles` that write, for a value whose ASCII bytes are `present`, another string than
 * every style before them and every style of `done`. The others would write copies: the styles differ on
 * a few characters only, and encoding the URL sets' copies was a quarter of the forms computed for a set
 * of non-ASCII words, then dropped as duplicates.
 */
export function distinctStyles(
  styles: readonly PercentStyle[],
  present: Int32Array,
  done: readonly PercentStyle[] = [],
): PercentStyle[] {
  const out: PercentStyle[] = [];
  for (const style of styles) {
    if (done.some((d) => sameOn(d, style, present)) || out.some((d) => sameOn(d, style, present))) continue;
    out.push(style);
  }
  return out;
}

export const HEX_UPPER_BYTES = Buffer.from(HEX_UPPER, "latin1");
export const HEX_LOWER_BYTES = Buffer.from(HEX_LOWER, "latin1");
/** 1 for the bytes whose escape `%XX` has a letter, so its lower-case hex form is another string. */
const HEX_LETTER = Uint8Array.from({ length: 256 }, (_, b) => (b >> 4 >= 10 || (b & 15) >= 10 ? 1 : 0));
/** The percent-encoded bytes: one buffer for every form (a build runs to its end), grown as needed. */
let encoded = Buffer.allocUnsafe(1024);
/** Set by percentEncode: one of its escapes has a hex letter, so the lower-case form differs. */
let escapedLetter = false;

/** Whether the last percentEncode wrote an escape with a hex letter (its lower-case form is another string). */
export function lastEscapeHadLetter(): boolean {
  return escapedLetter;
}

/**
 * Percent-encodes the bytes of `s` (UTF-8, or the characters of an ASCII `s`; lone surrogates already
 * replaced by U+FFFD, as TextEncoder does) into a buffer read back as one string: building the string
 * an escape at a time was twice the time.
 */
export function percentEncode(s: string, bytes: Uint8Array, style: PercentStyle, hex: Uint8Array): string {
  if (encoded.length < 3 * bytes.length) encoded = Buffer.allocUnsafe(3 * bytes.length);
  const { keep, spaceAsPlus } = style;
  let n = 0;
  let letter = 0;
  let kept = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b < 0x80 && keep[b] === 1) {
      encoded[n++] = b;
      kept++;
    } else if (b === 0x20 && spaceAsPlus) {
      encoded[n++] = 0x2b;
    } else {
      encoded[n] = 0x25;
      encoded[n + 1] = hex[b >> 4]!;
      encoded[n + 2] = hex[b & 15]!;
      n += 3;
      letter |= HEX_LETTER[b]!;
    }
  }
  escapedLetter = letter !== 0;
  // Nothing encoded: the value itself, so `push` finds it by identity.
  return kept === s.length && kept === bytes.length ? s : encoded.toString("latin1", 0, n);
}
