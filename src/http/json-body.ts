/**
 * The JSON body parser: the bytes must be UTF-8 (a malformed sequence is refused, not silently replaced by
 * U+FFFD and stored), nesting is bounded before anything recursive touches the document (JSON.parse,
 * zod, JSON.stringify in the run store all recurse), then Fastify's secure parser (no __proto__).
 */
import { isUtf8 } from "node:buffer";
import type { FastifyInstance } from "fastify";
import { AppError } from "../errors.js";

/** Objects and arrays nested deeper than this are refused with 400 (SPEC "Bad input"). */
export const MAX_JSON_DEPTH = 64;

/**
 * The deepest nesting of objects and arrays in `text`, counting brackets outside strings; it stops counting
 * as soon as `limit` is passed, so a hostile document costs one linear scan at most.
 */
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

export function tooDeep(): AppError {
  return new AppError(
    "invalid_request",
    `the body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`,
    {
      maxDepth: MAX_JSON_DEPTH,
    },
  );
}

export function installJsonParser(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const bytes = body as Buffer;
    if (!isUtf8(bytes)) {
      done(new AppError("invalid_request", "the body is not valid UTF-8"), undefined);
      return;
    }
    const text = bytes.toString("utf8");
    if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
      done(tooDeep(), undefined);
      return;
    }
    parse(request, text, done);
  });
}
