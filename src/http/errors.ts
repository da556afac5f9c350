/**
 * Maps every failure to SPEC's error shape `{"error": {"code", "message", "details"?}}`. Messages come from
 * AppError (names and ids only) or from fixed texts here; a framework or driver message is never echoed.
 */
import type { FastifyError } from "fastify";
import { z } from "zod";
import { AppError, type ErrorCode } from "../errors.js";
import { isDatabaseUnavailable } from "../store/failures.js";

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return { error: details ? { code, message, details } : { code, message } };
}

/** Zod issues as `details.fields`: one entry per bad field, path and a message without the input value. */
export function invalidRequest(where: "body" | "query" | "params", error: z.ZodError): AppError {
  const fields = error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join("."),
    message: issueMessage(issue),
  }));
  return new AppError("invalid_request", `invalid ${where}: ${fields.map((f) => f.field).join(", ")}`, {
    fields,
  });
}

function issueMessage(issue: z.core.$ZodIssue): string {
  // zod's own messages describe expectations ("expected string, received number") and never quote the
  // input, except custom ones, which are ours.
  return issue.message;
}

/** Classifies an error thrown anywhere in the request pipeline. `internal` means a bug: log it. */
export function toHttpError(error: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (error instanceof AppError) {
    return {
      status: error.status,
      body: errorBody(error.code, error.message, error.details),
      internal: false,
    };
  }
  if (isDatabaseUnavailable(error)) {
    // A lost or silent database connection, a timeout: the request may succeed if sent again.
    return client(503, "unavailable", "the database is unavailable; try again shortly");
  }
  const fe = error as Partial<FastifyError> & { status?: number };
  const status = fe.statusCode ?? fe.status;
  switch (fe.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return client(413, "payload_too_large", "request body is larger than 1 MiB");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return client(400, "invalid_request", "unsupported content type: send application/json");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return client(400, "invalid_request", "the JSON body is empty");
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return client(400, "invalid_request", "the body is not valid JSON");
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return client(400, "invalid_request", "the content length does not match the body");
  }
  if (error instanceof SyntaxError && status === 400) {
    // secure-json-parse: malformed JSON, or a __proto__ / constructor.prototype key.
    return client(400, "invalid_request", "the body is not valid JSON or contains a forbidden key");
  }
  if (typeof status === "number" && status >= 400 && status < 500) {
    if (status === 404) return client(404, "not_found", "not found");
    if (status === 413) return client(413, "payload_too_large", "request body is too large");
    if (status === 429) return client(429, "rate_limited", "too many requests");
    return client(400, "invalid_request", "the request could not be read");
  }
  return { status: 500, body: errorBody("internal", "internal error"), internal: true };
}

function client(status: number, code: ErrorCode, message: string) {
  return { status, body: errorBody(code, message), internal: false };
}
