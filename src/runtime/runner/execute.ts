/**
 * One attempt of one consumer run: resolve the declared secrets, render and deliver the webhook (X2) or run
 * the function in the sandbox (X3), and describe what happened as a run-log entry, redacted (X6) before it
 * leaves this module. Nothing here writes to the database: the worker and the test endpoints decide where
 * the entry goes.
 */
import type { Consumer } from "../../consumers/schema.js";
import { RunError } from "../../errors.js";
import { redactDeep } from "../../redaction/index.js";
import { type SecretResolver, type SecretValue, sensitiveStrings } from "../../secrets/types.js";
import { newId } from "../../store/ids.js";
import {
  type DeliveryResult,
  RenderError,
  type RenderedRequest,
  renderWebhookRequest,
  type TemplateSecrets,
} from "../webhook/index.js";
import { parseRetryAfter } from "./backoff.js";
import type { RedactorCache } from "./redactors.js";
import type { RunEvent, RunLogEntry } from "./schema.js";

export const DELIVERY_HEADER = "X-Cloakroom-Delivery";

export interface ConsoleLine {
  level: string;
  message: string;
}

/** What the sandbox answers for one function run. */
export type FunctionResult =
  | { ok: true; output: unknown; console: ConsoleLine[]; durationMs: number }
  | { ok: false; error: { code: string; message: string }; console: ConsoleLine[]; durationMs: number };

/** The slices of the sandbox pool and the webhook client a run uses. */
export interface FunctionRunner {
  runFunction(input: {
    code: string;
    event: RunEvent;
    secrets: Record<string, SecretValue>;
    timeoutMs: number;
    memoryMb: number;
    /** The consumer's organization: sandbox threads are shared fairly between organizations. */
    tenant: string;
  }): Promise<FunctionResult>;
}

export interface Deliverer {
  deliver(
    request: RenderedRequest,
    options: { timeoutMs?: number; maxResponseBytes?: number; deliveryId: string },
  ): Promise<DeliveryResult>;
}

export interface ExecutorDeps {
  secrets: Pick<SecretResolver, "resolveForRun" | "redactionValues">;
  webhook: Deliverer;
  sandbox: FunctionRunner;
  redactors: RedactorCache;
  /** Told of a failure that is a bug or an outage, not the consumer's doing; gets no value. */
  onUnexpected?(consumer: Consumer, error: unknown): void;
}

export interface AttemptResult {
  /** Redacted: safe to store and to show. */
  entry: RunLogEntry;
  /** Another attempt may succeed (network error, timeout, 5xx, 429, a passing database fault). */
  retryable: boolean;
  /** The target's Retry-After, when it sent one. */
  retryAfterMs?: number | undefined;
}

export interface Executor {
  attempt(
    consumer: Consumer,
    event: RunEvent,
    run: { deliveryId: string; attempt: number },
  ): Promise<AttemptResult>;
  /** The redacted entry of a run that ends without an attempt (e.g. its last attempt was interrupted). */
  failed(
    consumer: Consumer,
    event: RunEvent,
    run: { attempt: number },
    error: { code: string; message: string },
  ): Promise<RunLogEntry>;
}

type Draft = Omit<RunLogEntry, "id" | "consumer" | "event" | "startedAt" | "durationMs" | "attempts">;

export function createExecutor(deps: ExecutorDeps): Executor {
  const { secrets } = deps;

  async function resolve(consumer: Consumer): Promise<Record<string, SecretValue>> {
    if (consumer.secrets.length === 0) return {};
    try {
      const { values } = await secrets.resolveForRun(
        { orgId: consumer.orgId, projectId: consumer.projectId },
        consumer.secrets,
        { kind: consumer.kind, id: consumer.id, name: consumer.name },
      );
      return values;
    } catch (error) {
      if (error instanceof RunError) throw error;
      throw new RunError(
        "secrets_unavailable",
        "the consumer's secrets could not be read; the run will be retried",
        true,
      );
    }
  }

  async function deliver(
    consumer: Extract<Consumer, { kind: "integration" }>,
    event: RunEvent,
    values: Record<string, SecretValue>,
    deliveryId: string,
  ): Promise<{ draft: Draft; retryable: boolean; retryAfterMs?: number | undefined }> {
    let rendered: RenderedRequest;
    try {
      rendered = renderWebhookRequest(consumer.request, { secrets: values as TemplateSecrets, event });
    } catch (error) {
      if (error instanceof RenderError) {
        return {
          draft: { status: "failure", error: { code: error.code, message: error.message } },
          retryable: false,
        };
      }
      throw error;
    }
    const request = {
      method: rendered.method,
      url: rendered.url,
      headers: { ...rendered.headers, [DELIVERY_HEADER]: deliveryId },
      body: rendered.body,
    };
    const result = await deps.webhook.deliver(rendered, { timeoutMs: consumer.timeoutMs, deliveryId });
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

  async function runFunction(
    consumer: Extract<Consumer, { kind: "logic" }>,
    event: RunEvent,
    values: Record<string, SecretValue>,
  ): Promise<{ draft: Draft; retryable: boolean }> {
    const result = await deps.sandbox.runFunction({
      code: consumer.code,
      event,
      secrets: values,
      timeoutMs: consumer.timeoutMs,
      memoryMb: consumer.memoryMb,
      tenant: consumer.orgId,
    });
    if (result.ok) {
      return {
        draft: { status: "success", console: result.console, output: result.output ?? null },
        retryable: false,
      };
    }
    return { draft: { status: "failure", console: result.console, error: result.error }, retryable: false };
  }

  // Decrypted values are cached objects, the same from run to run: their strings are listed once.
  const stringsOf = new WeakMap<object, string[]>();
  const sensitive = (value: SecretValue): string[] => {
    if (typeof value !== "object" || value === null) return sensitiveStrings(value);
    let strings = stringsOf.get(value);
    if (strings === undefined) {
      strings = sensitiveStrings(value);
      stringsOf.set(value, strings);
    }
    return strings;
  };

  /** Redacts with every live secret of the scope plus what this run resolved (X6). */
  async function redact(consumer: Consumer, entry: RunLogEntry, values: Record<string, SecretValue>) {
    const resolved = Object.values(values).flatMap(sensitive);
    let scopeValues: string[];
    try {
      scopeValues = await secrets.redactionValues({ orgId: consumer.orgId, projectId: consumer.projectId });
    } catch {
      // Without the full list nothing but the outcome may be kept: the details could hold any live value.
      const bare: RunLogEntry = {
        id: entry.id,
        consumer: entry.consumer,
        event: { ...entry.event, data: null },
        status: entry.status,
        startedAt: entry.startedAt,
        durationMs: entry.durationMs,
        attempts: entry.attempts,
        error: {
          code: entry.error?.code ?? "redaction_unavailable",
          message: "the run's details were dropped: the secrets to redact them with could not be read",
        },
      };
      return redactDeep(deps.redactors.get([], resolved), bare);
    }
    return redactDeep(deps.redactors.get(scopeValues, resolved), entry);
  }

  function unexpected(consumer: Consumer, error: unknown): { draft: Draft; retryable: boolean } {
    deps.onUnexpected?.(consumer, error);
    return {
      draft: { status: "failure", error: { code: "internal", message: "the run failed unexpectedly" } },
      retryable: true,
    };
  }

  return {
    async attempt(consumer, event, run) {
      const startedAt = new Date();
      const started = performance.now();
      let values: Record<string, SecretValue> = {};
      let outcome: { draft: Draft; retryable: boolean; retryAfterMs?: number | undefined };
      try {
        values = await resolve(consumer);
        outcome =
          consumer.kind === "integration"
            ? await deliver(consumer, event, values, run.deliveryId)
            : await runFunction(consumer, event, values);
      } catch (error) {
        outcome =
          error instanceof RunError
            ? {
                draft: { status: "failure", error: { code: error.code, message: error.message } },
                retryable: error.retryable,
              }
            : unexpected(consumer, error);
      }
      const entry: RunLogEntry = {
        id: newId(),
        consumer: { kind: consumer.kind, id: consumer.id, name: consumer.name },
        event,
        status: outcome.draft.status,
        startedAt: startedAt.toISOString(),
        durationMs: Math.round(performance.now() - started),
        attempts: run.attempt,
        ...withoutStatus(outcome.draft),
      };
      return {
        entry: await redact(consumer, entry, values),
        retryable: outcome.draft.status === "failure" && outcome.retryable,
        retryAfterMs: outcome.retryAfterMs,
      };
    },

    async failed(consumer, event, run, error) {
      const entry: RunLogEntry = {
        id: newId(),
        consumer: { kind: consumer.kind, id: consumer.id, name: consumer.name },
        event,
        status: "failure",
        startedAt: new Date().toISOString(),
        durationMs: 0,
        attempts: run.attempt,
        error,
      };
      return redact(consumer, entry, {});
    },
  };
}

function withoutStatus(draft: Draft): Omit<Draft, "status"> {
  const { status: _status, ...rest } = draft;
  return rest;
}
