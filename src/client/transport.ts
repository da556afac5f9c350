/**
 * How the client talks to the server: one JSON request over fetch, with the token, a timeout, and the
 * server's error shape turned into CloakroomApiError (never quoting a body it does not recognize).
 */
import type { ErrorBody } from "./types.js";

/** The server answered with an error (SPEC "Bad input"). The message never contains a value. */
export class CloakroomApiError extends Error {
  override readonly name = "CloakroomApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** The server could not be reached, or answered something that is not Cloakroom's API. */
export class CloakroomNetworkError extends Error {
  override readonly name = "CloakroomNetworkError";
  constructor(
    message: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface ClientOptions {
  /** The server's base URL, e.g. `http://127.0.0.1:8787` (a trailing slash or `/v1` is fine). */
  baseUrl: string;
  /** API token or session token, sent as `Authorization: Bearer <token>`. */
  token?: string | undefined;
  /** Defaults to the global fetch (Node 20+, browsers). */
  fetch?: typeof fetch;
  /** Extra headers on every request (e.g. a User-Agent). */
  headers?: Record<string, string>;
  /** Gives up on a request after this long (a CloakroomNetworkError); no limit by default. */
  timeoutMs?: number;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  signal?: AbortSignal;
}

export interface Transport {
  baseUrl: string;
  token: string | undefined;
  request<T>(method: string, path: string, req?: RequestOptions): Promise<T>;
}

export function createTransport(options: ClientOptions): Transport {
  const baseUrl = normalizeBaseUrl(options.baseUrl);
  const doFetch = options.fetch ?? globalThis.fetch;
  if (typeof doFetch !== "function") throw new Error("no fetch implementation: pass options.fetch");
  const token = options.token || undefined;

  async function request<T>(method: string, path: string, req: RequestOptions = {}): Promise<T> {
    const url = new URL(baseUrl + path);
    for (const [k, v] of Object.entries(req.query ?? {})) {
      if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
    }
    const headers: Record<string, string> = { accept: "application/json", ...options.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (req.body !== undefined) {
      body = JSON.stringify(req.body);
      headers["content-type"] = "application/json";
    }
    let res: Response;
    const timeout = options.timeoutMs ? AbortSignal.timeout(options.timeoutMs) : undefined;
    const signal = timeout && req.signal ? anySignal([timeout, req.signal]) : (timeout ?? req.signal ?? null);
    try {
      res = await doFetch(url, { method, headers, body, signal });
    } catch (error) {
      const why = timeout?.aborted ? `no answer within ${options.timeoutMs} ms` : describeFetchError(error);
      throw new CloakroomNetworkError(`cannot reach ${baseUrl}: ${why}`, url.href, { cause: error });
    }
    let text: string;
    try {
      text = await res.text();
    } catch (error) {
      throw new CloakroomNetworkError(
        `the connection to ${baseUrl} broke: ${describeFetchError(error)}`,
        url.href,
        { cause: error },
      );
    }
    let parsed: unknown;
    if (text !== "") {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) throw toApiError(res.status, parsed);
    if (text !== "" && parsed === undefined) {
      throw new CloakroomNetworkError(
        `${baseUrl} answered ${res.status} with something that is not JSON; is it a Cloakroom server?`,
        url.href,
      );
    }
    return parsed as T;
  }

  return { baseUrl, token, request };
}

function normalizeBaseUrl(raw: string): string {
  let url: URL;
  try {
    // In a browser (the console) a relative base such as "" or "/" means the page's own server.
    const page = (globalThis as { location?: { href?: string } }).location?.href;
    url = page ? new URL(raw, page) : new URL(raw);
  } catch {
    throw new CloakroomNetworkError(`not a URL: ${JSON.stringify(raw)}`, raw);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new CloakroomNetworkError(`the server URL must start with http:// or https://`, raw);
  }
  // Credentials in the URL would be sent nowhere useful and end up in config files and messages.
  url.username = "";
  url.password = "";
  url.search = "";
  url.hash = "";
  return url.href.replace(/\/+$/, "").replace(/\/v1$/, "");
}

function toApiError(status: number, body: unknown): CloakroomApiError {
  const err = (body as Partial<ErrorBody> | undefined)?.error;
  if (err && typeof err === "object" && typeof err.code === "string") {
    const message = typeof err.message === "string" ? err.message : err.code;
    const details =
      err.details && typeof err.details === "object" ? (err.details as Record<string, unknown>) : undefined;
    return new CloakroomApiError(status, err.code, message, details);
  }
  // Not Cloakroom's error shape (a proxy's page, say): report the status, never the body.
  return new CloakroomApiError(status, fallbackCode(status), `the server answered HTTP ${status}`);
}

function fallbackCode(status: number): string {
  switch (status) {
    case 400:
      return "invalid_request";
    case 401:
      return "unauthenticated";
    case 403:
      return "forbidden";
    case 404:
      return "not_found";
    case 413:
      return "payload_too_large";
    case 429:
      return "rate_limited";
    default:
      return status >= 500 ? "server_error" : "http_error";
  }
}

/** AbortSignal.any exists from Node 20.3; this does the same for the two signals the client combines. */
function anySignal(signals: AbortSignal[]): AbortSignal {
  const controller = new AbortController();
  for (const s of signals) {
    if (s.aborted) {
      controller.abort(s.reason);
      break;
    }
    s.addEventListener("abort", () => controller.abort(s.reason), { once: true });
  }
  return controller.signal;
}

function describeFetchError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (cause && typeof cause.code === "string") return cause.code;
  if (error instanceof Error && error.name === "AbortError") return "aborted";
  if (cause && typeof cause.message === "string") return cause.message;
  return error instanceof Error ? error.message : String(error);
}
