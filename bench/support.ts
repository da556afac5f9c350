/**
 * Pieces several benches share. Not src/testing's sink: that one records every request for tests to read,
 * which over a bench's thousands of requests would measure its own growing array.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SENSITIVE } from "../src/redaction/index.js";

/**
 * A local HTTP target that reads each request to its end and answers 200 with `body` (JSON unless a
 * content type is given), keeping connections alive as a webhook target would. `onRequest` runs per request.
 */
export async function startBenchSink(
  body: string,
  options: { contentType?: string; onRequest?: () => void } = {},
): Promise<{ server: Server; url: string }> {
  const contentType = options.contentType ?? "application/json";
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      options.onRequest?.();
      res.writeHead(200, { "content-type": contentType });
      res.end(body);
    });
  });
  server.keepAliveTimeout = 10_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/**
 * Replaces the union of the hit ranges with the marker, as the redactor does with its own matches: how the
 * benches turn another matcher's hits (modern-ahocorasick) into an output comparable with ours.
 */
export function unionReplace(text: string, hits: { start: number; end: number }[]): string {
  hits.sort((x, y) => x.start - y.start);
  const parts: string[] = [];
  let cursor = 0;
  let open = -1;
  for (const { start, end } of hits) {
    if (open >= 0 && start <= open) {
      open = Math.max(open, end);
      continue;
    }
    if (open >= 0) cursor = open;
    parts.push(text.slice(cursor, start), SENSITIVE);
    open = end;
  }
  if (open >= 0) cursor = open;
  parts.push(text.slice(cursor));
  return parts.join("");
}

/** CPU time (user and system, ms) `fn` took in this process. */
export function cpuMs(fn: () => unknown): number {
  const before = process.cpuUsage();
  fn();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

export const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** The median of the ratios a[i] / b[i] of paired measurements. */
export const medianRatio = (a: readonly number[], b: readonly number[]) => median(a.map((x, i) => x / b[i]!));
