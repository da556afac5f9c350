/**
 * Requests Node's HTTP parser refuses before Fastify sees them (a header block over the limit, a malformed
 * request line). Fastify's default handler logs the whole parser error, whose `rawPacket` holds the request's
 * bytes (bearer token, cookie, body); this one logs the error code only and answers in SPEC's error shape.
 */
import type { Socket } from "node:net";
import type { FastifyBaseLogger } from "fastify";
import type { ErrorCode } from "../errors.js";
import { errorBody } from "./errors.js";

interface ParserError extends Error {
  code?: string;
}

interface ClientErrorAnswer {
  status: number;
  /** The status line's reason phrase. */
  text: string;
  code: ErrorCode;
  message: string;
}

const invalid = (status: number, text: string, message: string): ClientErrorAnswer => ({
  status,
  text,
  code: "invalid_request",
  message,
});

/** By the parser's error code; any other refusal is a plain 400. */
const ANSWERS = new Map<string | undefined, ClientErrorAnswer>([
  [
    "HPE_HEADER_OVERFLOW",
    invalid(431, "Request Header Fields Too Large", "the request headers are larger than the server accepts"),
  ],
  ["ERR_HTTP_REQUEST_TIMEOUT", invalid(408, "Request Timeout", "the request took too long")],
]);
const BAD_REQUEST = invalid(400, "Bad Request", "the request could not be parsed");

const classify = (code: string | undefined): ClientErrorAnswer => ANSWERS.get(code) ?? BAD_REQUEST;

/** A `clientErrorHandler` for Fastify: `this` is the Fastify instance, whose logger it uses. */
export function createClientErrorHandler(log: FastifyBaseLogger) {
  return (err: ParserError, socket: Socket): void => {
    if (err.code === "ECONNRESET" || socket.destroyed) return;
    const answer = classify(err.code);
    // The code only: the error object itself carries the raw request bytes.
    log.debug({ code: err.code, status: answer.status }, "client error");
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const body = JSON.stringify(errorBody(answer.code, answer.message));
    socket.end(
      `HTTP/1.1 ${answer.status} ${answer.text}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Content-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  };
}
