/**
 * The matcher's hot loop in WebAssembly (decision 0330): the same samples, filters and pass lists as
 * `sample` in matcher.ts, which stays for the scans that do not come here. The JavaScript loop kept bounds
 * checks and typed-array loads V8 could not remove; compiled from `wasm/sample.wat`, the loop costs about
 * half. One module and one memory per thread, like the JavaScript scan's buffers (a scan runs from start to
 * end without yielding). The memory holds the block's bytes and the pass lists, which the matcher's
 * examination reads in place, and the tables of the matchers that scanned there (`wasmFor`): each is
 * copied once it pays, and stays while there is room, so the redactors of several organizations whose
 * runs take turns each find their own (decision 0405).
 *
 * Byte addresses (the first four fixed in wasm/sample.wat):
 *   0       FILTER_MASKS (2,048 ints)          8192    the three pass counts
 *   16384   the block (BLOCK + 16 bytes)       49152   short passes, 114688 mid, 180224 long (BLOCK ints)
 *   245760  the matchers' tables: for each, the short tier's offsets (64 KiB), the mid tier's filter and
 *           the long tier's, placed one after another (`place`)
 *
 * The memory is made large enough for the largest tables, and never grows (decision 0375):
 * growing detaches its `ArrayBuffer`, and the first detach in a process invalidates a V8 protector that
 * all optimized typed-array code relies on. Every such function (the scan's and the build's) was then
 * deoptimized at once, in the first scan of the first large matcher, and compiled again with checks for
 * detachment, for as long as the process lives. Pages the filters never reach are never touched, so
 * they cost address space, not memory.
 */
import { SAMPLE_WASM } from "./wasm/sample-bytes.js";

const COUNTS_AT = 8192;
const BLOCK_AT = 16384;
const SHORT_OUT_AT = 49152;
const MID_OUT_AT = 114688;
const LONG_OUT_AT = 180224;
const TABLES_AT = 245760;
const PAGE = 65536;
/** A filter has at most 2 ** FILTER_WORD_BITS_MAX ints (matcher.ts `filterWordBits`). */
export const FILTER_WORD_BITS_MAX = 20;
/** Room for the tables: as much as the largest take (the offsets and two filters at their largest). */
const TABLE_ROOM = PAGE + 2 * 4 * 2 ** FILTER_WORD_BITS_MAX;
const MEMORY_PAGES = Math.ceil((TABLES_AT + TABLE_ROOM) / PAGE);
/**
 * The most matchers whose tables are kept: the tables of a small set are a few hundred bytes, and each
 * kept matcher is an entry in a map, whether it still lives or not.
 */
const MAX_PLACED = 256;
/** The largest block: a pass list holds this many positions. */
const BLOCK_ROOM = (MID_OUT_AT - SHORT_OUT_AT) / 4;

/** The tables of a matcher's tiers the loop reads: see ShortTier and MainTier in matcher.ts. */
export interface LoopTables {
  short: { count: number; offsets: Uint8Array };
  mid: { count: number; filter: Int32Array; filterShift: number };
  long: { filter: Int32Array; filterShift: number };
}

export interface WasmScan {
  /** Samples the block from `from` to `last` (see matcher.ts `sample`); the counts land in `counts`. */
  sample(from: number, last: number, stride: number, tables: LoopTables): number;
  bytes: Buffer;
  view: DataView;
  passed: readonly [Int32Array, Int32Array, Int32Array];
  counts: Int32Array;
}

/** The little of the WebAssembly API used here: the project's type libraries (ES2023, node) lack it. */
interface Memory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number }) => Memory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

type SampleExport = (
  from: number,
  last: number,
  stride: number,
  flags: number,
  shortAt: number,
  midAt: number,
  midShift: number,
  longAt: number,
  longShift: number,
) => number;

/** Where the loop finds a matcher's tables. */
interface Addresses {
  shortAt: number;
  midAt: number;
  longAt: number;
}

/** A matcher's tables in the memory: `size` bytes from `shortAt`. */
interface Placed extends Addresses {
  size: number;
}

interface State extends WasmScan, Addresses {
  memory: Memory;
  block: number;
  /** The matcher whose tables the next scan reads (a number, so the memory keeps no matcher alive). */
  owner: number;
  /** The matchers whose tables are in memory, and where. */
  placed: Map<number, Placed>;
  /** Where the next matcher's tables go. */
  top: number;
  /** The end of the tables' pages written so far: past it, a page is a fresh one (a page fault). */
  touched: number;
  /** How many times tables were copied in (for tests). */
  copies: number;
}

let state: State | null | undefined;

/**
 * Which loop scans: "auto" (WebAssembly where it loaded and pays), or one of them always, for the tests
 * that hold both loops to the naive search.
 */
let mode: "auto" | "wasm" | "js" = "auto";
export function useScanLoop(loop: "auto" | "wasm" | "js"): void {
  mode = loop;
}

/** For tests: whose tables the last WebAssembly scan read (0: none yet, or no WebAssembly). */
export function tablesOwner(): number {
  return state?.owner ?? 0;
}

/** For tests: how many times a matcher's tables were copied into the memory. */
export function tableCopies(): number {
  return state?.copies ?? 0;
}

/** For tests: how many matchers' tables are kept in the memory. */
export function tablesPlaced(): number {
  return state?.placed.size ?? 0;
}

/** For tests: how many bytes of the tables' room have been written to (touched pages). */
export function tablesTouched(): number {
  return state ? state.touched - TABLES_AT : 0;
}

/**
 * The thread's WebAssembly scan set to read `owner`'s tables, or null when the JavaScript loop should
 * scan: WebAssembly is unavailable (`--jitless`), or `owner`'s tables are not in memory and copying them
 * would not pay yet. The copy runs at 0.01 to 0.05 ns a byte and the loop saves 0.6 to 1 ns a character
 * (0330). `chars` is the text's length plus the characters `owner` scanned in JavaScript since its tables
 * were last in memory (the caller counts them, decision 0400): from a quarter as many characters as the
 * tables have bytes, the copy costs at most a third of what the JavaScript loop has already lost, even
 * when two matchers take turns. Counting the text alone, a matcher that only ever scanned short texts
 * (the run log's entries, 64 KiB at most) never had its tables copied, and scanned in JavaScript for ever.
 */
export function wasmFor(
  owner: number,
  chars: number,
  block: number,
  masks: Int32Array,
  tables: LoopTables,
): WasmScan | null {
  if (mode === "js") return null;
  if (state === undefined) state = instantiate(block, masks);
  const scan = state;
  if (scan === null || scan.owner === owner) return scan;
  const placed = scan.placed.get(owner);
  if (placed) return use(scan, owner, placed);
  const { short, mid, long } = tables;
  // An empty tier's tables are not read (the loop's flags), so they are neither copied nor given room.
  const shortBytes = short.count > 0 ? short.offsets.byteLength : 0;
  const midBytes = mid.count > 0 ? mid.filter.byteLength : 0;
  const bytes = shortBytes + midBytes + long.filter.byteLength;
  if (mode === "auto" && 4 * chars < bytes) return null;
  // Tables larger than FILTER_WORD_BITS_MAX allows (none are made) would be scanned in JavaScript.
  if (bytes > TABLE_ROOM) return null;
  const at = place(scan, bytes, shortBytes, midBytes);
  const buffer = scan.memory.buffer;
  if (shortBytes > 0) new Uint8Array(buffer, at.shortAt, shortBytes).set(short.offsets);
  if (midBytes > 0) new Int32Array(buffer, at.midAt, mid.filter.length).set(mid.filter);
  new Int32Array(buffer, at.longAt, long.filter.length).set(long.filter);
  scan.placed.set(owner, at);
  scan.copies++;
  return use(scan, owner, at);
}

/**
 * Room for `bytes` of tables. They go after the others while the pages there were written before. Where
 * they would reach fresh pages (a page fault costs 11 µs on the machine of 0405, 4 MiB of tables a
 * thousand faults), the others make way first but for the tables of the matcher that scanned last, moved
 * to the start: two redactors taking turns keep theirs, and a redactor rebuilt after a change, the usual
 * newcomer, takes the pages its predecessor's tables had. Past the room, nothing is kept. The same
 * happens past MAX_PLACED matchers. The caller copies the tables in and makes them the current ones
 * (`use`).
 */
function place(scan: State, bytes: number, shortBytes: number, midBytes: number): Placed {
  if (scan.top + bytes > scan.touched || scan.placed.size >= MAX_PLACED) {
    const last = scan.placed.get(scan.owner);
    scan.placed.clear();
    scan.top = TABLES_AT;
    if (last && last.size + bytes <= TABLE_ROOM) {
      const from = last.shortAt;
      const moved = {
        shortAt: TABLES_AT,
        midAt: TABLES_AT + (last.midAt - from),
        longAt: TABLES_AT + (last.longAt - from),
        size: last.size,
      };
      if (from !== TABLES_AT)
        new Uint8Array(scan.memory.buffer).copyWithin(TABLES_AT, from, from + last.size);
      scan.placed.set(scan.owner, moved);
      scan.top += last.size;
    }
  }
  const at = {
    shortAt: scan.top,
    midAt: scan.top + shortBytes,
    longAt: scan.top + shortBytes + midBytes,
    size: bytes,
  };
  scan.top += bytes;
  scan.touched = Math.max(scan.touched, scan.top);
  return at;
}

function use(scan: State, owner: number, { shortAt, midAt, longAt }: Addresses): State {
  scan.owner = owner;
  scan.shortAt = shortAt;
  scan.midAt = midAt;
  scan.longAt = longAt;
  return scan;
}

function instantiate(block: number, masks: Int32Array): State | null {
  if (!WA || block > BLOCK_ROOM || 4 * masks.length > COUNTS_AT) return null;
  let memory: Memory;
  let exports: Record<string, unknown>;
  try {
    memory = new WA.Memory({ initial: MEMORY_PAGES });
    exports = new WA.Instance(new WA.Module(Buffer.from(SAMPLE_WASM, "base64")), { env: { memory } }).exports;
  } catch {
    // A runtime that refuses to compile WebAssembly scans in JavaScript.
    return null;
  }
  new Int32Array(memory.buffer, 0, masks.length).set(masks);
  const sample = exports.sample as SampleExport;
  const scan: State = {
    memory,
    block,
    owner: 0,
    placed: new Map(),
    top: TABLES_AT,
    touched: TABLES_AT,
    copies: 0,
    shortAt: 0,
    midAt: 0,
    longAt: 0,
    ...views(memory, block),
    sample: (from, last, stride, { short, mid, long }) =>
      sample(
        from,
        last,
        stride,
        (short.count > 0 ? 1 : 0) | (mid.count > 0 ? 2 : 0),
        scan.shortAt,
        scan.midAt,
        mid.filterShift,
        scan.longAt,
        long.filterShift,
      ),
  };
  return scan;
}

function views(memory: Memory, block: number): Pick<WasmScan, "bytes" | "view" | "passed" | "counts"> {
  const buffer = memory.buffer;
  return {
    bytes: Buffer.from(buffer, BLOCK_AT, block + 16),
    view: new DataView(buffer, BLOCK_AT, block + 16),
    passed: [
      new Int32Array(buffer, SHORT_OUT_AT, block),
      new Int32Array(buffer, MID_OUT_AT, block),
      new Int32Array(buffer, LONG_OUT_AT, block),
    ],
    counts: new Int32Array(buffer, COUNTS_AT, 3),
  };
}
