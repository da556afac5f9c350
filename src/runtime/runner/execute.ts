/**
 * One attempt of one consumer run: resolve the declared secrets, render and deliver the webhook (X2) or run
 * the function in the sandbox (X3), and describe what happened as a run-log entry, redacted (X6) before it
 * leaves this module. Nothing here writes to the database: the worker and the test endpoints decide where
 * the entry goes.
 */
import type { Consumer } from "../../consumers/schema.js";
import { RunError } from "../../errors.js";
import type { SecretResolver, SecretValue } from "../../secrets/types.js";
import { newId } from "../../store/ids.js";
import { type FlowRunner, requireFlows } from "../flows/run.js";
import { noTemplateSender, type TemplateSender } from "../templates/send.js";
import { type RenderedRequest, renderWebhookRequest, type TemplateSecrets } from "../webhook/index.js";
import { createUsedNames, withUsedSpellings } from "./aliases.js";
import {
  type AttemptOutcome,
  type Deliverer,
  deliverRendered,
  type RunDraft,
  renderFailure,
} from "./delivery.js";
import { type BoundSecret, createDestinationCheck, type DestinationCheck } from "./destination.js";
import { createEntryRedaction } from "./entry-redaction.js";
import type { RedactorCache } from "./redactors.js";
import type { RunEvent, RunLogEntry } from "./schema.js";

export { DELIVERY_HEADER, type Deliverer } from "./delivery.js";

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

export interface ExecutorDeps {
  secrets: Pick<SecretResolver, "resolveForRun" | "redactionValues"> &
    Partial<Pick<SecretResolver, "recordUndeclaredMatch">>;
  webhook: Deliverer;
  sandbox: FunctionRunner;
  /** Message templates' channels (SPEC X5); a node without it fails template runs. */
  templates?: TemplateSender;
  redactors: RedactorCache;
  /** Runs flows (X4); without it a flow's run fails. */
  flows?: FlowRunner;
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

export function createExecutor(deps: ExecutorDeps): Executor {
  const { secrets } = deps;
  const usedNames = createUsedNames();
  const checkDestination = createDestinationCheck();
  const redact = createEntryRedaction(deps);

  /** What an attempt does, by the consumer's kind: the one place a kind of consumer is dispatched. */
  function perform(
    consumer: Consumer,
    event: RunEvent,
    values: Record<string, SecretValue>,
    bound: readonly BoundSecret[],
    deliveryId: string,
  ): Promise<AttemptOutcome> {
    switch (consumer.kind) {
      case "integration":
        return deliver(deps.webhook, checkDestination, consumer, event, values, bound, deliveryId);
      case "logic":
        return runFunction(deps.sandbox, consumer, event, values);
      case "template":
        return (deps.templates ?? noTemplateSender).send(consumer, event, { values, bound, deliveryId });
      case "flow":
        return requireFlows(deps.flows).run({ flow: consumer, event, values, bound, deliveryId });
    }
  }

  function unexpected(consumer: Consumer, error: unknown): AttemptOutcome {
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
      let outcome: AttemptOutcome;
      try {
        const resolved = await resolve(secrets, consumer);
        values = resolved.values;
        const offered = consumer.secrets.length > 0 ? withUsedSpellings(values, usedNames(consumer)) : values;
        outcome = await perform(consumer, event, offered, resolved.bound, run.deliveryId);
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

function withoutStatus(draft: RunDraft): Omit<RunDraft, "status"> {
  const { status: _status, ...rest } = draft;
  return rest;
}

/** The run's declared secrets, and those bound to hosts (S12). */
async function resolve(
  secrets: ExecutorDeps["secrets"],
  consumer: Consumer,
): Promise<{ values: Record<string, SecretValue>; bound: BoundSecret[] }> {
  if (consumer.secrets.length === 0) return { values: {}, bound: [] };
  try {
    const { values, allowedHosts } = await secrets.resolveForRun(
      { orgId: consumer.orgId, projectId: consumer.projectId },
      consumer.secrets,
      { kind: consumer.kind, id: consumer.id, name: consumer.name },
    );
    const bound: BoundSecret[] = [];
    for (const [name, hosts] of Object.entries(allowedHosts ?? {})) {
      if (hosts.length > 0 && values[name] !== undefined) {
        bound.push({ name, value: values[name], allowedHosts: hosts });
      }
    }
    return { values, bound };
  } catch (error) {
    if (error instanceof RunError) throw error;
    throw new RunError(
      "secrets_unavailable",
      "the consumer's secrets could not be read; the run will be retried",
      true,
    );
  }
}

/** X2: renders the consumer's request and delivers it. */
async function deliver(
  webhook: Deliverer,
  checkDestination: DestinationCheck,
  consumer: Extract<Consumer, { kind: "integration" }>,
  event: RunEvent,
  values: Record<string, SecretValue>,
  bound: readonly BoundSecret[],
  deliveryId: string,
): Promise<AttemptOutcome> {
  let rendered: RenderedRequest;
  try {
    rendered = renderWebhookRequest(consumer.request, { secrets: values as TemplateSecrets, event });
  } catch (error) {
    return renderFailure(error);
  }
  return deliverRendered(webhook, checkDestination, rendered, {
    bound,
    deliveryId,
    timeoutMs: consumer.timeoutMs,
  });
}

/** X3: runs the consumer's function in the sandbox. */
async function runFunction(
  sandbox: FunctionRunner,
  consumer: Extract<Consumer, { kind: "logic" }>,
  event: RunEvent,
  values: Record<string, SecretValue>,
): Promise<AttemptOutcome> {
  const result = await sandbox.runFunction({
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
