/**
 * A refused body (413) is read to its end and discarded before the answer goes out, up to a bound: a client
 * that writes the whole body before it reads (Node's fetch, most HTTP libraries) would otherwise meet a
 * closed socket (EPIPE) instead of the 413 and its error shape.
 */
import type { IncomingMessage } from "node:http";

export interface DrainLimits {
  /** Bytes read past the refusal before giving up and closing. */
  maxBytes: number;
  /** Time spent reading before giving up and closing. */
  maxMs: number;
}

/** Resolves when the request has ended or a limit is reached; never rejects. */
export function drainRequest(request: IncomingMessage, limits: DrainLimits): Promise<void> {
  if (request.complete || request.readableEnded || request.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let read = 0;
    const finish = () => {
      clearTimeout(timer);
      request.off("data", onData);
      request.off("end", finish);
      request.off("error", finish);
      request.off("close", finish);
      if (!request.readableEnded) request.pause();
      resolve();
    };
    const onData = (chunk: Buffer) => {
      read += chunk.length;
      if (read > limits.maxBytes) finish();
    };
    const timer = setTimeout(finish, limits.maxMs);
    request.on("data", onData);
    request.on("end", finish);
    request.on("error", finish);
    request.on("close", finish);
    request.resume();
  });
}
