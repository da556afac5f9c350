/**
 * The base64 forms of a value (X6): standard and URL-safe, at the three byte alignments, of its UTF-8 or
 * Latin-1 bytes, each searched as its core (the digits that depend on the value's bits alone) with the
 * endings that may follow as tails (decision 0101). Apart from forms.ts for size only: forms.ts decides
 * which forms a value has, this file how its base64 ones are written.
 */

import { URL_SAFE } from "./twins.js";

/**
 * Where the strings go: forms.ts's table (searched strings and their tails, as parallel arrays, and the
 * twins: see twins.ts).
 */
export interface Strings {
  patterns: string[];
  tails: (readonly string[] | null)[];
  twins?: number[];
}

/** `twin`: the string is listed as the URL-safe twin of `pattern`, with its own tails. */
function add(table: Strings, pattern: string, tails: readonly string[] | null, twin: boolean): void {
  if (twin) table.twins!.push(4 * table.patterns.length + URL_SAFE);
  table.patterns.push(pattern);
  table.tails.push(tails);
}

/** The bytes of a value that fit the scratch's buffers; a longer value gets buffers of its own. */
const SCRATCH_BYTES = 4096;

export function createBase64Scratch(): Base64Scratch {
  return {
    buffer: Buffer.alloc(SCRATCH_BYTES + 2),
    digits: Buffer.alloc(2 * (SCRATCH_BYTES + 2)),
    tails: new Map(),
  };
}

/**
 * Buffers for every value's base64 encodings, and the tail lists made so far. Its fields are never
 * written after it is made: one scratch serves every build of a thread (forms.ts), so the optimized code
 * of the functions below keeps what it assumed about it from one build to the next (decision 0380).
 */
export interface Base64Scratch {
  readonly buffer: Buffer;
  /** The base64 digits of one alignment, read back as the strings searched. */
  readonly digits: Buffer;
  /** Keyed by the tail's last digit and its padding (`tailKey`): the same lists whatever the value. */
  readonly tails: Map<number, readonly string[]>;
}

/**
 * Zeroes the scratch's buffers: they held the last value's bytes and digits, and the scratch outlives the
 * build (a secret deleted since is not kept in memory by it).
 */
export function clearBase64Scratch(scratch: Base64Scratch): void {
  scratch.buffer.fill(0);
  scratch.digits.fill(0);
}

const BASE64_DIGITS = Buffer.from(
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
  "latin1",
);

/**
 * Writes the standard base64 of `src[from, to)`, padded, into `out`; returns its length. In JavaScript, not
 * `toString("base64")`: the searched strings are then read from the digits as flat strings, where slices of
 * the encoded string kept it alive beside each of them, and the URL-safe form is the same digits with two
 * replaced.
 */
function base64Into(src: Uint8Array, from: number, to: number, out: Uint8Array): number {
  let n = 0;
  let i = from;
  for (; i + 3 <= to; i += 3) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8) | src[i + 2]!;
    out[n++] = BASE64_DIGITS[v >>> 18]!;
    out[n++] = BASE64_DIGITS[(v >>> 12) & 63]!;
    out[n++] = BASE64_DIGITS[(v >>> 6) & 63]!;
    out[n++] = BASE64_DIGITS[v & 63]!;
  }
  if (i + 1 === to) {
    const v = src[i]! << 16;
    out[n++] = BASE64_DIGITS[v >>> 18]!;
    out[n++] = BASE64_DIGITS[(v >>> 12) & 63]!;
    out[n++] = 0x3d;
    out[n++] = 0x3d;
  } else if (i + 2 === to) {
    const v = (src[i]! << 16) | (src[i + 1]! << 8);
    out[n++] = BASE64_DIGITS[v >>> 18]!;
    out[n++] = BASE64_DIGITS[(v >>> 12) & 63]!;
    out[n++] = BASE64_DIGITS[(v >>> 6) & 63]!;
    out[n++] = 0x3d;
  }
  return n;
}

/**
 * Tail lists are few (a digit and its padding): one array per distinct list, not one per pattern.
 * `digits[from, end)` is the tail with its padding, `digits[from, unpaddedEnd)` without.
 */
function tailsOf(
  scratch: Base64Scratch,
  digits: Buffer,
  from: number,
  unpaddedEnd: number,
  end: number,
): readonly string[] {
  // At most one digit, then at most two `=`: the digit (or 0) and the lengths identify it.
  const key = (unpaddedEnd > from ? digits[from]! : 0) * 16 + (unpaddedEnd - from) * 4 + (end - unpaddedEnd);
  let tails = scratch.tails.get(key);
  if (tails === undefined) {
    const padded = digits.toString("latin1", from, end);
    const unpadded = digits.toString("latin1", from, unpaddedEnd);
    // Padding alone (a core too short, searched with its last digit) has no unpadded variant to list.
    tails = padded === unpadded || unpadded === "" ? [padded] : [padded, unpadded];
    scratch.tails.set(key, tails);
  }
  return tails;
}

/**
 * Base64 of the value's bytes (UTF-8, or Latin-1 as `btoa` takes them) at byte offsets 0, 1 and 2 of a
 * 3-byte group, so the value is found wherever it sits in the encoded data: `base64("user:" + password)`
 * contains the password's core at alignment 5 mod 3. Standard and URL-safe alphabets; the tails cover the
 * end of the data, padded or not.
 */
export function addBase64Forms(
  table: Strings,
  s: string,
  scratch: Base64Scratch,
  encoding: "utf8" | "latin1",
  minLength: number,
): void {
  const n = Buffer.byteLength(s, encoding);
  const own = n + 2 > scratch.buffer.length;
  // Two zero bytes, then the value: encoding from byte 2 - k puts the value at alignment k.
  const framed = own ? Buffer.alloc(n + 2) : scratch.buffer;
  const digits = own ? Buffer.alloc(2 * (n + 2)) : scratch.digits;
  framed[0] = 0;
  framed[1] = 0;
  framed.write(s, 2, encoding);
  for (let k = 0; k < 3; k++) {
    const length = base64Into(framed, 2 - k, n + 2, digits);
    // Character i carries bits [6i, 6i + 6); the value's bits are [8k, 8k + 8n).
    const first = Math.ceil((8 * k) / 6);
    const coreEnd = Math.floor((8 * (k + n)) / 6);
    const unpaddedEnd = Math.ceil((8 * (k + n)) / 6);
    const standard = addBase64Group(
      table,
      scratch,
      digits,
      length,
      first,
      coreEnd,
      unpaddedEnd,
      minLength,
      null,
    );
    // The URL-safe alphabet differs in `+` and `/` only: a second form when the digits have one, listed
    // as the twin of the standard one (with its own tails).
    let special = false;
    for (let i = first; i < unpaddedEnd; i++) {
      const d = digits[i]!;
      if (d === 0x2b || d === 0x2f) {
        special = true;
        digits[i] = d === 0x2b ? 0x2d : 0x5f;
      }
    }
    if (special && standard !== null && table.twins) {
      addBase64Group(table, scratch, digits, length, first, coreEnd, unpaddedEnd, minLength, standard);
    } else if (special) {
      addBase64Group(table, scratch, digits, length, first, coreEnd, unpaddedEnd, minLength, null);
    }
  }
}

/**
 * `digits[0, length)`: base64 of the framed value; the core is [first, coreEnd), the padding starts at
 * unpaddedEnd. Returns the string added, or null. `standard`: the string the standard alphabet gave for
 * the same digits, when these are its URL-safe twin (added as that string, marked).
 */
function addBase64Group(
  table: Strings,
  scratch: Base64Scratch,
  digits: Buffer,
  length: number,
  first: number,
  coreEnd: number,
  unpaddedEnd: number,
  minLength: number,
  standard: string | null,
): string | null {
  const twin = standard !== null;
  if (coreEnd - first >= minLength) {
    const tails = coreEnd === length ? null : tailsOf(scratch, digits, coreEnd, unpaddedEnd, length);
    const core = standard ?? digits.toString("latin1", first, coreEnd);
    add(table, core, tails, twin);
    return core;
  }
  // The core alone is too short to search; the ending forms may still be long enough.
  if (unpaddedEnd - first >= minLength) {
    const tails = length === unpaddedEnd ? null : tailsOf(scratch, digits, unpaddedEnd, unpaddedEnd, length);
    const searched = standard ?? digits.toString("latin1", first, unpaddedEnd);
    add(table, searched, tails, twin);
    return searched;
  }
  if (length - first < minLength) return null;
  const searched = standard ?? digits.toString("latin1", first, length);
  add(table, searched, null, twin);
  return searched;
}
