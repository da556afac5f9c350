/**
 * The JSON body parser: the bytes must be UTF-8 (a malformed sequence is refused, not silently replaced by
 * U+FFFD and stored), nesting is bounded before anything recursive touches the document (JSON.parse,
 * zod, JSON.stringify in the run store all recurse), then Fastify's secure parser (no __proto__).
 */
import { isUtf8 } from "node:buffer";
import type { FastifyInstance } from "fastify";
import { AppError } from "../errors.js";
import { jsonDepth, MAX_JSON_DEPTH } from "../json-depth.js";

export { jsonDepth, MAX_JSON_DEPTH } from "../json-depth.js";

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
