/**
 * Finds every occurrence of many literal patterns in a text, reporting the union of their ranges.
 *
 * A sampled q-gram filter (see docs/decisions/0101-redaction-matcher.md): the text is read only at every
 * s-th position. A pattern of length l has l - q + 1 grams of q characters, and s is at most that for
 * every pattern, so every occurrence covers exactly one sampled position inside a chosen window of s
 * consecutive grams of the pattern; indexing each pattern under those s grams (with their offsets) finds
 * every occurrence exactly once. A sample whose gram is in no pattern's window is rejected by a bit filter;
 * the rest are verified with an exact comparison. Three tiers share the samples: q = 8 for the patterns long
 * enough for it, q = 4 for the other patterns of 6 characters or more, q = 2 for the few shorter ones (values
 * of 4 and 5 characters), so one loop reads each sampled position once for all (decision 0240).
 *
 * The file is longer than the 400 lines of the style guide: the tiers share the scan state and the hot
 * loop, and splitting them over modules would put the loop's state behind imports and calls it cannot
 * afford. Each function stays under 120 lines.
 *
 * The text is copied block by block into a byte buffer (`write(.., "latin1")`: one byte per UTF-16 unit, the low
 * byte), so a sample reads a gram with a single DataView load. Patterns are hashed over the same low bytes;
 * a collision from characters above U+00FF only costs a failed verification.
 */
import { type PatternTable, twinKinds } from "./forms.js";
import { FILTER_WORD_BITS_MAX, wasmFor } from "./scan-wasm.js";
import { twinBytes, twinString } from "./twins.js";

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

/**
 * The largest stride: each pattern is indexed under `stride` grams, so the index grows with it. Without a
 * cap, a set of long values only (URLs, 64-character keys) got strides of 16 to 61 and builds of seconds.
 * The cap is 4, or higher while patterns x stride stays within `ENTRY_BUDGET` (a few thousand patterns
 * build in milliseconds at any stride, and a longer stride reads fewer samples).
 */
const MAX_STRIDE = 4;
const ENTRY_BUDGET = 300_000;
/** Patterns shorter than this go to the q = 2 tier; longer ones would make its bigram table useless. */
const MAIN_MIN_LENGTH = 6;

/** The largest stride a pattern of length l allows: it has at least that many grams in its tier. */
export function largestStride(l: number): number {
  return l < MAIN_MIN_LENGTH ? l - 1 : l - 3;
}

/** The tier of a pattern of length l at `stride`: 0 (q = 2), 1 (q = 4), or 2 (q = 8, long enough for it). */
export function tierOf(l: number, stride: number): 0 | 1 | 2 {
  return l < MAIN_MIN_LENGTH ? 0 : l - 7 < stride ? 1 : 2;
}
/**
 * Characters per block: 16 Ki keeps the block's bytes in the first-level cache while its passes are
 * examined. 64 Ki blocks measured 7–8% slower at 10,000 secrets; 4 Ki and 8 Ki the same as 16 Ki.
 */
export const BLOCK = 1 << 14;
export const GOLDEN = -1640531535; // 0x9E3779B1
const MIX = -2048144777; // 0x85EBCA77

/**
 * A tier's entries: "gram[e] occurs at offset window[pattern[e]] + e % stride of pattern[e]", stride
 * entries per pattern. The offsets are not stored: an array of 4 bytes an entry is a thousand fresh
 * pages for a set of a million entries, and a page fault costs 10 to 23 µs on the benchmark machine.
 */
export interface Entries {
  gram: Int32Array;
  pattern: Int32Array;
  /** The gram counts the windows were chosen by. */
  counts: Uint16Array;
}

/** An earlier build's choices for the patterns a table kept (see `Selection`). */
interface Reuse {
  from: Int32Array;
  window: Int32Array;
  counts: Uint16Array;
}

/**
 * A q = 4 or q = 8 tier (an 8-gram is keyed by `key8` of its two halves). Entries with the same gram, offset and first 4 characters form a group: patterns built
 * on one dictionary word ("Football7?", "Football12!") share all three, and logs are full of such words,
 * so one comparison of the text's 4 characters at the group's offset clears them all. Where the text holds
 * the word itself ("Football" in a log that names it on every line), the group's members are walked, and
 * each one's last 4 characters (`Space.ending`) clear it before it becomes a candidate. A bit filter answers
 * most samples. The groups live inline in `cells`, 4 ints each (gram, offset, head, first member + 1), sorted
 * by the bucket of their gram, `start[b]` the first of bucket b (see placeCells). Each group's patterns
 * are listed through `memberNext` (entry + 1).
 */
export interface MainTier {
  /** Patterns in the tier. */
  count: number;
  filter: Int32Array;
  filterShift: number;
  cells: Int32Array;
  start: Int32Array;
  cellShift: number;
  memberNext: Int32Array;
  pattern: Int32Array;
  /**
   * A layered rebuild's tier of the patterns added since its base (decision 0360): the samples that pass
   * this tier's filter, which holds its grams' bits too, are looked up in its cells after this tier's.
   */
  overlay: MainTier | null;
}

/**
 * The q = 2 tier, for patterns of 4 and 5 characters. Bigrams are common in text, so a hit does not walk
 * entries: `offsets[bigram]` has bit o set when some pattern holds that bigram at offset o, and a hit
 * looks up the exact 4 characters at each such offset back among the patterns' first 4 characters.
 */
export interface ShortTier {
  /** Patterns in the tier. */
  count: number;
  offsets: Uint8Array;
  /** A bit set of the patterns' first 4 characters, hashed: see `isHead`. */
  heads: Int32Array;
  headShift: number;
  headFirst: Int32Array;
  headNext: Int32Array;
  headGram: Int32Array;
  headPattern: Int32Array;
}

/**
 * What a later build over a changed set takes from this one (decision 0285): the window chosen for each
 * pattern and the gram counts of each tier. A kept pattern keeps its window when the stride is the same,
 * and only the new patterns are counted and placed. The counts are a heuristic: those of removed patterns
 * stay, which only makes their grams look a little more common.
 */
export interface Selection {
  stride: number;
  /** Per pattern of the scanner's space (see `Layers`). */
  window: Int32Array;
  counts: readonly [Uint16Array, Uint16Array, Uint16Array];
  /** The layers a rebuild may add an overlay to (decision 0360). */
  layers: Layers;
}

/**
 * What a layered rebuild (overlay.ts, decision 0360) keeps of a build. The scanner's patterns are in its own
 * *space*: a full build's space is its table's order; a layered rebuild keeps its base's space, with the
 * patterns gone since marked dead, and the new ones appended.
 */
export interface Layers {
  /** The base build's q = 4 and q = 8 tiers, without overlay. */
  mid: MainTier;
  long: MainTier;
  space: Space;
  /** Table index to space index; null: the same. */
  toSpace: Int32Array | null;
  /** How many patterns the base had (the first of the space). */
  base: number;
  /** Space indices of the patterns in the overlay tiers. */
  overlay: Int32Array;
}

/** A scanner's patterns, per index of its space. A dead pattern is "", with length and extent DEAD. */
export interface Space {
  patterns: string[];
  tails: PatternTable["tails"];
  kinds: Uint8Array | null;
  length: Int32Array;
  extent: Int32Array;
  head: Int32Array;
  /**
   * Each pattern's last 4 characters, as `head` its first (0 for a dead one); null where they are not known
   * (prototype/build.ts, whose forms are not strings), and every member of a group is a candidate.
   */
  ending: Int32Array | null;
}

/** The length of a dead pattern: no candidate fits in a text (see `candidate`). */
export const DEAD = 0x3fffffff;

const selections = new WeakMap<Matcher, Selection>();

/** A build's selections and layers, when it kept them (1,024 patterns or more). */
export function selectionOf(matcher: Matcher): Selection | undefined {
  return selections.get(matcher);
}

export function keepSelection(matcher: Matcher, selection: Selection): void {
  selections.set(matcher, selection);
}
/** The fewest patterns whose windows and counts a matcher keeps for a later rebuild. */
const KEEP_SELECTIONS_FROM = 1024;
/**
 * The gram counts of a build that does not keep them, one table per tier, zeroed for each build: a small
 * build otherwise allocates and drops 384 KiB, memory the allocator keeps after a run of them.
 */
const SHARED_COUNTS: Uint16Array[] = [];
function sharedCounts(q: 2 | 4 | 8): Uint16Array {
  const table = SHARED_COUNTS[q >> 2] ?? new Uint16Array(1 << 16);
  SHARED_COUNTS[q >> 2] = table;
  // Zero already, unless a build threw between counting and clearSharedCounts.
  return table.fill(0);
}
function clearSharedCounts(): void {
  for (const table of SHARED_COUNTS) table?.fill(0);
}

/** `previous`: a matcher built from the table `table` was built from (`table.reused` maps to it). */
export function createMatcher(table: PatternTable, previous?: Matcher): Matcher {
  const { patterns, tails } = table;
  const count = patterns.length;
  const length = new Int32Array(count);
  const extent = new Int32Array(count);
  const head = new Int32Array(count);
  const ending = new Int32Array(count);
  let total = 0;
  let longest = 0;
  for (let p = 0; p < count; p++) {
    const pattern = patterns[p]!;
    // The strides and the head checks assume 4 characters; forms.ts never makes shorter patterns.
    if (pattern.length < 4) throw new RangeError("a redaction pattern has fewer than 4 characters");
    let e = pattern.length;
    // Tails are listed longest first: the first one that follows a match is the widest extension.
    const ts = tails[p];
    if (ts) e += ts[0]!.length;
    length[p] = pattern.length;
    extent[p] = e;
    total += pattern.length;
    if (e > longest) longest = e;
  }
  // Every pattern's low bytes in one buffer, written once for all tiers, when they fit in ALL_BYTES.
  // `start`: where each pattern's bytes start there (one more entry, the end).
  const start = total <= ALL_BYTES ? new Int32Array(count + 1) : EMPTY;
  for (let p = 0; p < start.length - 1; p++) start[p + 1] = start[p]! + length[p]!;
  // Twins are listed as the string they are the twin of: their bytes are changed after each write.
  const kinds = twinKinds(table);
  const all = total <= ALL_BYTES ? lowBytes(patterns, start, kinds) : null;

  // One stride for all tiers, so one loop reads each sampled position once for all: a pattern of
  // length l has l - q + 1 grams, and the stride may not exceed that for any pattern. It is set by the
  // q = 2 and q = 4 tiers; a pattern long enough for that many 8-grams goes to the q = 8 tier.
  let stride = Math.max(MAX_STRIDE, Math.floor(ENTRY_BUDGET / Math.max(1, count)));
  for (let p = 0; p < count; p++) stride = Math.min(stride, largestStride(length[p]!));
  // Counted, then listed: lists grown a push at a time were reallocated as they grew, fresh pages
  // each time (a tenth of the page faults of a build of 10,000 non-ASCII values).
  const sizes = [0, 0, 0];
  for (let p = 0; p < count; p++) sizes[tierOf(length[p]!, stride)]!++;
  const lists = sizes.map((n) => new Int32Array(n));
  sizes.fill(0);
  for (let p = 0; p < count; p++) {
    const t = tierOf(length[p]!, stride);
    lists[t]![sizes[t]!++] = p;
  }
  const [shortIds, midIds, longIds] = lists as [Int32Array, Int32Array, Int32Array];
  const before = previous && selections.get(previous);
  const window = new Int32Array(count);
  // A layered build's windows are per index of its space: read here per index of its table.
  const { toSpace } = before ? before.layers : { toSpace: null };
  const beforeWindow =
    before && before.stride === stride && table.reused
      ? toSpace
        ? toSpace.map((s) => before.window[s]!)
        : before.window
      : null;
  const reuse = (tier: number): Reuse | undefined =>
    before && beforeWindow && table.reused
      ? { from: table.reused, window: beforeWindow, counts: before.counts[tier]! }
      : undefined;
  // A rebuild of a small set from scratch costs a few ms; its three tables of counts (384 KiB) would stay
  // alive with every redactor of every scope (decision 0355).
  const keep = count >= KEEP_SELECTIONS_FROM;
  const select = (ids: Int32Array, q: 2 | 4 | 8, tier: number) =>
    selectEntries({
      patterns,
      kinds,
      all,
      start,
      length,
      ids,
      q,
      stride,
      window,
      head,
      ending,
      reuse: reuse(tier),
      keep,
    });
  const short = select(shortIds, 2, 0);
  const mid = select(midIds, 4, 1);
  const long = select(longIds, 8, 2);
  // The shared counts hold grams of this set's values: zeroed once read, not left for the next build.
  if (!keep) clearSharedCounts();
  const shortTier = buildShortTier(short, head, window, stride, shortIds);
  const midTier = buildMainTier(mid, head, window, stride, midIds.length);
  const longTier = buildMainTier(long, head, window, stride, longIds.length);
  const space: Space = { patterns, tails, kinds, length, extent, head, ending };
  const scanner = new Scanner(space, stride, [shortTier, midTier, longTier]);
  const matcher = scanningMatcher(scanner, space, longest);
  if (keep) {
    const layers = {
      mid: midTier,
      long: longTier,
      space,
      toSpace: null,
      base: count,
      overlay: EMPTY,
    };
    selections.set(matcher, { stride, window, counts: [short.counts, mid.counts, long.counts], layers });
  }
  return matcher;
}

/**
 * The matcher over a built scanner. Made here, not in createMatcher: closures share their function's
 * scope, so a matcher made there kept everything its build's closures used alive with it (the previous
 * matcher's selections, the patterns' bytes: 0.5 to 1 MiB for a small redactor built after a larger one).
 */
export function scanningMatcher(scanner: Scanner, space: Space, longest: number): Matcher {
  const { patterns, tails, head } = space;
  const count = patterns.length;
  let prefixIndex: PrefixIndex | null = null;
  return {
    ranges: (input) => (count === 0 || input.length < 4 ? [] : scanner.ranges(input)),
    liveFrom(input) {
      const len = input.length;
      if (count === 0) return len;
      prefixIndex ??= buildPrefixIndex(
        patterns.map((_, p) => scanner.pattern(p)),
        tails,
        head,
      );
      for (let i = Math.max(0, len - longest + 1); i < len; i++) {
        if (prefixIndex.isProperPrefix(input, i)) return i;
      }
      return len;
    },
    longest,
  };
}

let scanners = 0;

/**
 * A matcher's tables and its scan state, shared by the hot loops and `candidate` so the loops pass only
 * numbers around. A class, not closures made by createMatcher: closures get their own feedback and
 * compiled code per matcher, so every new matcher (one per change to an organization's secrets) ran its
 * first scans interpreted, 2 to 10 times slower; methods are compiled once for all matchers.
 */
export class Scanner {
  /** Tells the WebAssembly scan whose tables its memory holds. */
  private readonly id = ++scanners;
  /** Characters scanned in JavaScript since this matcher's tables were last in WebAssembly memory. */
  private unpaid = 0;
  private readonly patterns: string[];
  private readonly tails: PatternTable["tails"];
  private view: DataView | null = null;
  private text = "";
  private n = 0;
  private blockBase = 0;
  private blockLength = 0;
  private starts: number[] = [];
  private ends: number[] = [];
  private lastStart = -1;
  private lastEnd = -1;
  private ordered = true;
  /** Last verified start of each pattern in the current scan, and the smallest period of a pattern. */
  private readonly previous = new Map<number, number>();
  private readonly periods = new Map<number, number>();
  // The scans only collect the sampled positions that pass the filters; the positions are examined after
  // the loop. Examining them inline (the chains, `candidate`) made the compiled loop several times
  // slower even on text where nothing passed.
  private passed: readonly [Int32Array, Int32Array, Int32Array] = [EMPTY, EMPTY, EMPTY];
  private passedCounts: Int32Array = EMPTY;

  /** The twins written out so far (see `pattern`). */
  private readonly written = new Map<number, string>();

  private readonly kinds: Uint8Array | null;
  private readonly length: Int32Array;
  private readonly extent: Int32Array;
  private readonly head: Int32Array;
  private readonly ending: Int32Array | null;

  constructor(
    space: Space,
    private readonly stride: number,
    private readonly tiers: readonly [ShortTier, MainTier, MainTier],
  ) {
    this.patterns = space.patterns;
    this.tails = space.tails;
    this.kinds = space.kinds;
    this.length = space.length;
    this.extent = space.extent;
    this.head = space.head;
    this.ending = space.ending;
  }

  ranges(input: string): number[] {
    if (warmUpMatcher === null && input.length >= BLOCK) warmUp();
    const [shortTier, midTier, longTier] = this.tiers;
    const loop = { short: shortTier, mid: midTier, long: longTier };
    const wasm = wasmFor(this.id, this.unpaid + input.length, BLOCK, FILTER_MASKS, loop);
    this.unpaid = wasm ? 0 : this.unpaid + input.length;
    if (!wasm) shared ??= createScanBuffers();
    const buffers = wasm ?? shared!;
    const scratch = buffers.bytes;
    this.view = buffers.view;
    this.passed = buffers.passed;
    this.passedCounts = buffers.counts;
    this.text = input;
    const n = input.length;
    this.n = n;
    this.starts = [];
    this.ends = [];
    this.lastStart = -1;
    this.lastEnd = -1;
    this.ordered = true;
    // Map.clear() makes a new table even for an empty map: most of the cost of redacting a short text.
    if (this.previous.size > 0) this.previous.clear();
    const [sOut, mOut, lOut] = this.passed;
    const view = this.view;
    const counts = this.passedCounts;
    // Next sample, relative to the current block.
    let next = 0;
    for (let base = 0; base < n; base += BLOCK) {
      this.blockBase = base;
      // A block carries 7 more characters, so the grams sampled near its end are whole.
      const blockEnd = Math.min(n, base + BLOCK + 7);
      this.blockLength = blockEnd - base;
      scratch.write(base === 0 && blockEnd === n ? input : input.slice(base, blockEnd), 0, "latin1");
      // Up to the last bigram of the block. A gram read there runs past the text's end into stale bytes
      // of the scratch buffer; verification rejects what that lets through.
      const last = Math.min(this.blockLength - 2, BLOCK - 1);
      const j = wasm
        ? wasm.sample(next, last, this.stride, loop)
        : sample(view, next, last, this.stride, shortTier, midTier, longTier, sOut, mOut, lOut, counts);
      // Past the last whole gram the next offset can go negative; nothing is left to sample there.
      next = Math.max(0, j - BLOCK);
      this.shortHits(shortTier);
      this.mainHits(midTier, this.passed[1], this.passedCounts[1]!, false);
      this.mainHits(longTier, this.passed[2], this.passedCounts[2]!, true);
      // A layered rebuild's overlays (decision 0360) see the same passes: the tiers' filters hold their grams.
      if (midTier.overlay !== null)
        this.mainHits(midTier.overlay, this.passed[1], this.passedCounts[1]!, false);
      if (longTier.overlay !== null)
        this.mainHits(longTier.overlay, this.passed[2], this.passedCounts[2]!, true);
    }
    if (this.lastEnd >= 0) {
      this.starts.push(this.lastStart);
      this.ends.push(this.lastEnd);
    }
    const result = normalize(this.starts, this.ends, this.ordered);
    this.text = "";
    this.starts = [];
    this.ends = [];
    return result;
  }

  /** The searched string p: a twin is written out on its first candidate, and kept. */
  pattern(p: number): string {
    const kind = this.kinds === null ? 0 : this.kinds[p]!;
    if (kind === 0) return this.patterns[p]!;
    let s = this.written.get(p);
    if (s === undefined) {
      s = twinString(this.patterns[p]!, kind);
      this.written.set(p, s);
    }
    return s;
  }

  private periodOf(p: number): number {
    let period = this.periods.get(p);
    if (period === undefined) {
      period = smallestPeriod(this.pattern(p));
      this.periods.set(p, period);
    }
    return period;
  }

  private candidate(p: number, t: number): void {
    if (t < 0) return;
    const length = this.length[p]!;
    const end = t + length;
    if (end > this.n) return;
    // A candidate inside the current range cannot change the union, whatever its tails.
    if (t >= this.lastStart && t + this.extent[p]! <= this.lastEnd) return;
    const rel = t - this.blockBase;
    if (rel >= 0 && rel + 4 <= this.blockLength && this.view!.getInt32(rel, true) !== this.head[p]) return;
    const text = this.text;
    const prev = this.previous.get(p);
    if (prev !== undefined && t > prev && t < prev + length && (t - prev) % this.periodOf(p) === 0) {
      // Overlaps the last occurrence of p by a multiple of p's period: text[t, prev + length) is already
      // known to equal p's head, so only the new characters are compared. Without this, a periodic text
      // against a long periodic pattern would compare the whole pattern at every sample.
      const pattern = this.pattern(p);
      for (let x = prev + length; x < end; x++) {
        if (text.charCodeAt(x) !== pattern.charCodeAt(x - t)) return;
      }
    } else if (!text.startsWith(this.pattern(p), t)) {
      return;
    }
    if (prev === undefined || t > prev) this.previous.set(p, t);
    let stop = end;
    const ts = this.tails[p];
    if (ts) {
      for (const tail of ts) {
        if (text.startsWith(tail, end)) {
          stop = end + tail.length;
          break;
        }
      }
    }
    this.include(t, stop);
  }

  /** Adds [t, stop) to the ranges, merged with the last one when they overlap or touch. */
  private include(t: number, stop: number): void {
    if (this.lastEnd >= 0 && t <= this.lastEnd && stop >= this.lastStart) {
      if (t < this.lastStart) {
        this.lastStart = t;
        this.ordered = false;
      }
      if (stop > this.lastEnd) this.lastEnd = stop;
      return;
    }
    if (this.lastEnd >= 0) {
      this.starts.push(this.lastStart);
      this.ends.push(this.lastEnd);
      if (t < this.lastStart) this.ordered = false;
    }
    this.lastStart = t;
    this.lastEnd = stop;
  }

  /** Examines the positions that passed the filter of a q = 4 (`long` false) or q = 8 tier. */
  private mainHits(tier: MainTier, positions: Int32Array, passes: number, long: boolean): void {
    const dv = this.view!;
    const { cells, start, cellShift, memberNext, pattern } = tier;
    const { length, ending, blockLength } = this;
    for (let x = 0; x < passes; x++) {
      const j = positions[x]!;
      const g = long ? key8(dv.getInt32(j, true), dv.getInt32(j + 4, true)) : dv.getInt32(j, true);
      const b = Math.imul(g, GOLDEN) >>> cellShift;
      for (let k = start[b]! << 2, end = start[b + 1]! << 2; k < end; k += 4) {
        if (cells[k] !== g) continue;
        const rel = j - cells[k + 1]!;
        if (rel >= 0 && dv.getInt32(rel, true) !== cells[k + 2]) continue;
        const t = this.blockBase + rel;
        for (let e = cells[k + 3]! - 1; e >= 0; e = memberNext[e]! - 1) {
          const p = pattern[e]!;
          // The group shares its head: a member whose last 4 characters are in the block and differ is out.
          // They start at or after the sample (the gram lies in the pattern), so never before the block.
          const last = rel + length[p]! - 4;
          if (ending && last + 4 <= blockLength && dv.getInt32(last, true) !== ending[p]) continue;
          this.candidate(p, t);
        }
      }
    }
  }

  private shortHits(tier: ShortTier): void {
    const dv = this.view!;
    const { offsets, heads, headShift, headFirst, headNext, headGram, headPattern } = tier;
    const positions = this.passed[0];
    const passes = this.passedCounts[0]!;
    // Read once here, so each has type feedback from the first call: the text was read only for a start
    // before the block, which only a text of two blocks or more reaches, and the optimized loop left for
    // the interpreter there in the first long scan (`--trace-deopt`, decision 0375; the warm-up now scans
    // such a text too, for the call below, decision 0390).
    const { blockBase, n, text } = this;
    for (let x = 0; x < passes; x++) {
      const j = positions[x]!;
      const mask = offsets[dv.getUint16(j, true)]!;
      // Digits and common letter pairs pass the bigram test often. Which of the (at most 4) offsets also
      // start with some short pattern's first 4 characters is answered without a branch per offset.
      if (j >= 3) {
        const maybe =
          (mask & isHead(heads, dv.getInt32(j, true))) |
          (mask & (isHead(heads, dv.getInt32(j - 1, true)) << 1)) |
          (mask & (isHead(heads, dv.getInt32(j - 2, true)) << 2)) |
          (mask & (isHead(heads, dv.getInt32(j - 3, true)) << 3));
        if (maybe === 0) continue;
      }
      for (let o = 0; mask >>> o !== 0; o++) {
        if (((mask >>> o) & 1) === 0) continue;
        const t = blockBase + j - o;
        if (t < 0 || t + 4 > n) continue;
        // The block holds 7 characters past its end, so only a start before the block needs the string.
        const g = j >= o ? dv.getInt32(j - o, true) : lowBytes4(text, t);
        for (let e = headFirst[Math.imul(g, GOLDEN) >>> headShift]! - 1; e >= 0; e = headNext[e]! - 1) {
          if (headGram[e] === g) this.candidate(headPattern[e]!, t);
        }
      }
    }
  }
}

const EMPTY = new Int32Array(0);

/**
 * A scan's working memory: the block's bytes and the positions that passed. One set per thread serves
 * every matcher, since `ranges` runs from start to end without yielding; a set per matcher (144 KiB)
 * would add up over the redactors of many projects.
 */
interface ScanBuffers {
  bytes: Buffer;
  view: DataView;
  passed: readonly [Int32Array, Int32Array, Int32Array];
  counts: Int32Array;
}

let shared: ScanBuffers | null = null;

function createScanBuffers(): ScanBuffers {
  // The block plus its 7 characters of overlap, and room for an 8-byte read at its last bigram.
  const bytes = Buffer.allocUnsafe(BLOCK + 16);
  return {
    bytes,
    view: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    passed: [new Int32Array(BLOCK), new Int32Array(BLOCK), new Int32Array(BLOCK)],
    counts: new Int32Array(3),
  };
}

/**
 * The hot loop: samples every `stride`-th position of the block from `from` to `last`, its bigram for the
 * short tier, its 4-gram for the q = 4 tier and its 8-gram for the q = 8 tier, and lists the positions that
 * pass each tier's filter. Returns the position after the last sample. A plain function of its arguments:
 * inside the matcher's closure, the compiled loop ran two to four times slower. Long texts go through its
 * twin in WebAssembly (`wasm/sample.wat`, decision 0330), which must stay the same: the property tests
 * run both.
 */
function sample(
  dv: DataView,
  from: number,
  last: number,
  stride: number,
  shortTier: ShortTier,
  midTier: MainTier,
  longTier: MainTier,
  shortOut: Int32Array,
  midOut: Int32Array,
  longOut: Int32Array,
  counts: Int32Array,
): number {
  // Named loads of monomorphic objects only, no array destructuring: this prologue runs once per block,
  // and a first scan in a fresh process could run it before V8 had feedback for it. With the tiers passed
  // as a tuple, the compiled loop then left at its first instruction on every block, for the whole of the
  // first few scans (`--trace-deopt`: "insufficient type feedback for generic keyed access", 64 a MiB).
  const offsets = shortTier.offsets;
  const midFilter = midTier.filter;
  const midShift = midTier.filterShift;
  const longFilter = longTier.filter;
  const longShift = longTier.filterShift;
  const masks = FILTER_MASKS;
  // Most sets leave a tier or two empty (no value under 6 characters): their tables are not read then.
  const short = shortTier.count > 0;
  const mid = midTier.count > 0;
  let shortCount = 0;
  let midCount = 0;
  let longCount = 0;
  let j = from;
  for (; j <= last; j += stride) {
    const g = dv.getInt32(j, true);
    if (short && offsets[g & 0xffff] !== 0) shortOut[shortCount++] = j;
    // filterBits(g), written out: the call, though inlined, measured 3-5% slower here (when it computed
    // the bits: now a table load, as here).
    if (mid) {
      const mask = masks[Math.imul(g, MIX) >>> MASK_SHIFT]!;
      if ((midFilter[Math.imul(g, GOLDEN) >>> midShift]! & mask) === mask) midOut[midCount++] = j;
    }
    const h = key8(g, dv.getInt32(j + 4, true));
    const mask = masks[Math.imul(h, MIX) >>> MASK_SHIFT]!;
    if ((longFilter[Math.imul(h, GOLDEN) >>> longShift]! & mask) === mask) longOut[longCount++] = j;
  }
  counts[0] = shortCount;
  counts[1] = midCount;
  counts[2] = longCount;
  return j;
}

/**
 * The key of an 8-gram (its low bytes as two little-endian ints). Characters 5 to 8 are mixed in so
 * that 8-grams sharing their first half spread: a 4-gram of hex digits holds 2 bytes of a value, and hex
 * forms and hex request ids in logs met on most of them.
 */
export function key8(a: number, b: number): number {
  return a ^ Math.imul(b ^ (b >>> 15), 0x2c1b3c6d);
}

/**
 * The bits a gram sets in its filter word: one of 2,048 masks of 4 distinct bits, chosen by the top bits
 * of another product. A table load instead of computing the bits: 8 operations fewer per probe in the hot
 * loop, so a fourth bit costs nothing there. Two grams of a word share their mask once in 2,048 times, which
 * adds that little to the false positives.
 */
function filterBits(g: number): number {
  return FILTER_MASKS[Math.imul(g, MIX) >>> MASK_SHIFT]!;
}
const MASK_BITS = 11;
const MASK_SHIFT = 32 - MASK_BITS;
const FILTER_MASKS = (() => {
  const t = new Int32Array(1 << MASK_BITS);
  for (let i = 0; i < t.length; i++) {
    // Distinct bits: the 3 computed from each gram's product used to coincide about once in 11.
    const m = Math.imul(2 * i + 1, GOLDEN);
    const a = m >>> 27;
    let b = (m >>> 22) & 31;
    if (b === a) b = (b + 1) & 31;
    let c = (m >>> 17) & 31;
    while (c === a || c === b) c = (c + 1) & 31;
    let d = (m >>> 12) & 31;
    while (d === a || d === b || d === c) d = (d + 1) & 31;
    t[i] = (1 << a) | (1 << b) | (1 << c) | (1 << d);
  }
  return t;
})();

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
export const COMMONNESS = (() => {
  const t = new Uint8Array(256);
  for (let c = 0x61; c <= 0x7a; c++) t[c] = 1;
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (const ch of ' ":,{}[]/=-_.') t[ch.charCodeAt(0)] = 2;
  return t;
})();

/** A window gram of four lower-case letters is most likely part of a word, and logs are full of words. */
export const WORD_PENALTY = 1024;
export const isLower = (b: number) => b >= 0x61 && b <= 0x7a;
export function wordLike(bytes: Uint8Array, at: number): boolean {
  return isLower(bytes[at]!) && isLower(bytes[at + 1]!) && isLower(bytes[at + 2]!) && isLower(bytes[at + 3]!);
}

/** Candidate windows per pattern: all of them for short patterns, else this many spread over it. */
const WINDOW_CHOICES = 4;

/** What selectEntries reads, and the arrays it fills, for one tier. */
export interface TierInput {
  patterns: string[];
  kinds: Uint8Array | null;
  all: Buffer | null;
  start: Int32Array;
  length: Int32Array;
  ids: Int32Array;
  q: 2 | 4 | 8;
  stride: number;
  /** Receive each pattern's chosen window, and its first and last 4 low bytes (see lowBytes4). */
  window: Int32Array;
  head: Int32Array;
  ending: Int32Array;
  reuse: Reuse | undefined;
  /** Whether the matcher keeps the counts for a rebuild: if not, they are counted in a shared table. */
  keep: boolean;
  /** Counts to start from (a copy is counted into), when not `reuse`'s. */
  seed?: Uint16Array;
}

/**
 * Indexes each pattern under the s grams of its rarest window. Rarity is counted over the grams of every
 * pattern's candidate windows: API keys share prefixes (`sk_live_`), their base64 forms share their first
 * characters, and a window over shared grams would make every sample of that gram check many patterns.
 * Only a few windows per long pattern are candidates: a random key is rare anywhere, and counting every
 * gram of every pattern was most of the build time. `all`: every pattern's low bytes (`lowBytes`), p's
 * from `start[p]`, or null.
 */
export function selectEntries(tier: TierInput): Entries {
  const { patterns, kinds, all, start, length, ids, q, stride, window, head, ending, reuse, keep } = tier;
  // The patterns are read as the low bytes the scan reads: from `all`, or else (past ALL_BYTES) a chunk
  // of them at a time through one small buffer, twice (to count, then to choose).
  let longest = 0;
  for (let k = 0; !all && k < ids.length; k++) longest = Math.max(longest, length[ids[k]!]!);
  const bytes = all ?? Buffer.allocUnsafe(Math.max(CHUNK, longest) + 8);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const gramAt = (i: number) =>
    q === 2
      ? dv.getUint16(i, true)
      : q === 4
        ? dv.getInt32(i, true)
        : key8(dv.getInt32(i, true), dv.getInt32(i + 4, true));
  /** The patterns ids[from..] that fit in the buffer (at least one; all of them with `all`): the end. */
  const chunkEnd = (from: number): number => {
    if (all) return ids.length;
    let size = 0;
    let to = from;
    while (to < ids.length && (to === from || size + length[ids[to]!]! <= CHUNK)) size += length[ids[to++]!]!;
    return to;
  };
  const load = (from: number): number => {
    const to = chunkEnd(from);
    if (!all) writeChunk(bytes, patterns, kinds, length, ids.subarray(from, to));
    return to;
  };
  /** Where pattern ids[k] starts in `bytes`: `at` is where it follows the chunk's patterns before it. */
  const baseOf = (k: number, at: number) => (all ? start[ids[k]!]! : at);
  // A small table on purpose: it stays in cache, and the grams worth avoiding are shared by many
  // patterns, far above the noise of slot collisions.
  const slot = (g: number) => (q === 2 ? g : Math.imul(g, GOLDEN) >>> 16);
  // Window w covers grams [w, w + stride); candidate k of a pattern with `last` + 1 windows:
  const choices = (last: number) => (last < WINDOW_CHOICES ? last + 1 : WINDOW_CHOICES);
  // Math.round(k * last / (WINDOW_CHOICES - 1)), in integers (the same for non-negative numbers).
  const choice = (last: number, k: number) =>
    last < WINDOW_CHOICES ? k : ((2 * k * last + WINDOW_CHOICES - 1) / (2 * (WINDOW_CHOICES - 1))) | 0;

  const counts = (reuse?.counts ?? tier.seed)?.slice() ?? (keep ? new Uint16Array(1 << 16) : sharedCounts(q));
  for (let from = 0; from < ids.length; ) {
    // A rebuild counts the new patterns only: a chunk of kept ones is not even read.
    let to = chunkEnd(from);
    let fresh = !reuse;
    for (let k = from; !fresh && k < to; k++) fresh = reuse!.from[ids[k]!]! < 0;
    if (!fresh) {
      from = to;
      continue;
    }
    to = load(from);
    for (let k = from, at = 0; k < to; at += length[ids[k++]!]!) {
      if (reuse && reuse.from[ids[k]!]! >= 0) continue;
      const base = baseOf(k, at);
      const last = length[ids[k]!]! - q + 1 - stride;
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
    from = to;
  }

  const entries = ids.length * stride;
  const gram = new Int32Array(entries);
  const pattern = new Int32Array(entries);
  for (let from = 0; from < ids.length; ) {
    const to = load(from);
    for (let k = from, at = 0; k < to; at += length[ids[k++]!]!) {
      const base = baseOf(k, at);
      const last = length[ids[k]!]! - q + 1 - stride;
      let best = Number.MAX_SAFE_INTEGER;
      const kept = reuse ? reuse.from[ids[k]!]! : -1;
      let bestAt = kept >= 0 ? reuse!.window[kept]! : 0;
      for (let c = 0; kept < 0 && c < choices(last); c++) {
        const w = choice(last, c);
        let sum = 0;
        for (let i = w; i < w + stride; i++) {
          sum +=
            counts[slot(gramAt(base + i))]! * 4 +
            COMMONNESS[bytes[base + i]!]! +
            (q !== 2 && wordLike(bytes, base + i) ? WORD_PENALTY : 0);
        }
        if (sum <= best) {
          best = sum;
          bestAt = w;
        }
      }
      window[ids[k]!] = bestAt;
      // Read here, where the bytes are at hand: reading each string's characters was a cache miss or two.
      head[ids[k]!] = dv.getInt32(base, true);
      ending[ids[k]!] = dv.getInt32(base + length[ids[k]!]! - 4, true);
      for (let i = 0; i < stride; i++) {
        const e = k * stride + i;
        gram[e] = gramAt(base + bestAt + i);
        pattern[e] = ids[k]!;
      }
    }
    from = to;
  }
  return { gram, pattern, counts };
}

/** The low bytes of the patterns `ids`, end to end, into `bytes` (twins as twins: see lowBytes). */
function writeChunk(
  bytes: Buffer,
  patterns: readonly string[],
  kinds: Uint8Array | null,
  length: Int32Array,
  ids: Int32Array,
): void {
  const parts: string[] = new Array(ids.length);
  for (let k = 0; k < ids.length; k++) parts[k] = patterns[ids[k]!]!;
  bytes.write(parts.join(""), 0, "latin1");
  for (let k = 0, at = 0; kinds && k < ids.length; at += length[ids[k++]!]!) {
    const kind = kinds[ids[k]!]!;
    if (kind !== 0) twinBytes(bytes, at, at + length[ids[k]!]!, kind);
  }
}

/**
 * The low bytes of every pattern, end to end (pattern p's from `start[p]`), as the scan reads the text:
 * written once for all tiers, a chunk of patterns joined at a time. Each tier joined and wrote its own
 * patterns twice (to count, then to choose) into one small buffer: a tenth of the build of a set of
 * non-ASCII values, whose two-byte chunks are converted on each write.
 */
function lowBytes(patterns: readonly string[], start: Int32Array, kinds: Uint8Array | null): Buffer {
  const count = patterns.length;
  // 8 more: an 8-gram read at a pattern's last gram stays inside the buffer.
  const bytes = Buffer.allocUnsafe(start[count]! + 8);
  for (let from = 0; from < count; ) {
    let to = from + 1;
    while (to < count && start[to + 1]! - start[from]! <= CHUNK) to++;
    bytes.write(
      to === from + 1 ? patterns[from]! : patterns.slice(from, to).join(""),
      start[from]!,
      "latin1",
    );
    from = to;
  }
  for (let p = 0; kinds && p < count; p++)
    if (kinds[p] !== 0) twinBytes(bytes, start[p]!, start[p + 1]!, kinds[p]!);
  return bytes;
}

/** Partitions of placeCells' first sort: 4 KiB of cursors, each one's cache line written in turn. */
const PART_BITS = 10;

/** Characters of patterns per chunk: joined by lowBytes, or written through selectEntries' buffer. */
const CHUNK = 1 << 16;
/**
 * The most characters of patterns written into one buffer for all tiers (`lowBytes`). Up to 6.6 Mi
 * (10,000 non-ASCII words, 3.5 Mi for 10,000 API keys), one write of each and no reading of the strings
 * again was a fifth to a third off the matcher; 10 Mi and 22 Mi of printable values were slower (1.08 and
 * 1.44) in fresh pages than written twice a chunk at a time through a buffer that stays in cache.
 */
const ALL_BYTES = 8 << 20;

export function buildMainTier(
  entries: Entries,
  head: Int32Array,
  window: Int32Array,
  stride: number,
  count: number,
): MainTier {
  const { gram, pattern } = entries;
  const { cells, start, cellShift, memberNext, groups } = placeCells(gram, pattern, head, window, stride);
  const filterShift = 32 - filterWordBits(groups);
  const filter = new Int32Array(1 << (32 - filterShift));
  addToFilter(filter, filterShift, cells, groups);
  return { count, filter, filterShift, cells, start, cellShift, memberNext, pattern, overlay: null };
}

/**
 * 12 to 24 bits per distinct gram, 4 of them set in one 32-bit word. With the loop in WebAssembly a
 * filter twice the size (8 to 16 bits before) costs the loop less than the passes it saves (0330).
 */
function filterWordBits(groups: number): number {
  return Math.min(FILTER_WORD_BITS_MAX, Math.max(6, Math.ceil(Math.log2((3 * groups) / 8 + 1))));
}

/** Whether a sample of gram `g` passes the tier's filter (the loops inline this test). */
export function passesFilter(tier: MainTier, g: number): boolean {
  const bits = filterBits(g);
  return (tier.filter[Math.imul(g, GOLDEN) >>> tier.filterShift]! & bits) === bits;
}

function addToFilter(filter: Int32Array, filterShift: number, cells: Int32Array, groups: number): void {
  for (let k = 0; k < 4 * groups; k += 4) {
    const g = cells[k]!;
    filter[Math.imul(g, GOLDEN) >>> filterShift]! |= filterBits(g);
  }
}

/**
 * The base tier with the overlay (decision 0360), or the base itself for an empty overlay: the base's
 * cells are shared, not copied; the filter is the base's copied with the overlay's grams added, or, when
 * the two together need a larger filter than the base's (an overlay many times a small tier), one of that
 * size with both.
 */
export function withOverlay(base: MainTier, overlay: MainTier): MainTier {
  if (overlay.count === 0) return base;
  const baseGroups = base.start[base.start.length - 1]!;
  const overlayGroups = overlay.start[overlay.start.length - 1]!;
  const wordBits = filterWordBits(baseGroups + overlayGroups);
  let filter: Int32Array;
  let filterShift = base.filterShift;
  if (wordBits > 32 - filterShift) {
    filterShift = 32 - wordBits;
    filter = new Int32Array(1 << wordBits);
    addToFilter(filter, filterShift, base.cells, baseGroups);
  } else {
    filter = base.filter.slice();
  }
  addToFilter(filter, filterShift, overlay.cells, overlayGroups);
  return { ...base, count: base.count + overlay.count, filter, filterShift, overlay };
}

/**
 * The cell table: entries with the same gram, offset and head form a group, one cell of 4 ints (gram,
 * offset, head, first member + 1), the others listed through `memberNext` (entry + 1). Cells are sorted
 * by the top `cellBits` bits of their gram's hash, `start[b]` the first cell of bucket b, about one entry
 * per bucket. The entries are placed by a counting sort (stable, so a gram's groups keep the order of
 * their entries), then each bucket is compacted in place, its entries merged into the groups before them.
 * An open-addressing table to find the groups was most of the build (0240): a cache and TLB miss per
 * entry in a table of some MiB, and its fresh pages.
 */
function placeCells(
  gram: Int32Array,
  pattern: Int32Array,
  head: Int32Array,
  window: Int32Array,
  stride: number,
): { cells: Int32Array; start: Int32Array; cellShift: number; memberNext: Int32Array; groups: number } {
  const count = gram.length;
  const cellBits = Math.max(4, Math.ceil(Math.log2(count + 1)));
  const cellShift = 32 - cellBits;
  const start = new Int32Array((1 << cellBits) + 1);
  let cells = sortCells(gram, pattern, head, window, stride, cellBits, start);
  // Entries processed in ascending order, each new member put first: a group's chain lists its
  // entries from the last one, as the chains always did. The grams are in the cells now: their array
  // is the chains' (fresh pages cost more than the fill). So `entries.gram` is zeros from here on: nothing
  // after this may read it (the short tier never comes here; `selections` keeps windows and counts).
  const memberNext = gram.fill(0);
  let probe = EMPTY;
  let groups = 0;
  let read = 0;
  for (let b = 0; b + 1 < start.length; b++) {
    const first = groups;
    const end = start[b + 1]!;
    start[b] = first;
    // A bucket holds about one entry, but a gram shared by many patterns at many offsets (percent
    // escapes of the same accented letters, sets built to defeat the rarity rule) gathers thousands, and
    // comparing each with all would be quadratic: those go through a small hash table of cells.
    const size = end - read;
    let mask = 0;
    let bits = 0;
    if (size > 16) {
      bits = Math.ceil(Math.log2(2 * size));
      mask = (1 << bits) - 1;
      if (probe.length <= mask) probe = new Int32Array(mask + 1);
      probe.fill(0, 0, mask + 1);
    }
    for (; read < end; read++) {
      const r = read << 2;
      const g = cells[r]!;
      const o = cells[r + 1]!;
      const hd = cells[r + 2]!;
      const e = cells[r + 3]!;
      let found = -1;
      if (mask !== 0) {
        // The top bits of the product: its low bits depend on the low bits of the key only.
        let at = Math.imul(g ^ Math.imul(o, MIX) ^ Math.imul(hd, 0x27d4eb2f), GOLDEN) >>> (32 - bits);
        for (; ; at++) {
          const c = probe[at & mask]! - 1;
          if (c < 0) {
            probe[at & mask] = groups + 1;
            break;
          }
          if (cells[c << 2] === g && cells[(c << 2) + 1] === o && cells[(c << 2) + 2] === hd) {
            found = c << 2;
            break;
          }
        }
      } else {
        for (let c = first << 2; c < groups << 2; c += 4) {
          if (cells[c] === g && cells[c + 1] === o && cells[c + 2] === hd) {
            found = c;
            break;
          }
        }
      }
      if (found >= 0) {
        memberNext[e - 1] = cells[found + 3]!;
        cells[found + 3] = e;
        continue;
      }
      const w = groups++ << 2;
      cells[w] = g;
      cells[w + 1] = o;
      cells[w + 2] = hd;
      cells[w + 3] = e;
    }
  }
  start[start.length - 1] = groups;
  // Many shared groups leave the tail unused: copied to size when that saves an eighth or more.
  if (8 * groups < 7 * count) cells = cells.slice(0, 4 * groups);
  return { cells, start, cellShift, memberNext, groups };
}

/**
 * placeCells' entries as cells (gram, offset, head, entry + 1), sorted by bucket: `start[b]` is set to
 * bucket b's first cell. Stable, so a gram's entries keep their order.
 */
function sortCells(
  gram: Int32Array,
  pattern: Int32Array,
  head: Int32Array,
  window: Int32Array,
  stride: number,
  cellBits: number,
  start: Int32Array,
): Int32Array {
  const count = gram.length;
  const cellShift = 32 - cellBits;
  const cells = new Int32Array(4 * count);
  // Two stable counting sorts: by the top PART_BITS bits of the bucket into partitions, then each
  // partition (a few thousand entries, in cache) by its buckets. One sort over all 2^cellBits buckets
  // counted and wrote at random over arrays of some MiB, a cache and TLB miss per entry: most of the
  // placement of a printable or non-ASCII set's million entries.
  const partBits = Math.min(cellBits, PART_BITS);
  const partShift = 32 - partBits;
  const part = new Int32Array((1 << partBits) + 1);
  for (let e = 0; e < count; e++) part[(Math.imul(gram[e]!, GOLDEN) >>> partShift) + 1]!++;
  for (let p = 1; p < part.length; p++) part[p]! += part[p - 1]!;
  const cursor = part.slice(0, 1 << partBits);
  // i = e % stride, the entry's place in its pattern's window.
  for (let e = 0, i = 0; e < count; e++, i = i + 1 === stride ? 0 : i + 1) {
    const k = cursor[Math.imul(gram[e]!, GOLDEN) >>> partShift]!++ << 2;
    const p = pattern[e]!;
    cells[k] = gram[e]!;
    cells[k + 1] = window[p]! + i;
    cells[k + 2] = head[p]!;
    cells[k + 3] = e + 1;
  }
  const fineBits = cellBits - partBits;
  const local = new Int32Array((1 << fineBits) + 1);
  let scratch = EMPTY;
  for (let p = 0; p < 1 << partBits; p++) {
    const lo = part[p]!;
    const hi = part[p + 1]!;
    const b0 = p << fineBits;
    if (hi === lo) {
      start.fill(lo, b0, b0 + (1 << fineBits));
      continue;
    }
    if (scratch.length < (hi - lo) << 2) scratch = new Int32Array(Math.max(1024, 2 * ((hi - lo) << 2)));
    scratch.set(cells.subarray(lo << 2, hi << 2));
    local.fill(0);
    const n = hi - lo;
    for (let r = 0; r < n; r++) local[(Math.imul(scratch[r << 2]!, GOLDEN) >>> cellShift) - b0 + 1]!++;
    local[0] = lo;
    for (let i = 1; i < local.length; i++) local[i]! += local[i - 1]!;
    start.set(local.subarray(0, 1 << fineBits), b0);
    for (let r = 0; r < n; r++) {
      const x = r << 2;
      const k = local[(Math.imul(scratch[x]!, GOLDEN) >>> cellShift) - b0]!++ << 2;
      cells[k] = scratch[x]!;
      cells[k + 1] = scratch[x + 1]!;
      cells[k + 2] = scratch[x + 2]!;
      cells[k + 3] = scratch[x + 3]!;
    }
  }
  start[1 << cellBits] = count;
  return cells;
}

export function buildShortTier(
  entries: Entries,
  head: Int32Array,
  window: Int32Array,
  stride: number,
  ids: Int32Array,
): ShortTier {
  const { gram, pattern } = entries;
  // Offsets stay below 4: a short pattern has at most 5 characters, so its bigrams start at 0 to 3
  // (shortHits tests exactly those four offsets without a branch).
  const offsets = new Uint8Array(1 << 16);
  for (let e = 0; e < gram.length; e++) offsets[gram[e]!]! |= 1 << (window[pattern[e]!]! + (e % stride));
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
  const heads = new Int32Array(1 << (HEAD_BITS - 5));
  for (const p of ids) {
    const h = Math.imul(head[p]!, GOLDEN) >>> (32 - HEAD_BITS);
    heads[h >>> 5]! |= 1 << (h & 31);
  }
  return { count: ids.length, offsets, heads, headShift, headFirst, headNext, headGram, headPattern };
}

/** Bits of the short tier's head set: 64 Ki bits (8 KiB) for at most a few thousand short patterns. */
const HEAD_BITS = 16;

/** 1 if the 4-gram `g` may be the first 4 characters of a short pattern, else 0. */
function isHead(heads: Int32Array, g: number): number {
  const h = Math.imul(g, GOLDEN) >>> (32 - HEAD_BITS);
  return (heads[h >>> 5]! >>> (h & 31)) & 1;
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
    // A dead pattern of a layered rebuild (decision 0360).
    if (s === "") continue;
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

/**
 * Type feedback for every site of the scan before the first long one. The first call of `sample` in a
 * process runs long enough to be compiled mid-loop (on-stack replacement) before V8 has allocated its
 * feedback, so the code around the loop had none; the compiled function then left at that code on every
 * block (64 times a MiB) for the first two or three scans of 1 MiB (`--trace-deopt`: "insufficient type
 * feedback"). A few scans of a short text through all three tiers do it, and two of a text of three
 * blocks for the branch only a long text takes (below); run before the first scan of a block or more, not
 * at load (5 to 10 ms of CPU on the benchmark machine, which start-up need not pay).
 */
let warmUpMatcher: Matcher | null = null;
function warmUp(): void {
  // Kept for the process's life (a few KiB), and so are its hidden classes, which every matcher's objects
  // share: when the last object of a class is collected the class goes too, and with it the compiled
  // code that checked for it (`--trace-deopt`: "weak objects"). Between two builds with no matcher
  // alive, the scan's compiled functions were thrown away that way and compiled again during the next
  // first scan (decision 0390). Set first: the scans below come back through `ranges`.
  const matcher = createMatcher({
    patterns: ["a1b2", "abcdef1", "0123456789abcdefgh", "q7r8"],
    tails: [null, null, ["Q==", "Q"], null],
    values: [],
    firsts: [0],
  });
  warmUpMatcher = matcher;
  // A short pattern that starts one character before a block, found from a sample in that block. Only a
  // text of two blocks or more reaches that branch of `shortHits` (a gram read from the string); without
  // feedback there, its optimized code left for the interpreter in the first long scan that took it, then
  // waited to be compiled again: that scan took 2 to 6 times the steady one in most processes
  // (`--trace-deopt`: "Insufficient type feedback for call", decision 0390). At this matcher's stride (3)
  // the first sample of the second block is its third character, of the third block its second: the
  // pattern across the third block's start is the one found that way; the one across the second's is
  // there in case the stride changes. Scanned once V8 keeps feedback for `shortHits` (not in its first
  // calls), and once more after it is compiled.
  const gap = " ".repeat(BLOCK - 4);
  const long = `${gap}   q7r8${gap}q7r8   `;
  const text = "x a1b2 y abcdef1 z 0123456789abcdefghQ== w a1b2a1b2 ".repeat(4);
  for (let i = 0; i < 32; i++) {
    matcher.ranges(text);
    if (i === 12 || i === 31) matcher.ranges(long);
  }
}
