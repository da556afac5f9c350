/**
 * Finds every occurrence of many literal patterns in a text, reporting the union of their ranges.
 *
 * A sampled q-gram filter (see docs/decisions/0101-redaction-matcher.md): the text is read only at every
 * s-th position, where s = (shortest pattern of the tier) - q + 1. Every occurrence of a pattern of that
 * tier covers exactly one sampled position inside a chosen window of s consecutive q-grams of the pattern,
 * so indexing each pattern under those s grams (with their offsets) finds every occurrence exactly once.
 * A sample whose gram is in no pattern's window is rejected by a bit filter; the rest are verified with an
 * exact comparison. Two tiers keep the stride long for the many ordinary patterns: q = 4 for patterns of 8
 * characters or more, q = 2 for the few shorter ones.
 *
 * The text is copied block by block into a byte buffer (`write(.., "latin1")`: one byte per UTF-16 unit, the low
 * byte), so a sample reads a gram with a single DataView load. Patterns are hashed over the same low bytes;
 * a collision from characters above U+00FF only costs a failed verification.
 */
import type { PatternTable } from "./forms.js";

export interface Matcher {
  /** Sorted, merged ranges `[start0, end0, start1, end1, ...]`; overlapping and adjacent ones are joined. */
  ranges(text: string): number[];
  /**
   * The smallest index i >= text.length - longest + 1 from which `text.slice(i)` is a proper prefix of some
   * pattern, or text.length when there is none: where a match might still grow if more text arrived.
   */
  liveFrom(text: string): number;
  /** Length of the longest pattern, tails included. */
  readonly longest: number;
}

/** Patterns shorter than this go to the q = 2 tier. */
const MAIN_MIN_LENGTH = 8;
const BLOCK = 1 << 16;
const GOLDEN = -1640531535; // 0x9E3779B1
const MIX = -2048144777; // 0x85EBCA77

/** A tier's entries: "gram[e] occurs at offset[e] of pattern[e]", stride s entries per pattern. */
interface Entries {
  stride: number;
  gram: Int32Array;
  pattern: Int32Array;
  offset: Int32Array;
}

/**
 * The q = 4 tier. Entries with the same gram, offset and first 4 characters form a group: patterns built
 * on one dictionary word ("Football7?", "Football12!") share all three, and logs are full of such words,
 * so one comparison of the text's 4 characters at the group's offset clears them all. Groups are chained
 * per gram hash bucket (`first[b]`, `next[i]` hold a group + 1; 0 ends a chain), their patterns listed
 * through `member`/`memberNext` (entry + 1); a bit filter answers most samples before any chain is read.
 */
interface MainTier {
  stride: number;
  filter: Int32Array;
  filterShift: number;
  bucketShift: number;
  first: Int32Array;
  next: Int32Array;
  groupGram: Int32Array;
  groupOffset: Int32Array;
  groupHead: Int32Array;
  member: Int32Array;
  memberNext: Int32Array;
  pattern: Int32Array;
}

/**
 * The q = 2 tier, for patterns of 4 to 7 characters. Bigrams are common in text, so a hit does not walk
 * entries: `offsets[bigram]` has bit o set when some pattern holds that bigram at offset o, and a hit
 * looks up the exact 4 characters at each such offset back among the patterns' first 4 characters.
 */
interface ShortTier {
  stride: number;
  offsets: Uint8Array;
  headShift: number;
  headFirst: Int32Array;
  headNext: Int32Array;
  headGram: Int32Array;
  headPattern: Int32Array;
}

export function createMatcher(table: PatternTable): Matcher {
  const { patterns, tails } = table;
  const count = patterns.length;
  const length = new Int32Array(count);
  const extent = new Int32Array(count);
  const head = new Int32Array(count);
  let longest = 0;
  for (let p = 0; p < count; p++) {
    const pattern = patterns[p]!;
    let e = pattern.length;
    // Tails are listed longest first: the first one that follows a match is the widest extension.
    const ts = tails[p];
    if (ts) e += ts[0]!.length;
    length[p] = pattern.length;
    extent[p] = e;
    head[p] = lowBytes4(pattern, 0);
    if (e > longest) longest = e;
  }

  const shortIds: number[] = [];
  const mainIds: number[] = [];
  for (let p = 0; p < count; p++) (length[p]! < MAIN_MIN_LENGTH ? shortIds : mainIds).push(p);
  const shortTier = shortIds.length > 0 ? buildShortTier(patterns, length, head, shortIds) : null;
  const mainTier = mainIds.length > 0 ? buildMainTier(patterns, length, head, mainIds) : null;

  let scratch: Buffer | null = null;
  let view: DataView | null = null;

  // Scan state, shared by the hot loops and `candidate` so the loops pass only numbers around.
  let text = "";
  let n = 0;
  let blockBase = 0;
  let blockLength = 0;
  let starts: number[] = [];
  let ends: number[] = [];
  let lastStart = -1;
  let lastEnd = -1;
  let ordered = true;

  // Last verified start of each pattern in the current scan, and the smallest period of a pattern.
  const previous = new Map<number, number>();
  const periods = new Map<number, number>();
  const periodOf = (p: number): number => {
    let period = periods.get(p);
    if (period === undefined) {
      period = smallestPeriod(patterns[p]!);
      periods.set(p, period);
    }
    return period;
  };

  function candidate(p: number, t: number): void {
    if (t < 0) return;
    const end = t + length[p]!;
    if (end > n) return;
    // A candidate inside the current range cannot change the union, whatever its tails.
    if (t >= lastStart && t + extent[p]! <= lastEnd) return;
    const rel = t - blockBase;
    if (rel >= 0 && rel + 4 <= blockLength && view!.getInt32(rel, true) !== head[p]) return;
    const prev = previous.get(p);
    if (prev !== undefined && t > prev && t < prev + length[p]! && (t - prev) % periodOf(p) === 0) {
      // Overlaps the last occurrence of p by a multiple of p's period: text[t, prev + length) is already
      // known to equal p's head, so only the new characters are compared. Without this, a periodic text
      // against a long periodic pattern would compare the whole pattern at every sample.
      const pattern = patterns[p]!;
      for (let x = prev + length[p]!; x < end; x++) {
        if (text.charCodeAt(x) !== pattern.charCodeAt(x - t)) return;
      }
    } else if (!text.startsWith(patterns[p]!, t)) {
      return;
    }
    if (prev === undefined || t > prev) previous.set(p, t);
    let stop = end;
    const ts = tails[p];
    if (ts) {
      for (const tail of ts) {
        if (text.startsWith(tail, end)) {
          stop = end + tail.length;
          break;
        }
      }
    }
    if (lastEnd >= 0 && t <= lastEnd && stop >= lastStart) {
      if (t < lastStart) {
        lastStart = t;
        ordered = false;
      }
      if (stop > lastEnd) lastEnd = stop;
      return;
    }
    if (lastEnd >= 0) {
      starts.push(lastStart);
      ends.push(lastEnd);
      if (t < lastStart) ordered = false;
    }
    lastStart = t;
    lastEnd = stop;
  }

  function scanMain(tier: MainTier, from: number): number {
    const dv = view!;
    const { stride, filter, filterShift, bucketShift, first, next, groupGram, groupOffset, groupHead } = tier;
    const last = Math.min(blockLength - 4, BLOCK - 1);
    let j = from;
    for (; j <= last; j += stride) {
      const g = dv.getInt32(j, true);
      const h = Math.imul(g, GOLDEN);
      const m = Math.imul(g, MIX);
      const mask = (1 << (m >>> 27)) | (1 << ((m >>> 22) & 31));
      if ((filter[h >>> filterShift]! & mask) !== mask) continue;
      for (let i = first[h >>> bucketShift]! - 1; i >= 0; i = next[i]! - 1) {
        if (groupGram[i] !== g) continue;
        const rel = j - groupOffset[i]!;
        if (rel >= 0 && dv.getInt32(rel, true) !== groupHead[i]) continue;
        mainHit(tier, i, blockBase + rel);
      }
    }
    return j;
  }

  function mainHit(tier: MainTier, group: number, t: number): void {
    const { member, memberNext, pattern } = tier;
    for (let e = member[group]! - 1; e >= 0; e = memberNext[e]! - 1) candidate(pattern[e]!, t);
  }

  function scanShort(tier: ShortTier, from: number): number {
    const dv = view!;
    const { stride, offsets } = tier;
    const last = Math.min(blockLength - 2, BLOCK - 1);
    let j = from;
    for (; j <= last; j += stride) {
      const mask = offsets[dv.getUint16(j, true)]!;
      if (mask !== 0) shortHit(tier, j, mask);
    }
    return j;
  }

  function shortHit(tier: ShortTier, j: number, mask: number): void {
    const { headShift, headFirst, headNext, headGram, headPattern } = tier;
    for (let o = 0; mask >>> o !== 0; o++) {
      if (((mask >>> o) & 1) === 0) continue;
      const t = blockBase + j - o;
      if (t < 0 || t + 4 > n) continue;
      // The block holds 3 characters past its end, so only a start before the block needs the string.
      const g = j >= o ? view!.getInt32(j - o, true) : lowBytes4(text, t);
      for (let e = headFirst[Math.imul(g, GOLDEN) >>> headShift]! - 1; e >= 0; e = headNext[e]! - 1) {
        if (headGram[e] === g) candidate(headPattern[e]!, t);
      }
    }
  }

  function ranges(input: string): number[] {
    if (count === 0 || input.length < 4) return [];
    if (scratch === null) {
      scratch = Buffer.allocUnsafe(BLOCK + 8);
      view = new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
    }
    text = input;
    n = input.length;
    starts = [];
    ends = [];
    lastStart = -1;
    lastEnd = -1;
    ordered = true;
    previous.clear();
    // Next sample of each tier, relative to the current block.
    let nextShort = 0;
    let nextMain = 0;
    for (blockBase = 0; blockBase < n; blockBase += BLOCK) {
      // A block carries 3 more characters, so the grams sampled near its end are whole.
      const blockEnd = Math.min(n, blockBase + BLOCK + 3);
      blockLength = blockEnd - blockBase;
      scratch.write(blockBase === 0 && blockEnd === n ? text : text.slice(blockBase, blockEnd), 0, "latin1");
      // Past the last whole gram the next offset can go negative; nothing is left to sample there.
      if (shortTier !== null) nextShort = Math.max(0, scanShort(shortTier, nextShort) - BLOCK);
      if (mainTier !== null) nextMain = Math.max(0, scanMain(mainTier, nextMain) - BLOCK);
    }
    if (lastEnd >= 0) {
      starts.push(lastStart);
      ends.push(lastEnd);
    }
    const result = normalize(starts, ends, ordered);
    text = "";
    starts = [];
    ends = [];
    return result;
  }

  let prefixIndex: PrefixIndex | null = null;
  function liveFrom(input: string): number {
    const len = input.length;
    if (count === 0) return len;
    prefixIndex ??= buildPrefixIndex(patterns, tails, head);
    for (let i = Math.max(0, len - longest + 1); i < len; i++) {
      if (prefixIndex.isProperPrefix(input, i)) return i;
    }
    return len;
  }

  return { ranges, liveFrom, longest };
}

/** Length minus the longest proper border (Knuth-Morris-Pratt failure function). */
function smallestPeriod(s: string): number {
  const fail = new Int32Array(s.length);
  let k = 0;
  for (let i = 1; i < s.length; i++) {
    while (k > 0 && s.charCodeAt(i) !== s.charCodeAt(k)) k = fail[k - 1]!;
    if (s.charCodeAt(i) === s.charCodeAt(k)) k++;
    fail[i] = k;
  }
  return s.length - (s.length > 0 ? fail[s.length - 1]! : 0);
}

/** The low bytes of the 4 UTF-16 units at `at`, little-endian, as a latin1 write + `getInt32` read them. */
function lowBytes4(s: string, at: number): number {
  return (
    (s.charCodeAt(at) & 0xff) |
    ((s.charCodeAt(at + 1) & 0xff) << 8) |
    ((s.charCodeAt(at + 2) & 0xff) << 16) |
    ((s.charCodeAt(at + 3) & 0xff) << 24)
  );
}

/**
 * Bytes that are frequent in logs (lower-case letters, digits, JSON punctuation, space) make a gram more
 * likely to meet the text by chance; among equally rare windows, prefer the one with fewer of them.
 */
const COMMONNESS = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (const ch of ' ":,{}[]/=-_.') t[ch.charCodeAt(0)] = 2;
  return t;
})();

/** Candidate windows per pattern: all of them for short patterns, else this many spread over it. */
const WINDOW_CHOICES = 4;

/**
 * Indexes each pattern under the s grams of its rarest window. Rarity is counted over the grams of every
 * pattern's candidate windows: API keys share prefixes (`sk_live_`), their base64 forms share their first
 * characters, and a window over shared grams would make every sample of that gram check many patterns.
 * Only a few windows per long pattern are candidates: a random key is rare anywhere, and counting every
 * gram of every pattern was most of the build time.
 */
function selectEntries(patterns: string[], length: Int32Array, ids: number[], q: 2 | 4): Entries {
  let minLength = Number.MAX_SAFE_INTEGER;
  let total = 0;
  for (const p of ids) {
    const l = length[p]!;
    if (l < minLength) minLength = l;
    total += l;
  }
  const stride = minLength - q + 1;

  // All patterns of the tier, one after the other, as the low bytes the scan reads.
  const starts = new Int32Array(ids.length + 1);
  const parts: string[] = new Array(ids.length);
  for (let k = 0; k < ids.length; k++) {
    parts[k] = patterns[ids[k]!]!;
    starts[k + 1] = starts[k]! + length[ids[k]!]!;
  }
  const bytes = Buffer.allocUnsafe(total + 4);
  bytes.write(parts.join(""), 0, "latin1");
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const gramAt = (i: number) => (q === 4 ? dv.getInt32(i, true) : dv.getUint16(i, true));
  // A small table on purpose: it stays in cache, and the grams worth avoiding are shared by many
  // patterns, far above the noise of slot collisions.
  const slot = (g: number) => (q === 4 ? Math.imul(g, GOLDEN) >>> 16 : g);
  // Window w covers grams [w, w + stride); candidate k of a pattern with `last` + 1 windows:
  const choices = (last: number) => (last < WINDOW_CHOICES ? last + 1 : WINDOW_CHOICES);
  const choice = (last: number, k: number) =>
    last < WINDOW_CHOICES ? k : Math.round((k * last) / (WINDOW_CHOICES - 1));

  const counts = new Uint16Array(1 << 16);
  for (let k = 0; k < ids.length; k++) {
    const base = starts[k]!;
    const last = starts[k + 1]! - base - q + 1 - stride;
    let done = 0; // grams [0, done) of this pattern are counted
    for (let c = 0; c < choices(last); c++) {
      const w = choice(last, c);
      for (let i = Math.max(w, done); i < w + stride; i++) {
        const at = slot(gramAt(base + i));
        if (counts[at]! < 0xffff) counts[at]!++;
      }
      done = w + stride;
    }
  }

  const entries = ids.length * stride;
  const gram = new Int32Array(entries);
  const pattern = new Int32Array(entries);
  const offset = new Int32Array(entries);
  for (let k = 0; k < ids.length; k++) {
    const base = starts[k]!;
    const last = starts[k + 1]! - base - q + 1 - stride;
    let best = Number.MAX_SAFE_INTEGER;
    let bestAt = 0;
    for (let c = 0; c < choices(last); c++) {
      const w = choice(last, c);
      let sum = 0;
      for (let i = w; i < w + stride; i++) {
        sum += counts[slot(gramAt(base + i))]! * 4 + COMMONNESS[bytes[base + i]!]!;
      }
      if (sum <= best) {
        best = sum;
        bestAt = w;
      }
    }
    for (let i = 0; i < stride; i++) {
      const e = k * stride + i;
      const g = gramAt(base + bestAt + i);
      gram[e] = g;
      pattern[e] = ids[k]!;
      offset[e] = bestAt + i;
    }
  }
  return { stride, gram, pattern, offset };
}

function buildMainTier(patterns: string[], length: Int32Array, head: Int32Array, ids: number[]): MainTier {
  const { stride, gram, pattern, offset } = selectEntries(patterns, length, ids, 4);
  const count = gram.length;

  // Group entries by (gram, offset, head) in an open-addressing table of group + 1. Most grams belong to
  // one entry only: two bit sets ("seen", "seen again") over a hash of the gram find the few that may
  // not, and only those go through the table. Ascending offsets per pattern put the candidate that
  // reaches furthest first in its chain, so the following ones are usually inside its range already.
  const seenBits = Math.max(10, Math.ceil(Math.log2(count + 1)) + 3);
  const seen = new Int32Array(1 << (seenBits - 5));
  const again = new Int32Array(1 << (seenBits - 5));
  for (let e = 0; e < count; e++) {
    const b = Math.imul(gram[e]!, MIX) >>> (32 - seenBits);
    const bit = 1 << (b & 31);
    if ((seen[b >>> 5]! & bit) === 0) seen[b >>> 5]! |= bit;
    else again[b >>> 5]! |= bit;
  }
  let repeated = 0;
  for (let e = 0; e < count; e++) {
    const b = Math.imul(gram[e]!, MIX) >>> (32 - seenBits);
    if ((again[b >>> 5]! & (1 << (b & 31))) !== 0) repeated++;
  }
  // At most half full, so a probe always ends.
  const slotBits = Math.ceil(Math.log2(2 * repeated + 2));
  const slots = 1 << slotBits;
  const table = new Int32Array(slots);
  const groupGram = new Int32Array(count);
  const groupOffset = new Int32Array(count);
  const groupHead = new Int32Array(count);
  const member = new Int32Array(count);
  const memberNext = new Int32Array(count);
  let groups = 0;
  for (let e = 0; e < count; e++) {
    const g = gram[e]!;
    const o = offset[e]!;
    const hd = head[pattern[e]!]!;
    const b = Math.imul(g, MIX) >>> (32 - seenBits);
    if ((again[b >>> 5]! & (1 << (b & 31))) !== 0) {
      // The top bits of the product: its low bits depend on the low bits of the key only.
      let at = Math.imul(g ^ Math.imul(o, MIX) ^ Math.imul(hd, 0x27d4eb2f), GOLDEN) >>> (32 - slotBits);
      let found = -1;
      for (; ; at = (at + 1) & (slots - 1)) {
        const i = table[at]! - 1;
        if (i < 0) break;
        if (groupGram[i] === g && groupOffset[i] === o && groupHead[i] === hd) {
          found = i;
          break;
        }
      }
      if (found >= 0) {
        memberNext[e] = member[found]!;
        member[found] = e + 1;
        continue;
      }
      table[at] = groups + 1;
    }
    groupGram[groups] = g;
    groupOffset[groups] = o;
    groupHead[groups] = hd;
    member[groups] = e + 1;
    groups++;
  }

  const bucketBits = Math.max(4, Math.ceil(Math.log2(groups + 1)));
  const bucketShift = 32 - bucketBits;
  const first = new Int32Array(1 << bucketBits);
  const next = new Int32Array(groups);
  for (let i = groups - 1; i >= 0; i--) {
    const b = Math.imul(groupGram[i]!, GOLDEN) >>> bucketShift;
    next[i] = first[b]!;
    first[b] = i + 1;
  }
  // About 16 bits per distinct gram, 2 of them set in one 32-bit word: roughly 1% false positives.
  const wordBits = Math.min(20, Math.max(6, Math.ceil(Math.log2(groups + 1)) - 1));
  const filterShift = 32 - wordBits;
  const filter = new Int32Array(1 << wordBits);
  for (let i = 0; i < groups; i++) {
    const g = groupGram[i]!;
    const m = Math.imul(g, MIX);
    filter[Math.imul(g, GOLDEN) >>> filterShift]! |= (1 << (m >>> 27)) | (1 << ((m >>> 22) & 31));
  }
  return {
    stride,
    filter,
    filterShift,
    bucketShift,
    first,
    next,
    // Sized for one group per entry; most groups are single entries, so the unused tail is small.
    groupGram,
    groupOffset,
    groupHead,
    member,
    memberNext,
    pattern,
  };
}

function buildShortTier(patterns: string[], length: Int32Array, head: Int32Array, ids: number[]): ShortTier {
  const { stride, gram, offset } = selectEntries(patterns, length, ids, 2);
  // Offsets stay below 8: a short pattern has at most 7 characters, so its bigrams start at 0 to 5.
  const offsets = new Uint8Array(1 << 16);
  for (let e = 0; e < gram.length; e++) offsets[gram[e]!]! |= 1 << offset[e]!;
  const headBits = Math.max(4, Math.ceil(Math.log2(ids.length + 1)) + 1);
  const headShift = 32 - headBits;
  const headFirst = new Int32Array(1 << headBits);
  const headNext = new Int32Array(ids.length);
  const headGram = new Int32Array(ids.length);
  const headPattern = new Int32Array(ids.length);
  for (let k = ids.length - 1; k >= 0; k--) {
    const p = ids[k]!;
    const b = Math.imul(head[p]!, GOLDEN) >>> headShift;
    headGram[k] = head[p]!;
    headPattern[k] = p;
    headNext[k] = headFirst[b]!;
    headFirst[b] = k + 1;
  }
  return { stride, offsets, headShift, headFirst, headNext, headGram, headPattern };
}

/** Sorts (when needed) and merges ranges, joining overlapping and adjacent ones. */
function normalize(starts: number[], ends: number[], ordered: boolean): number[] {
  const k = starts.length;
  let clean = ordered;
  for (let i = 1; clean && i < k; i++) if (starts[i]! <= ends[i - 1]!) clean = false;
  if (clean) {
    const out = new Array<number>(2 * k);
    for (let i = 0; i < k; i++) {
      out[2 * i] = starts[i]!;
      out[2 * i + 1] = ends[i]!;
    }
    return out;
  }
  // Pack (start, length) into one double so a native numeric sort orders by start. Ranges were merged
  // on the way, so a length can exceed the longest pattern.
  let widest = 0;
  let furthest = 0;
  for (let i = 0; i < k; i++) {
    widest = Math.max(widest, ends[i]! - starts[i]!);
    furthest = Math.max(furthest, starts[i]!);
  }
  const span = 2 ** Math.ceil(Math.log2(widest + 1));
  let sortedStarts: ArrayLike<number>;
  let sortedEnds: ArrayLike<number>;
  if ((furthest + 1) * span <= Number.MAX_SAFE_INTEGER) {
    const order = new Float64Array(k);
    for (let i = 0; i < k; i++) order[i] = starts[i]! * span + (ends[i]! - starts[i]!);
    order.sort();
    const ss = new Float64Array(k);
    const es = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      const start = Math.floor(order[i]! / span);
      ss[i] = start;
      es[i] = start + (order[i]! - start * span);
    }
    sortedStarts = ss;
    sortedEnds = es;
  } else {
    const order = Array.from({ length: k }, (_, i) => i).sort((x, y) => starts[x]! - starts[y]!);
    sortedStarts = order.map((i) => starts[i]!);
    sortedEnds = order.map((i) => ends[i]!);
  }
  const out: number[] = [];
  let s = -1;
  let e = -1;
  for (let i = 0; i < k; i++) {
    const start = sortedStarts[i]!;
    const end = sortedEnds[i]!;
    if (e >= 0 && start <= e) {
      if (end > e) e = end;
      continue;
    }
    if (e >= 0) out.push(s, e);
    s = start;
    e = end;
  }
  if (e >= 0) out.push(s, e);
  return out;
}

interface PrefixIndex {
  isProperPrefix(text: string, from: number): boolean;
}

/**
 * For streams only, so built on first use: is `text.slice(from)` a proper prefix of some pattern (tails
 * included)? Up to 3 characters, exact sets of every pattern's first characters answer; from 4 on, the
 * patterns with those first 4 characters are compared one by one. Patterns sharing their first 4
 * characters (`sk_l`) make that list long, but it is walked only at the few positions near a chunk's end.
 */
function buildPrefixIndex(
  patterns: readonly string[],
  tails: PatternTable["tails"],
  head: Int32Array,
): PrefixIndex {
  const short = new Set<number>();
  const key = (s: string, at: number, len: number): number => {
    let k = len;
    for (let i = 0; i < len; i++) k = k * 65536 + s.charCodeAt(at + i);
    return k;
  };
  const bits = Math.max(4, Math.ceil(Math.log2(patterns.length + 1)));
  const first = new Int32Array(1 << bits);
  const next = new Int32Array(patterns.length);
  for (let p = patterns.length - 1; p >= 0; p--) {
    const s = patterns[p]!;
    for (let len = 1; len <= 3; len++) short.add(key(s, 0, len));
    const b = Math.imul(head[p]!, GOLDEN) >>> (32 - bits);
    next[p] = first[b]!;
    first[b] = p + 1;
  }
  return {
    isProperPrefix(text, from) {
      const rest = text.length - from;
      // Every pattern has 4 characters or more, so a shorter start is a proper prefix if it is a prefix.
      if (rest < 4) return short.has(key(text, from, rest));
      const h = lowBytes4(text, from);
      let x: string | null = null;
      for (let p = first[Math.imul(h, GOLDEN) >>> (32 - bits)]! - 1; p >= 0; p = next[p]! - 1) {
        if (head[p] !== h) continue;
        const core = patterns[p]!;
        if (rest < core.length) {
          x ??= text.slice(from);
          if (core.startsWith(x)) return true;
          continue;
        }
        const ts = tails[p];
        if (!ts || !text.startsWith(core, from)) continue;
        const after = text.slice(from + core.length);
        for (const t of ts) if (t.length > after.length && t.startsWith(after)) return true;
      }
      return false;
    },
  };
}
