/**
 * PROTOTYPE (decision 0345): which values the per-character forms serve, their normalizations, and the one
 * position of each value (normalization) at which all its forms are indexed.
 */

// matcher.ts's hash, and its preferences: bytes common in logs and grams of four lower-case letters cost more.
import { COMMONNESS, GOLDEN, isLower, WORD_PENALTY, wordLike } from "../matcher.js";

/** No control character, DEL or surrogate: every text form is a per-character map (kinds.ts). */
export function simple(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

const ASCII = /^[\x00-\x7f]*$/;
let lastValue = "";
let lastBases: string[] = [];

/** forms.ts's normalizations (the value, NFC and NFD, each once); the last answer is kept. */
export function normalizations(s: string): string[] {
  if (s === lastValue) return lastBases;
  const out = [s];
  if (!ASCII.test(s)) {
    for (const form of [s.normalize("NFC"), s.normalize("NFD")]) if (!out.includes(form)) out.push(form);
  }
  lastValue = s;
  lastBases = out;
  return out;
}

const lowGram = (s: string, i: number) =>
  (s.charCodeAt(i) & 0xff) |
  ((s.charCodeAt(i + 1) & 0xff) << 8) |
  ((s.charCodeAt(i + 2) & 0xff) << 16) |
  ((s.charCodeAt(i + 3) & 0xff) << 24);
const slot = (g: number) => Math.imul(g, GOLDEN) >>> 16;

/** How many times each 4-gram (hashed to 16 bits) occurs in the values: shared prefixes are common. */
export function countGrams(values: readonly string[]): Uint16Array {
  const counts = new Uint16Array(1 << 16);
  for (const s of values) {
    for (let i = 0; i + 4 <= s.length; i++) {
      const at = slot(lowGram(s, i));
      if (counts[at]! < 0xffff) counts[at]!++;
    }
  }
  return counts;
}

/** Grams per window in the choice (the stride of large sets). */
const SPAN = 4;

const costs = new Int32Array(1 << 16);

/**
 * The start of the value's rarest run of SPAN 4-grams (0 for a value too short to have a choice). Each
 * gram's cost (see `cost`) is computed once, the gram and its lower-case letters carried from the last.
 */
export function chooseStart(s: string, counts: Uint16Array): number {
  const last = s.length - 3 - SPAN;
  if (last <= 0 || s.length > costs.length) return 0;
  let g = 0;
  let lower = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 0xff;
    g = (g >>> 8) | (c << 24);
    lower = ((lower << 1) | (isLower(c) ? 1 : 0)) & 15;
    if (i < 3) continue;
    const at = i - 3;
    costs[at] =
      counts[slot(g)]! * 4 + COMMONNESS[s.charCodeAt(at) & 0xff]! + (lower === 15 ? WORD_PENALTY : 0);
  }
  let sum = 0;
  for (let i = 0; i < SPAN; i++) sum += costs[i]!;
  let best = sum;
  let at = 0;
  for (let w = 1; w <= last; w++) {
    sum += costs[w + SPAN - 1]! - costs[w - 1]!;
    if (sum <= best) {
      best = sum;
      at = w;
    }
  }
  return at;
}

/**
 * For a short form (its low bytes `bytes[0, length)`): the window in [0, last] whose 4-grams, `span`
 * characters from its start, cost least. A short value has no choice of position, but its forms may:
 * with a stride of 3, "here98$" (the host form of "Here98$") is indexed at "ere9" rather than at the word.
 */
export function chooseWindow(bytes: Uint8Array, last: number, span: number, counts: Uint16Array): number {
  let best = Number.MAX_SAFE_INTEGER;
  let at = 0;
  for (let w = 0; w <= last; w++) {
    let sum = 0;
    for (let i = w; i + 4 <= w + span; i++) {
      const g = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
      sum += counts[slot(g)]! * 4 + COMMONNESS[bytes[i]!]! + (wordLike(bytes, i) ? WORD_PENALTY : 0);
    }
    if (sum <= best) {
      best = sum;
      at = w;
    }
  }
  return at;
}
