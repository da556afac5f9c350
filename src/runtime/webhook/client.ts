import { readFileSync } from "node:fs";
import type { Agent, Dispatcher } from "undici";
import { isTargetForbidden } from "./errors.js";
import { createTargetGuard, guardConnector } from "./guard.js";
import { SOCKET_ERROR_TEXT } from "./network-errors.js";
import type { RenderedRequest } from "./template.js";

export interface DeliveryOptions {
  /** Covers connect, response headers and body together. Default 10 000 (SPEC X2). */
  timeoutMs?: number;
  /** Response body bytes kept; the rest is not read. Default 65 536. */
  maxResponseBytes?: number;
  allowPrivate: boolean;
  deliveryId: string;
  userAgent?: string;
}

export type DeliveryErrorCode =
  | "timeout"
  | "network_error"
  | "target_forbidden"
  | "redirect_refused"
  | "response_too_large";

export interface DeliveryResult {
  /** A 2xx answer. */
  ok: boolean;
  status?: number;
  headers?: Record<string, string>;
  /** UTF-8, at most maxResponseBytes of it, then "\n[truncated]". */
  body?: string;
  /** The body was cut at maxResponseBytes (the delivery itself still counts by its status). */
  bodyTruncated?: boolean;
  durationMs: number;
  error?: { code: DeliveryErrorCode; message: string };
  /** Worth another attempt: network errors, timeouts, 5xx, 429. */
  retryable: boolean;
}

export interface WebhookClient {
  deliver(req: RenderedRequest, o: Omit<DeliveryOptions, "allowPrivate">): Promise<DeliveryResult>;
  close(): Promise<void>;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
export const TRUNCATION_NOTE = "\n[truncated]";

/**
 * The connector's own limit only backs up the per-delivery AbortSignal (which also covers the connect),
 * for a caller that passes a longer timeout.
 */
const CONNECT_TIMEOUT_MS = 30_000;

/**
 * One pooled undici Agent per client: keep-alive connections are reused across deliveries to the same
 * origin. Every connection it opens passes the SSRF guard; a connection, once checked, keeps its address.
 */
export function createWebhookClient(opts: { allowPrivate: boolean; userAgent?: string }): WebhookClient {
  const guard = createTargetGuard({ allowPrivate: opts.allowPrivate });
  // undici is loaded on the first delivery, not at start-up: it is a tenth of the server's module loading
  // and a node that serves only the API never needs it (decision 0164).
  let pooled: Promise<{ agent: Agent; request: typeof import("undici").request }> | undefined;
  const undici = () =>
    (pooled ??= import("../../undici.js").then(({ Agent, buildConnector, request }) => ({
      agent: new Agent({
        connect: guardConnector(guard, buildConnector({ lookup: guard.lookup, timeout: CONNECT_TIMEOUT_MS })),
      }),
      request,
    })));
  const defaultUserAgent = opts.userAgent ?? `cloakroom/${packageVersion()}`;

  async function deliver(
    req: RenderedRequest,
    o: Omit<DeliveryOptions, "allowPrivate">,
  ): Promise<DeliveryResult> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = o.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);

    const headers: Record<string, string> = Object.create(null);
    for (const [name, value] of Object.entries(req.headers)) headers[name.toLowerCase()] = value;
    headers["x-cloakroom-delivery"] = o.deliveryId;
    headers["user-agent"] ??= o.userAgent ?? defaultUserAgent;

    let status: number | undefined;
    let responseHeaders: Record<string, string> | undefined;
    try {
      const { agent, request } = await undici();
      const response = await request(req.url, {
        dispatcher: agent,
        method: req.method as Dispatcher.HttpMethod,
        headers,
        body: req.body,
        signal: controller.signal,
      });
      status = response.statusCode;
      responseHeaders = flattenHeaders(response.headers);
      const { text, truncated } = await readLimited(response.body, maxBytes);
      const result: DeliveryResult = {
        ok: status >= 200 && status < 300,
        status,
        headers: responseHeaders,
        body: truncated ? text + TRUNCATION_NOTE : text,
        durationMs: elapsed(),
        retryable: status >= 500 || status === 429,
      };
      if (truncated) result.bodyTruncated = true;
      // 304 is an answer to a conditional request, not a redirect.
      if (status >= 300 && status < 400 && status !== 304) {
        result.error = {
          code: "redirect_refused",
          message: `the target answered ${status}; webhooks do not follow redirects`,
        };
      }
      return result;
    } catch (err) {
      const partial = { status, headers: responseHeaders, durationMs: elapsed(), ok: false };
      if (controller.signal.aborted || isTimeoutError(err)) {
        return {
          ...partial,
          error: { code: "timeout", message: `no complete answer within ${timeoutMs} ms` },
          retryable: true,
        };
      }
      if (isTargetForbidden(err)) {
        return { ...partial, error: { code: "target_forbidden", message: err.message }, retryable: false };
      }
      return { ...partial, error: networkError(err), retryable: !isInvalidArgument(err) };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    deliver,
    close: async () => {
      if (pooled) await (await pooled).agent.close();
    },
  };
}

/** Reads at most `maxBytes`, then destroys the stream so the rest is never read (nor the connection kept). */
async function readLimited(
  body: AsyncIterable<Buffer> & { destroy(): void },
  maxBytes: number,
): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of body) {
      const room = maxBytes - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        truncated = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (err) {
    body.destroy();
    throw err;
  }
  // Leaving the loop early has destroyed the stream, so undici drops that connection instead of draining it.
  return { text: Buffer.concat(chunks, size).toString("utf8"), truncated };
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat.push([name, Array.isArray(value) ? value.join(", ") : value]);
  }
  return Object.fromEntries(flat);
}

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

function isTimeoutError(err: unknown): boolean {
  const code = errorCode(err);
  return (
    code === "UND_ERR_CONNECT_TIMEOUT" ||
    code === "UND_ERR_HEADERS_TIMEOUT" ||
    code === "UND_ERR_BODY_TIMEOUT" ||
    code === "ETIMEDOUT"
  );
}

function isInvalidArgument(err: unknown): boolean {
  return errorCode(err) === "UND_ERR_INVALID_ARG";
}

const NETWORK_ERROR_TEXT: Record<string, string> = {
  ...SOCKET_ERROR_TEXT,
  EPIPE: "the connection was closed while sending",
  UND_ERR_SOCKET: "the connection was closed unexpectedly",
  UND_ERR_INVALID_ARG: "the request could not be sent as rendered",
};

/**
 * Built from the error's code only: a network error's own message may quote the host or URL, which a
 * template may have filled from a secret.
 */
function networkError(err: unknown): { code: "network_error"; message: string } {
  const code = errorCode(err);
  const text = (code && NETWORK_ERROR_TEXT[code]) ?? "the request failed";
  return { code: "network_error", message: code ? `${text} (${code})` : text };
}

/** The package's version for the User-Agent, from the nearest cloakroom package.json (src/ or dist/src/). */
function packageVersion(): string {
  let dir = new URL(".", import.meta.url);
  for (let depth = 0; depth < 6; depth++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL("package.json", dir), "utf8")) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === "cloakroom" && typeof pkg.version === "string") return pkg.version;
    } catch {
      // no package.json here; keep walking up
    }
    dir = new URL("..", dir);
  }
  return "unknown";
}
