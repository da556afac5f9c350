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

function classify(code: string | undefined): {
  status: number;
  text: string;
  code: ErrorCode;
  message: string;
} {
  if (code === "HPE_HEADER_OVERFLOW")
    return {
      status: 431,
      text: "Request Header Fields Too Large",
      code: "invalid_request",
      message: "the request headers are larger than the server accepts",
    };
  if (code === "ERR_HTTP_REQUEST_TIMEOUT")
    return {
      status: 408,
      text: "Request Timeout",
      code: "invalid_request",
      message: "the request took too long",
    };
  return {
    status: 400,
    text: "Bad Request",
    code: "invalid_request",
    message: "the request could not be parsed",
  };
}

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
