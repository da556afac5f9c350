/**
 * Delivering a rendered request over HTTP (X2's delivery path, also a message template's webhook channel,
 * X5): S12's destination check on the request as the client sends it, the send through the webhook client
 * (SSRF guard after DNS, no redirects, timeout), and the attempt described as a run-log draft.
 */
import { type DeliveryResult, RenderError, type RenderedRequest } from "../webhook/index.js";
import { parseRetryAfter } from "./backoff.js";
import type { BoundSecret, DestinationCheck } from "./destination.js";
import type { RunLogEntry } from "./schema.js";

/** Shown in the logged request of every delivery (the webhook client sets it on the wire). */
export const DELIVERY_HEADER = "X-Cloakroom-Delivery";

export interface Deliverer {
  deliver(
    request: RenderedRequest,
    options: { timeoutMs?: number; maxResponseBytes?: number; deliveryId: string },
  ): Promise<DeliveryResult>;
}

/** A run-log entry before the executor adds who, when and how long, and redacts it. */
export type RunDraft = Omit<
  RunLogEntry,
  "id" | "consumer" | "event" | "startedAt" | "durationMs" | "attempts"
>;

/** What one attempt came to, before it becomes a run-log entry. */
export interface AttemptOutcome {
  draft: RunDraft;
  retryable: boolean;
  retryAfterMs?: number | undefined;
}

/** A template that does not render fails the attempt for good (another would render the same); else rethrows. */
export function renderFailure(error: unknown): AttemptOutcome {
  if (!(error instanceof RenderError)) throw error;
  return {
    draft: { status: "failure", error: { code: error.code, message: error.message } },
    retryable: false,
  };
}

export async function deliverRendered(
  webhook: Deliverer,
  checkDestination: DestinationCheck,
  rendered: RenderedRequest,
  run: { bound: readonly BoundSecret[]; deliveryId: string; timeoutMs: number },
): Promise<AttemptOutcome> {
  const request = {
    method: rendered.method,
    url: rendered.url,
    headers: { ...rendered.headers, [DELIVERY_HEADER]: run.deliveryId },
    body: rendered.body,
  };
  // S12, on the request as the client sends it, before it connects.
  checkDestination(rendered, run.bound);
  const result = await webhook.deliver(rendered, { timeoutMs: run.timeoutMs, deliveryId: run.deliveryId });
  const response =
    result.status !== undefined
      ? { status: result.status, headers: result.headers ?? {}, body: result.body ?? "" }
      : undefined;
  if (result.ok)
    return { draft: { status: "success", request, ...(response ? { response } : {}) }, retryable: false };
  const error = result.error ?? {
    code: "http_status",
    message: `the target answered HTTP ${result.status ?? "(none)"}`,
  };
  const retryAfterMs =
    result.status === 429 || result.status === 503
      ? parseRetryAfter(result.headers?.["retry-after"])
      : undefined;
  return {
    draft: { status: "failure", request, ...(response ? { response } : {}), error },
    retryable: result.retryable,
    retryAfterMs,
  };
}
