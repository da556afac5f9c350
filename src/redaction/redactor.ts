import { Transform, type TransformCallback } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { collectPatterns, expandPatterns, type PatternTable } from "./forms.js";
import { createMatcher, type Matcher, selectionOf } from "./matcher.js";
import { rebuildMatcher } from "./overlay.js";

/** What replaces each redacted range. It is never scanned again: `redact`'s output is final. */
export const SENSITIVE = "[[SENSITIVE]]";

export interface Redactor {
  /** Replaces every occurrence of every form of every value; overlapping or adjacent ones by one marker. */
  redact(text: string): string;
  /**
   * A Transform taking string or Buffer chunks (UTF-8, a character may be split between chunks) and
   * emitting strings, whose concatenation is exactly `redact` of the concatenated input.
   */
  createStream(): Transform;
  /**
   * Which of the values the redactor was built from occur in `text`, in any form: the ones `redact` would
   * hide there. A slow path for texts known to hold a match (the runner flags a run whose log holds a
   * secret it did not declare); `redact` itself never pays for it.
   */
  matchedValues(text: string): string[];
  /**
   * For a text cut short at its end: `redact`, and the end dropped from where it could be the beginning
   * of a form, so a cut never shows a value's prefix (`…sk_live_AAAA` of `sk_live_AAAAse…`).
   */
  redactCut(text: string): string;
}

/** Each redactor's searched strings and matcher, for a later build that passes it as `previous`. */
const builds = new WeakMap<Redactor, { table: PatternTable; matcher: Matcher }>();

/**
 * A redactor for `values`. `previous`, a redactor built before (the same secrets before a change),
 * lends the forms of the values both sets hold, so only the changed values' forms are computed.
 */
export function createRedactor(values: readonly string[], previous?: Redactor): Redactor {
  const before = previous ? builds.get(previous) : undefined;
  const table = collectPatterns(values, before?.table);
  // A change to a few values adds an overlay to the previous matcher's tiers (decision 0360).
  const matcher = (before && rebuildMatcher(table, before.matcher)) ?? createMatcher(table, before?.matcher);
  // Needed by this build only (a number per string).
  table.reused = undefined;
  let formsByValue: { value: string; forms: string[] }[] | null = null;
  const redactor: Redactor = {
    redact: (text) => applyRanges(text, matcher.ranges(text)),
    createStream: () => createRedactingStream(matcher),
    matchedValues(text) {
      const ranges = matcher.ranges(text);
      if (ranges.length === 0) return [];
      // Every occurrence lies inside a range, so each value's forms are looked for there only.
      formsByValue ??= [...new Set(values)].map((value) => ({
        value,
        forms: expandPatterns(collectPatterns([value])),
      }));
      const covered: string[] = [];
      for (let i = 0; i < ranges.length; i += 2) covered.push(text.slice(ranges[i], ranges[i + 1]));
      return formsByValue
        .filter(({ forms }) => forms.some((form) => covered.some((part) => part.includes(form))))
        .map(({ value }) => value);
    },
    redactCut: (text) => {
      let cut = matcher.liveFrom(text);
      if (cut > 0 && isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
      const ranges = matcher.ranges(text);
      let kept = 0;
      while (kept < ranges.length && ranges[kept]! < cut) kept += 2;
      // A match that starts before the cut and runs past it still ends in one marker.
      const end = kept > 0 && ranges[kept - 1]! > cut ? ranges[kept - 1]! : cut;
      return applyRanges(text.slice(0, end), ranges.slice(0, kept));
    },
  };
  builds.set(redactor, { table, matcher });
  return redactor;
}

/**
 * Whether the redactor's matcher was a layered rebuild of an earlier one's (decision 0360), not a full
 * build: for tests and benches, which must know which path they measured.
 */
export function isLayered(redactor: Redactor): boolean {
  const matcher = builds.get(redactor)?.matcher;
  return matcher !== undefined && (selectionOf(matcher)?.layers.toSpace ?? null) !== null;
}

/**
 * Texts from `OUTPUT_BUFFER_FROM` to `OUTPUT_BUFFER` characters (after redaction) are assembled in `output`,
 * made on first use. Below that the native calls cost more than the join saves (a short header with one
 * value: 1.5 µs against 1.1).
 */
const OUTPUT_BUFFER_FROM = 4096;
const OUTPUT_BUFFER = 1 << 21;
const OUTPUT_PIECE = 1 << 15;
let output: Buffer | null = null;

function applyRanges(text: string, ranges: readonly number[]): string {
  if (ranges.length === 0) return text;
  // ASCII text (the usual log) is assembled in a byte buffer shared by all redactors (the work is
  // synchronous): two to three times faster than joining the slices, which was a tenth of a redaction.
  // Other text, and text too short or too large for the buffer, is joined.
  const size = text.length + (ranges.length / 2) * SENSITIVE.length;
  if (size < OUTPUT_BUFFER_FROM || size > OUTPUT_BUFFER || Buffer.byteLength(text, "utf8") !== text.length) {
    return joinRanges(text, ranges);
  }
  output ??= Buffer.allocUnsafe(OUTPUT_BUFFER);
  let at = 0;
  let cursor = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    at += output.write(text.slice(cursor, ranges[i]), at, "latin1");
    at += output.write(SENSITIVE, at, "latin1");
    cursor = ranges[i + 1]!;
  }
  at += output.write(text.slice(cursor), at, "latin1");
  if (at <= OUTPUT_PIECE) return output.toString("latin1", 0, at);
  // Read back in pieces, joined as a rope: one string of a MiB goes to V8's large-object space, fresh
  // pages every time, and their page faults cost 3-4 ms per MiB on the benchmark machine, ten times the
  // scan. Pieces of 32 Ki characters are ordinary young objects (decision 0240).
  let result = "";
  for (let from = 0; from < at; from += OUTPUT_PIECE) {
    result += output.toString("latin1", from, Math.min(at, from + OUTPUT_PIECE));
  }
  return result;
}

function joinRanges(text: string, ranges: readonly number[]): string {
  const parts: string[] = [];
  let cursor = 0;
  for (let i = 0; i < ranges.length; i += 2) {
    parts.push(text.slice(cursor, ranges[i]), SENSITIVE);
    cursor = ranges[i + 1]!;
  }
  parts.push(text.slice(cursor));
  return parts.join("");
}

/**
 * Keeps the text not yet emitted in `pending` and rescans it whole on each chunk. Everything before the
 * first position where a match might still be growing (`liveFrom`) is final: every match starting there
 * is complete, hence found. When the output so far ends with a marker, `open` is set and `reach` says how
 * far into `pending` that marker's range runs (it may run past the cut); a range starting at or before
 * `reach` joins that marker instead of emitting another one.
 */
function createRedactingStream(matcher: Matcher): Transform {
  let decoder = new StringDecoder("utf8");
  let pending = "";
  let open = false;
  let reach = 0;

  const release = (final: boolean): string => {
    const text = pending;
    let cut = final ? text.length : matcher.liveFrom(text);
    // Never emit half of a surrogate pair: the other half may be the next chunk's first unit.
    if (!final && cut > 0 && isHighSurrogate(text.charCodeAt(cut - 1))) cut--;
    const ranges = matcher.ranges(text);
    const parts: string[] = [];
    let cursor = open ? reach : 0;
    for (let i = 0; i < ranges.length && ranges[i]! < cut; i += 2) {
      const start = ranges[i]!;
      const end = ranges[i + 1]!;
      if (open && start <= reach) {
        if (end > reach) reach = end;
      } else {
        parts.push(text.slice(cursor, start), SENSITIVE);
        open = true;
        reach = end;
      }
      cursor = reach;
    }
    if (cursor < cut) {
      parts.push(text.slice(cursor, cut));
      open = false;
    }
    pending = text.slice(cut);
    reach = open ? reach - cut : 0;
    return parts.join("");
  };

  return new Transform({
    decodeStrings: false,
    readableObjectMode: true,
    transform(chunk: unknown, encoding: BufferEncoding | "buffer", callback: TransformCallback) {
      if (typeof chunk === "string" && (encoding === "utf8" || encoding === "utf-8")) {
        // A string cannot continue a byte sequence; whatever bytes were left decode as they are.
        pending += decoder.end() + chunk;
        decoder = new StringDecoder("utf8");
      } else {
        const bytes = typeof chunk === "string" ? Buffer.from(chunk, encoding as BufferEncoding) : chunk;
        pending += decoder.write(bytes as Buffer);
      }
      const out = release(false);
      callback(null, out.length > 0 ? out : undefined);
    },
    flush(callback: TransformCallback) {
      pending += decoder.end();
      const out = release(true);
      callback(null, out.length > 0 ? out : undefined);
    },
  });
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}
