/**
 * An `http` step's request once its fields are resolved (SPEC X4, like X2's): the query joined to the
 * URL, header values checked, S12's destination check, then the webhook client (SSRF guard, no
 * redirects, timeout). Its output is `{status, headers, body}`, the body parsed when the answer is JSON.
 */

import type { ResolvedHttp } from "../../consumers/flow-fields.js";
import { RunError } from "../../errors.js";
import { DELIVERY_HEADER } from "../runner/delivery.js";
import type { BoundSecret, DestinationCheck } from "../runner/destination.js";
import type { RenderedRequest, WebhookClient } from "../webhook/index.js";
import type { StepOutcome } from "./types.js";

export const HTTP_STEP_TIMEOUT_MS = 10_000;
const BAD_HEADER_VALUE = /[\r\n\0]/;

export function toRequest(r: ResolvedHttp, bodyIsJson: boolean): RenderedRequest {
  let url: URL;
  try {
    url = new URL(r.url);
  } catch {
    throw new RunError("invalid_url", "request.url is not an absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new RunError("invalid_url", "request.url must be http or https");
  }
  for (const [k, v] of Object.entries(r.query)) url.searchParams.append(k, v);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(r.headers)) {
    if (BAD_HEADER_VALUE.test(value)) {
      throw new RunError("header_injection", `header ${name} would contain a line break or NUL`);
    }
    headers[name] = value;
  }
  if (bodyIsJson && !Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
    headers["Content-Type"] = "application/json";
  }
  return { method: r.method, url: url.toString(), headers, body: r.body };
}

export async function sendHttp(
  deps: { webhook: Pick<WebhookClient, "deliver">; checkDestination: DestinationCheck },
  request: RenderedRequest,
  bound: readonly BoundSecret[],
  deliveryId: string,
): Promise<StepOutcome> {
  const logged = { ...request, headers: { ...request.headers, [DELIVERY_HEADER]: deliveryId } };
  deps.checkDestination(request, bound);
  const result = await deps.webhook.deliver(request, { timeoutMs: HTTP_STEP_TIMEOUT_MS, deliveryId });
  if (result.status === undefined) {
    const error = result.error ?? { code: "http_error", message: "the request failed" };
    return { status: "failure", request: logged, error, retryable: result.retryable };
  }
  const headers = result.headers ?? {};
  const body = result.body ?? "";
  const response = { status: result.status, headers, body };
  const output = { status: result.status, headers, body: parseBody(body, headers, result.bodyTruncated) };
  if (result.ok) return { status: "success", request: logged, response, output, retryable: false };
  const error = result.error ?? {
    code: "http_status",
    message: `the target answered HTTP ${result.status}`,
  };
  return { status: "failure", request: logged, response, output, error, retryable: result.retryable };
}

function parseBody(body: string, headers: Record<string, string>, truncated?: boolean): unknown {
  const type = headers["content-type"] ?? "";
  if (truncated || !/\bjson\b/i.test(type)) return body;
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return body;
  }
}
