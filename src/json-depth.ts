/**
 * How deeply a JSON text nests objects and arrays, found by one linear scan without parsing. Everything
 * that walks a document recurses (JSON.parse, zod, JSON.stringify, the redactor's walk), so nesting is
 * bounded before any of them runs: on request bodies (http/json-body.ts) and on what a logic function
 * returns (runtime/sandbox/engine.ts).
 */

/** Objects and arrays nested deeper than this are refused. */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting in `text`; it stops counting once `limit` is passed. */
export function jsonDepth(text: string, limit = Number.POSITIVE_INFINITY): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}
