/**
 * PROTOTYPE (decision 0345): base64.ts's searched strings as ranges of a reused digit buffer, not strings.
 * For one value (or normalization), byte encoding and alignment k, `group` says which digits are searched
 * and which tails follow them, by the same rules as base64.ts's addBase64Group.
 */

const DIGITS = Buffer.from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", "latin1");

let framed = Buffer.alloc(256);
let standard = Buffer.alloc(512);
let urlSafeDigits = Buffer.alloc(512);
let framedText = "";
let framedEncoding = "";
let framedBytes = 0;
let encodedK = -1;
let length = 0;

/** A searched range of the digits (`digitsOf`): [first, end), and the tails after it (null: none). */
export interface Group {
  first: number;
  end: number;
  tails: readonly string[] | null;
}

const tailLists = new Map<number, readonly string[]>();

function tailsOf(digits: Buffer, from: number, unpaddedEnd: number, end: number): readonly string[] {
  const key = (unpaddedEnd > from ? digits[from]! : 0) * 16 + (unpaddedEnd - from) * 4 + (end - unpaddedEnd);
  let tails = tailLists.get(key);
  if (tails === undefined) {
    const padded = digits.toString("latin1", from, end);
    const unpadded = digits.toString("latin1", from, unpaddedEnd);
    tails = padded === unpadded || unpadded === "" ? [padded] : [padded, unpadded];
    tailLists.set(key, tails);
  }
  return tails;
}

/** The digits the last `group` call wrote (standard or URL-safe), valid until the next call. */
export function digitsOf(urlSafe: boolean): Buffer {
  return urlSafe ? urlSafeDigits : standard;
}

/**
 * Writes the base64 of `s` (`encoding` bytes) at alignment k (once for both alphabets: the last text,
 * encoding and alignment are kept), and returns the searched group of the standard or URL-safe digits
 * (null: too short, or a URL-safe form that equals the standard one).
 */
export function group(
  s: string,
  encoding: "utf8" | "latin1",
  k: number,
  urlSafe: boolean,
  minLength: number,
): Group | null {
  frame(s, encoding);
  const n = framedBytes;
  if (encodedK !== k) {
    length = encodeInto(framed, 2 - k, n + 2, standard);
    encodedK = k;
  }
  const first = Math.ceil((8 * k) / 6);
  const coreEnd = Math.floor((8 * (k + n)) / 6);
  const unpaddedEnd = Math.ceil((8 * (k + n)) / 6);
  let digits = standard;
  if (urlSafe) {
    let special = false;
    for (let i = first; i < unpaddedEnd && !special; i++)
      special = standard[i] === 0x2b || standard[i] === 0x2f;
    if (!special) return null;
    digits = urlSafeDigits;
    for (let i = 0; i < length; i++) {
      const d = standard[i]!;
      digits[i] =
        i >= first && i < unpaddedEnd && (d === 0x2b || d === 0x2f) ? (d === 0x2b ? 0x2d : 0x5f) : d;
    }
  }
  if (coreEnd - first >= minLength) {
    const tails = coreEnd === length ? null : tailsOf(digits, coreEnd, unpaddedEnd, length);
    return { first, end: coreEnd, tails };
  }
  if (unpaddedEnd - first >= minLength) {
    const tails = length === unpaddedEnd ? null : tailsOf(digits, unpaddedEnd, unpaddedEnd, length);
    return { first, end: unpaddedEnd, tails };
  }
  if (length - first < minLength) return null;
  return { first, end: length, tails: null };
}

/** Writes two zero bytes and the bytes of `s` into `framed`, unless they are there already. */
function frame(s: string, encoding: "utf8" | "latin1"): void {
  if (s === framedText && encoding === framedEncoding) return;
  const n = encoding === "latin1" ? s.length : utf8Length(s);
  if (framed.length < n + 2) {
    framed = Buffer.alloc(2 * (n + 2));
    standard = Buffer.alloc(4 * (n + 2));
    urlSafeDigits = Buffer.alloc(4 * (n + 2));
  }
  framed[0] = 0;
  framed[1] = 0;
  // ASCII (most values) byte by byte: the native write's call cost more than the copy.
  if (n === s.length) for (let i = 0; i < n; i++) framed[2 + i] = s.charCodeAt(i);
  else framed.write(s, 2, encoding);
  framedText = s;
  framedEncoding = encoding;
  framedBytes = n;
  encodedK = -1;
}

const part = Buffer.alloc(64);

/**
 * Digits [from, from + count) of the base64 of `s` at alignment k (URL-safe when `urlSafe`), into `out`:
 * only the 3-byte groups they come from are encoded (a window of a form, after `group` said which).
 */
export function windowDigits(
  s: string,
  encoding: "utf8" | "latin1",
  k: number,
  urlSafe: boolean,
  from: number,
  count: number,
  out: Uint8Array,
): void {
  frame(s, encoding);
  const n = framedBytes;
  const g0 = from >> 2;
  const g1 = Math.min((from + count - 1) >> 2, Math.ceil(n / 3 + 1));
  const start = 2 - k + 3 * g0;
  const end = Math.min(n + 2, 2 - k + 3 * (g1 + 1));
  encodeInto(framed, start, end, part);
  const unpaddedEnd = Math.ceil((8 * (k + n)) / 6);
  for (let i = 0; i < count; i++) {
    const at = from + i;
    let d = part[at - 4 * g0]!;
    if (urlSafe && at < unpaddedEnd && (d === 0x2b || d === 0x2f)) d = d === 0x2b ? 0x2d : 0x5f;
    out[i] = d;
  }
}

/** The digit that carries the first bit of byte `b` of the value at alignment k, from the group's first. */
export function digitOf(b: number, k: number, first: number): number {
  return Math.max(0, Math.floor((8 * (k + b)) / 6) - first);
}

function encodeInto(src: Uint8Array, from: number, to: number, out: Uint8Array): number {
  let n = 0;
  let i = from;
  for (; i + 3 <= to; i += 3) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    out[n++] = DIGITS[v >>> 18]!;
    out[n++] = DIGITS[(v >>> 12) & 63]!;
    out[n++] = DIGITS[(v >>> 6) & 63]!;
    out[n++] = DIGITS[v & 63]!;
  }
  if (i + 1 === to) {
    const v = src[i]! << 16;
    out[n++] = DIGITS[v >>> 18]!;
    out[n++] = DIGITS[(v >>> 12) & 63]!;
    out[n++] = 0x3d;
    out[n++] = 0x3d;
  } else if (i + 2 === to) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8);
    out[n++] = DIGITS[v >>> 18]!;
    out[n++] = DIGITS[(v >>> 12) & 63]!;
    out[n++] = DIGITS[(v >>> 6) & 63]!;
    out[n++] = 0x3d;
  }
  return n;
}

/** The UTF-8 length of `s` (no lone surrogates: prototype values with them take forms.ts's path). */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) n += c < 0x800 ? 1 : 2;
  }
  return n;
}
