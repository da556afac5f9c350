/**
 * Layered rebuilds (decision 0360). A change to one secret of 10,000 used to rebuild the whole matcher:
 * its forms and windows were reused (0285), but every index entry was placed again, 70 to 250 ms for the
 * sets with many forms. Here the rebuilt matcher keeps its base's tiers as they are and adds the new
 * patterns in a small *overlay* tier beside each; the patterns gone since the base stay in the base's
 * cells, dead (their length is DEAD, so no candidate fits). Only the overlay, the short tier and the
 * scanner's per-pattern arrays are built. Once the overlay and the dead patterns would pass a 32nd of the
 * base, or a new pattern does not fit the base's stride, the rebuild is a full one (matcher.ts) again.
 *
 * A dead pattern's entries stay in the base's cells until that full build: its grams and first 4 bytes
 * (low bytes, raw in the q = 4 tier, mixed into a hash in the q = 8 one). The cells are shared with the
 * matchers built before, which may still hold that value live (another scope), so they are not scrubbed.
 */
import type { PatternTable } from "./forms.js";
import { twinKinds } from "./forms.js";
import {
  buildMainTier,
  buildShortTier,
  DEAD,
  keepSelection,
  type Layers,
  largestStride,
  type Matcher,
  Scanner,
  type Space,
  scanningMatcher,
  selectEntries,
  selectionOf,
  tierOf,
  withOverlay,
} from "./matcher.js";

/**
 * Overlay and dead patterns, as a share of the base's, past which a rebuild is a full one. The scan of a
 * layered matcher costs more as they grow (10,000 values: 1.03-1.09 of a fresh matcher's after 100 changes
 * of one value, 1.05-1.13 after 300); a full build every 150 or so changes of a large set bounds it.
 */
const OVERLAY_SHARE = 32;

/**
 * Where each pattern of `table` is in the rebuilt matcher's space (see `Layers`): the kept ones where they
 * were, the `added` ones appended in order; and which of the previous space's patterns are still there.
 */
interface Diff {
  toSpace: Int32Array;
  added: number[];
  alive: Uint8Array;
}

function diff(table: PatternTable, reused: Int32Array, before: Layers): Diff {
  const size = before.space.patterns.length;
  const toSpace = new Int32Array(table.patterns.length);
  const alive = new Uint8Array(size);
  const added: number[] = [];
  const prior = before.toSpace;
  for (let p = 0; p < toSpace.length; p++) {
    const r = reused[p]!;
    if (r < 0) {
      toSpace[p] = size + added.length;
      added.push(p);
      continue;
    }
    const s = prior ? prior[r]! : r;
    toSpace[p] = s;
    alive[s] = 1;
  }
  return { toSpace, added, alive };
}

/**
 * The space of the rebuilt matcher: the previous one's arrays copied, its patterns that `table` no longer
 * has marked dead (their strings dropped, so an old value's forms are not kept alive), `added` appended.
 */
function nextSpace(table: PatternTable, before: Space, { added, alive }: Diff): Space {
  const size = before.patterns.length;
  const n = size + added.length;
  const patterns = before.patterns.slice();
  const tails = before.tails.slice();
  const length = new Int32Array(n);
  const extent = new Int32Array(n);
  const head = new Int32Array(n);
  const ending = before.ending && new Int32Array(n);
  length.set(before.length);
  extent.set(before.extent);
  head.set(before.head);
  if (ending) ending.set(before.ending!);
  const tableKinds = twinKinds(table);
  let kinds: Uint8Array | null = null;
  if (before.kinds || tableKinds) {
    kinds = new Uint8Array(n);
    if (before.kinds) kinds.set(before.kinds);
  }
  for (let s = 0; s < size; s++) {
    if (alive[s] === 1 || length[s] === DEAD) continue;
    patterns[s] = "";
    tails[s] = null;
    length[s] = DEAD;
    extent[s] = DEAD;
    head[s] = 0;
    if (ending) ending[s] = 0;
    if (kinds) kinds[s] = 0;
  }
  for (let i = 0; i < added.length; i++) {
    const p = added[i]!;
    const s = size + i;
    const pattern = table.patterns[p]!;
    const ts = table.tails[p] ?? null;
    patterns.push(pattern);
    tails.push(ts);
    length[s] = pattern.length;
    extent[s] = pattern.length + (ts ? ts[0]!.length : 0);
    if (kinds && tableKinds) kinds[s] = tableKinds[p]!;
  }
  return { patterns, tails, kinds, length, extent, head, ending };
}

/**
 * A matcher for `table` layered on `previous`'s base, or null when a full build is due: `previous` kept
 * no layers (under 1,024 patterns), the table was not built from `previous`'s, the overlay would grow past
 * its share, or a new pattern is too short for the base's stride.
 */
export function rebuildMatcher(table: PatternTable, previous: Matcher): Matcher | null {
  const before = selectionOf(previous);
  const reused = table.reused;
  if (!before || !reused) return null;
  const { stride, layers } = before;
  const d = diff(table, reused, layers);
  const size = layers.space.patterns.length;
  // Each kept pattern of the table has a slot of its own (`reused` and `toSpace` map one to one).
  const live = table.patterns.length - d.added.length;
  let overlaid = d.added.length;
  for (const s of layers.overlay) overlaid += d.alive[s]!;
  if (OVERLAY_SHARE * (overlaid + size - live) > layers.base) return null;
  for (const p of d.added) {
    const l = table.patterns[p]!.length;
    if (l < 4) throw new RangeError("a redaction pattern has fewer than 4 characters");
    if (stride > largestStride(l)) return null;
  }
  const space = nextSpace(table, layers.space, d);
  const n = space.patterns.length;
  const window = new Int32Array(n);
  window.set(before.window);
  // The short tier is rebuilt whole (its patterns are few); the overlay holds the other tiers' new ones.
  const ids: number[][] = [[], [], []];
  for (let s = 0; s < n; s++) {
    const l = space.length[s]!;
    if (l !== DEAD && tierOf(l, stride) === 0) ids[0]!.push(s);
  }
  const place = (s: number) => {
    const tier = tierOf(space.length[s]!, stride);
    if (tier !== 0) ids[tier]!.push(s);
  };
  for (const s of layers.overlay) if (space.length[s] !== DEAD) place(s);
  for (let s = size; s < n; s++) place(s);
  const [shortIds, midIds, longIds] = ids.map((list) => Int32Array.from(list)) as [
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  const select = (list: Int32Array, q: 2 | 4 | 8, tier: number) =>
    selectEntries({
      patterns: space.patterns,
      kinds: space.kinds,
      all: null,
      start: new Int32Array(0),
      length: space.length,
      ids: list,
      q,
      stride,
      window,
      head: space.head,
      // Null only in prototype/build.ts's spaces, which are never layered.
      ending: space.ending ?? new Int32Array(n),
      reuse: undefined,
      keep: true,
      seed: before.counts[tier]!,
    });
  const short = select(shortIds, 2, 0);
  const shortTier = buildShortTier(short, space.head, window, stride, shortIds);
  const midOverlay = buildMainTier(select(midIds, 4, 1), space.head, window, stride, midIds.length);
  const longOverlay = buildMainTier(select(longIds, 8, 2), space.head, window, stride, longIds.length);
  const tiers = [
    shortTier,
    withOverlay(layers.mid, midOverlay),
    withOverlay(layers.long, longOverlay),
  ] as const;
  let longest = 0;
  for (let s = 0; s < n; s++)
    if (space.length[s] !== DEAD && space.extent[s]! > longest) longest = space.extent[s]!;
  const matcher = scanningMatcher(new Scanner(space, stride, tiers), space, longest);
  const overlay = new Int32Array(midIds.length + longIds.length);
  overlay.set(midIds);
  overlay.set(longIds, midIds.length);
  keepSelection(matcher, {
    stride,
    window,
    // The base's counts, without the overlay's grams (each overlay counts them into a copy): the next
    // full build chooses the windows of the patterns new since the base by them, a heuristic (0285).
    counts: before.counts,
    layers: { ...layers, space, toSpace: d.toSpace, overlay },
  });
  return matcher;
}
