/** Test support: calling a Cloakroom server over HTTP and reading its answer loosely (text and parsed JSON). */

export interface TestResponse {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely and assert on them
  body: any;
}

/** Reads an answer: its text, and its JSON body (undefined when empty or not JSON). */
export async function readTestResponse(res: Response): Promise<TestResponse> {
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, text, body: parsed };
}

/**
 * One API call to the server at `url` (a `cloakroom serve` process, say): a bearer token and a JSON body if
 * given; with `timeoutMs`, a call that takes longer is aborted (the promise rejects).
 */
export async function callServer(
  url: string,
  method: string,
  path: string,
  token?: string,
  body?: unknown,
  options: { timeoutMs?: number } = {},
): Promise<TestResponse> {
  const res = await fetch(url + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    ...(options.timeoutMs !== undefined ? { signal: AbortSignal.timeout(options.timeoutMs) } : {}),
  });
  return readTestResponse(res);
}
