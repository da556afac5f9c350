/**
 * One attempt of one consumer run: resolve the declared secrets, render and deliver the webhook (X2) or run
 * the function in the sandbox (X3), and describe what happened as a run-log entry, redacted (X6) before it
 * leaves this module. Nothing here writes to the database: the worker and the test endpoints decide where
 * the entry goes.
 */
import type { Consumer } from "../../consumers/schema.js";
import { RunError } from "../../errors.js";
import { createRedactor, type Redactor, redactDeep } from "../../redaction/index.js";
import { type SecretResolver, type SecretValue, sensitiveStrings } from "../../secrets/types.js";
import { newId } from "../../store/ids.js";
import { TRUNCATION_MARK } from "../sandbox/index.js";
import { noTemplateSender, type TemplateSender } from "../templates/send.js";
import {
  type DeliveryResult,
  RenderError,
  type RenderedRequest,
  renderWebhookRequest,
  type TemplateSecrets,
  TRUNCATION_NOTE,
} from "../webhook/index.js";
import { createUsedNames, withUsedSpellings } from "./aliases.js";
import { parseRetryAfter } from "./backoff.js";
import { capEntry } from "./caps.js";
import { type BoundSecret, createDestinationCheck } from "./destination.js";
import type { RedactorCache } from "./redactors.js";
import type { RunEvent, RunLogEntry } from "./schema.js";

export const DELIVERY_HEADER = "X-Cloakroom-Delivery";

const DECLARED_REDACTORS_MAX = 1000;

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
  secrets: Pick<SecretResolver, "resolveForRun" | "redactionValues"> &
    Partial<Pick<SecretResolver, "recordUndeclaredMatch">>;
  webhook: Deliverer;
  sandbox: FunctionRunner;
  /** Message templates' channels (SPEC X5); a node without it fails template runs. */
  templates?: TemplateSender;
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

/** The marks that end a text the runtime cut short (sandbox console and messages, webhook response body). */
const CUT_MARKS = [TRUNCATION_MARK, TRUNCATION_NOTE] as const;

export function createExecutor(deps: ExecutorDeps): Executor {
  const { secrets } = deps;
  const usedNames = createUsedNames();
  const checkDestination = createDestinationCheck();

  async function resolve(
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

  async function deliver(
    consumer: Extract<Consumer, { kind: "integration" }>,
    event: RunEvent,
    values: Record<string, SecretValue>,
    bound: readonly BoundSecret[],
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
    // S12, on the request as the client sends it, before it connects.
    checkDestination(rendered, bound);
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

  // A redactor of a run's declared values alone, to tell a run showing its own secrets from one showing
  // others'. Few distinct sets exist (one per consumer and version), so they are kept, boundedly.
  const declaredRedactors = new Map<string, Redactor>();
  const declaredRedactor = (values: string[]): Redactor => {
    const key = values.join("\u0000");
    let r = declaredRedactors.get(key);
    if (r === undefined) {
      if (declaredRedactors.size >= DECLARED_REDACTORS_MAX) {
        declaredRedactors.delete(declaredRedactors.keys().next().value as string);
      }
      r = createRedactor(values);
      declaredRedactors.set(key, r);
    }
    return r;
  };

  /** Redacts (X6), then cuts to the entry's size bounds: in that order, so a cut never splits a value. */
  async function redact(consumer: Consumer, entry: RunLogEntry, values: Record<string, SecretValue>) {
    return capEntry(await redactOnly(consumer, entry, values));
  }

  /**
   * Redacts with every live secret of the scope plus what this run resolved (X6). Text cut short (a console
   * line or message past its cap, a response body past maxResponseBytes) is redacted, then its cut end is
   * dropped where it could begin a value, so a cut never shows a value's prefix.
   */
  async function redactOnly(consumer: Consumer, entry: RunLogEntry, values: Record<string, SecretValue>) {
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
      return redactDeep(deps.redactors.get([], resolved), bare, { cutMarks: CUT_MARKS });
    }
    const redactor = deps.redactors.get(scopeValues, resolved);
    // Strings the redactor changed are noted on the way (an identity check per string), so only they are
    // scanned again to learn whose values they held.
    const changed: [text: string, redacted: string][] = [];
    const noting: Redactor = {
      ...redactor,
      redact(text) {
        const out = redactor.redact(text);
        if (out !== text) changed.push([text, out]);
        return out;
      },
      redactCut(text) {
        const out = redactor.redactCut(text);
        if (out !== text) changed.push([text, out]);
        return out;
      },
    };
    // The output and the event's data are the user's JSON, where a number can be a value (a PIN); the
    // entry's own numbers (duration, attempts, status) are not, and must stay numbers. Each part is walked
    // once: the rest of the entry without those two, then those two with numbers.
    const { output, ...rest } = entry;
    const redacted: RunLogEntry = redactDeep(
      noting,
      { ...rest, event: { ...entry.event, data: null } },
      { cutMarks: CUT_MARKS },
    );
    redacted.event.data = redactDeep(noting, entry.event.data, { numbers: true });
    if (output !== undefined) redacted.output = redactDeep(noting, output, { numbers: true });
    if (changed.length === 0 || !secrets.recordUndeclaredMatch) return redacted;
    const declared = new Set(resolved);
    const own = resolved.length > 0 ? declaredRedactor(resolved) : null;
    const undeclared = new Set<string>();
    for (const [text, out] of changed) {
      // The usual case, a run showing its own secrets (an Authorization header), costs one small scan.
      if (own !== null && own.redact(text) === out) continue;
      for (const value of redactor.matchedValues(text)) if (!declared.has(value)) undeclared.add(value);
    }
    if (undeclared.size === 0) return redacted;
    let names: string[] | null;
    try {
      names = await secrets.recordUndeclaredMatch(
        { orgId: consumer.orgId, projectId: consumer.projectId },
        [...undeclared],
        { consumer: redacted.consumer, eventId: entry.event.id, entryId: entry.id },
      );
    } catch {
      // The run is still flagged; which secrets it held could not be recorded.
      names = null;
    }
    if (names?.length === 0) return redacted;
    const warning = { code: "undeclared_secret_matched", ...(names ? { secrets: names } : {}) };
    return { ...redacted, warnings: [...(redacted.warnings ?? []), warning] };
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
        const resolved = await resolve(consumer);
        values = resolved.values;
        const offered = consumer.secrets.length > 0 ? withUsedSpellings(values, usedNames(consumer)) : values;
        outcome =
          consumer.kind === "integration"
            ? await deliver(consumer, event, offered, resolved.bound, run.deliveryId)
            : consumer.kind === "template"
              ? await (deps.templates ?? noTemplateSender).send(consumer, event, {
                  ...resolved,
                  values: offered,
                  deliveryId: run.deliveryId,
                })
              : await runFunction(consumer, event, offered);
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
