/**
 * Test support: a webhook target on 127.0.0.1 that records what it receives and answers what a test
 * scripts (by default 200). It can go down and come back on the same port, like a real target.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface SinkRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface SinkAnswer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Answers this long after the request arrived (a slow target). */
  delayMs?: number;
}

export interface Sink {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly requests: SinkRequest[];
  /** Scripts the answers; gets the request and how many came before it. */
  respond(answer: (request: SinkRequest, index: number) => SinkAnswer): void;
  /** Resolves once `count` requests have arrived in total. */
  waitFor(count: number, timeoutMs?: number): Promise<SinkRequest[]>;
  /** Stops listening (connections refused) until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function startSink(port = 0): Promise<Sink> {
  const requests: SinkRequest[] = [];
  let answer: (request: SinkRequest, index: number) => SinkAnswer = () => ({ status: 200, body: "ok" });
  let waiters: { count: number; resolve: () => void }[] = [];
  let server: Server | null = null;

  const listen = async (p: number): Promise<number> => {
    const s = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const request = {
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        };
        const index = requests.length;
        requests.push(request);
        const a = answer(request, index);
        const reply = () => {
          if (res.destroyed) return;
          res.writeHead(a.status, { "content-type": "text/plain", ...a.headers });
          res.end(a.body ?? "");
        };
        if (a.delayMs) setTimeout(reply, a.delayMs).unref();
        else reply();
        waiters = waiters.filter((w) => {
          if (requests.length < w.count) return true;
          w.resolve();
          return false;
        });
      });
    });
    s.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(p, "127.0.0.1", () => resolve());
    });
    server = s;
    return (s.address() as AddressInfo).port;
  };

  const port0 = await listen(port);
  const stop = async () => {
    const s = server;
    server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  return {
    url: `http://127.0.0.1:${port0}`,
    port: port0,
    requests,
    respond(fn) {
      answer = fn;
    },
    waitFor(count, timeoutMs = 10_000) {
      if (requests.length >= count) return Promise.resolve(requests);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`sink got ${requests.length} of ${count} requests in ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(requests);
          },
        });
      });
    },
    down: stop,
    async up() {
      if (!server) await listen(port0);
    },
    close: stop,
  };
}
