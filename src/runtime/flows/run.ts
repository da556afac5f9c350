/**
 * One attempt of a flow (SPEC X4): its steps in order, each step's expressions evaluated in one sandbox
 * call, `steps.<id>.output` handed forward, the first failing step ending the run. Each step's response
 * and output are checked for a live secret (seed 002's `secret_in_output`). Nothing here redacts or
 * stores: the executor redacts the whole entry, steps included, as for every run.
 */
import type { AppStep, HttpStep, LogicStep, Step } from "../../consumers/flow-schema.js";
import type { Consumer } from "../../consumers/schema.js";
import { RunError } from "../../errors.js";
import { type Redactor, redactDeep } from "../../redaction/index.js";
import { type SecretResolver, type SecretValue, sensitiveStrings } from "../../secrets/types.js";
import { parseRetryAfter } from "../runner/backoff.js";
import { type BoundSecret, createDestinationCheck } from "../runner/destination.js";
import type { RedactorCache } from "../runner/redactors.js";
import type { RunEvent, RunLogEntry } from "../runner/schema.js";
import {
  type ExpressionError,
  type ExpressionValue,
  evaluateEach,
  evaluateExpressions,
} from "../sandbox/expressions.js";
import type { SandboxPool, SandboxRunInput } from "../sandbox/types.js";
import type { WebhookClient } from "../webhook/index.js";
import { sandboxSource } from "./analysis.js";
import type { AppActions } from "./app-actions.js";
import { isExpression, resolvedHttp, resolvedInput, type StrField, stepFields } from "./fields.js";
import { sendHttp, toRequest } from "./http-step.js";
import { createFlowPlans, type FlowPlan, type StepPlan } from "./plan.js";
import type { StepLog, StepOutcome } from "./types.js";

export const LOGIC_STEP_TIMEOUT_MS = 1000;
export const LOGIC_STEP_MEMORY_MB = 64;

/** The secrets a step may read: those it names, or every declared one when it reads dynamically. */
function stepSecrets(values: Record<string, SecretValue>, plan: StepPlan): Record<string, SecretValue> {
  if (plan.dynamic) return values;
  const out: Record<string, SecretValue> = {};
  for (const name of plan.names) if (Object.hasOwn(values, name)) out[name] = values[name]!;
  return out;
}

type Evaluated = (ExpressionValue | ExpressionError)[];

export type FlowConsumer = Extract<Consumer, { kind: "flow" }>;

export interface FlowRunnerDeps {
  sandbox: Pick<SandboxPool, "evalExpression"> & {
    runFunction(input: SandboxRunInput): ReturnType<SandboxPool["runFunction"]>;
  };
  webhook: Pick<WebhookClient, "deliver">;
  /** Every live secret of a scope, and redactors for them: a step carrying one is flagged (seed 002). */
  secrets: Pick<SecretResolver, "redactionValues">;
  redactors: RedactorCache;
  /** App installations' actions (X8); without it an `app` step fails with `app_unavailable`. */
  apps?: AppActions | undefined;
}

export interface FlowAttempt {
  flow: FlowConsumer;
  event: RunEvent;
  /** The declared values, under each spelling the steps write (runner/aliases.ts). */
  values: Record<string, SecretValue>;
  bound: readonly BoundSecret[];
  deliveryId: string;
}

export type FlowDraft = Pick<RunLogEntry, "status" | "steps" | "warnings" | "error">;

export interface FlowRunner {
  run(attempt: FlowAttempt): Promise<{ draft: FlowDraft; retryable: boolean; retryAfterMs?: number }>;
}

interface StepContext {
  attempt: FlowAttempt;
  plan: StepPlan;
  outputs: Record<string, { output: unknown }>;
  /** The step's expressions, already evaluated with the other early steps'. */
  early: Evaluated | undefined;
}

export function createFlowRunner(deps: FlowRunnerDeps): FlowRunner {
  const plans = createFlowPlans();
  const checkDestination = createDestinationCheck();

  /** A redactor of every live secret of the flow's scope; null when they cannot be read. */
  async function liveRedactor(attempt: FlowAttempt): Promise<Redactor | null> {
    const { flow } = attempt;
    try {
      const scope = await deps.secrets.redactionValues({ orgId: flow.orgId, projectId: flow.projectId });
      return deps.redactors.get(scope, Object.values(attempt.values).flatMap(sensitiveStrings));
    } catch {
      return null;
    }
  }

  /** Every field of the step resolved: literals as they are, expressions in one sandbox call. */
  async function resolve(fields: StrField[], ctx: StepContext): Promise<string[]> {
    const exprs = fields.flatMap((f, i) => (isExpression(f.value) ? [i] : []));
    const out = fields.map((f) => (isExpression(f.value) ? "" : f.value));
    if (exprs.length === 0) return out;
    const values = ctx.early ?? (await evaluateStep(fields, exprs, ctx));
    values.forEach((value, n) => {
      const field = fields[exprs[n]!]!;
      if ("error" in value) throw new RunError(value.error.code, `${field.path}: ${value.error.message}`);
      if ("text" in value) out[exprs[n]!] = value.text;
      else if (field.body) out[exprs[n]!] = value.json;
      else {
        throw new RunError(
          "expression_failed",
          `${field.path}: an object, array or null is accepted only for a body`,
        );
      }
    });
    return out;
  }

  async function evaluateStep(fields: StrField[], exprs: number[], ctx: StepContext) {
    const result = await evaluateExpressions(deps.sandbox, {
      sources: exprs.map((i) => sandboxSource((fields[i]!.value as { expr: string }).expr)),
      event: ctx.attempt.event,
      steps: ctx.outputs,
      secrets: stepSecrets(ctx.attempt.values, ctx.plan),
      declared: ctx.attempt.flow.secrets,
      tenant: ctx.attempt.flow.orgId,
    });
    if (!result.ok) {
      const where = result.index === null ? "" : `${fields[exprs[result.index]!]!.path}: `;
      throw new RunError(result.code, `${where}${result.message}`);
    }
    return result.values;
  }

  /**
   * The expressions of every `early` step (plan.ts), in one sandbox call before the first step runs, when
   * there are two such steps or more. Each keeps its own failure for its step; if the call as a whole
   * fails (a time or memory limit), each step evaluates its own as usual.
   */
  async function evaluateEarly(attempt: FlowAttempt, plan: FlowPlan): Promise<Map<string, Evaluated>> {
    const early = attempt.flow.steps.filter((_, i) => plan.steps[i]!.early);
    const found = new Map<string, Evaluated>();
    if (early.length < 2) return found;
    const sources = early.map((step) =>
      stepFields(step).flatMap((f) => (isExpression(f.value) ? [sandboxSource(f.value.expr)] : [])),
    );
    const names = [...new Set(early.flatMap((s) => plan.steps[attempt.flow.steps.indexOf(s)]!.names))];
    const result = await evaluateEach(deps.sandbox, {
      sources: sources.flat(),
      event: attempt.event,
      steps: {},
      secrets: stepSecrets(attempt.values, { names, dynamic: false, early: true }),
      declared: attempt.flow.secrets,
      tenant: attempt.flow.orgId,
    });
    if (!result.ok) return found;
    let at = 0;
    early.forEach((step, i) => {
      found.set(step.id, result.values.slice(at, at + sources[i]!.length));
      at += sources[i]!.length;
    });
    return found;
  }

  async function http(step: HttpStep, ctx: StepContext): Promise<StepOutcome> {
    const fields = stepFields(step);
    const values = await resolve(fields, ctx);
    const bodyField = fields.find((f) => f.path === "request.body");
    const bodyIsJson = bodyField !== undefined && isExpression(bodyField.value) && isJson(values.at(-1));
    const request = toRequest(resolvedHttp(step, values), bodyIsJson);
    const outcome = await sendHttp(
      { webhook: deps.webhook, checkDestination },
      request,
      ctx.attempt.bound,
      `${ctx.attempt.deliveryId}.${step.id}`,
    );
    const status = outcome.response?.status;
    if (status === 429 || status === 503) {
      outcome.retryAfterMs = parseRetryAfter(outcome.response?.headers["retry-after"]);
    }
    return outcome;
  }

  async function logic(step: LogicStep, ctx: StepContext): Promise<StepOutcome> {
    const result = await deps.sandbox.runFunction({
      code: step.code,
      event: ctx.attempt.event,
      secrets: stepSecrets(ctx.attempt.values, ctx.plan),
      steps: ctx.outputs,
      timeoutMs: LOGIC_STEP_TIMEOUT_MS,
      memoryMb: LOGIC_STEP_MEMORY_MB,
      tenant: ctx.attempt.flow.orgId,
    });
    if (result.ok) {
      return { status: "success", console: result.console, output: result.output ?? null, retryable: false };
    }
    return { status: "failure", console: result.console, error: result.error, retryable: false };
  }

  async function app(step: AppStep, ctx: StepContext): Promise<StepOutcome> {
    if (!deps.apps) throw new RunError("app_unavailable", "app steps are not available on this server");
    const input = resolvedInput(step, await resolve(stepFields(step), ctx));
    const { flow } = ctx.attempt;
    const r = await deps.apps.invoke({
      orgId: flow.orgId,
      projectId: flow.projectId,
      installation: step.installation,
      action: step.action,
      input,
      tenant: flow.orgId,
    });
    const body = typeof r.response.body === "string" ? r.response.body : JSON.stringify(r.response.body);
    const response = { status: r.response.status, headers: r.response.headers, body: body ?? "" };
    return { status: "success", request: r.request, response, output: r.output ?? null, retryable: false };
  }

  function runStep(step: Step, ctx: StepContext): Promise<StepOutcome> {
    if (step.type === "http") return http(step, ctx);
    if (step.type === "logic") return logic(step, ctx);
    return app(step, ctx);
  }

  return {
    async run(attempt) {
      const plan = plans(attempt.flow);
      const outputs: Record<string, { output: unknown }> = Object.create(null);
      const logs: StepLog[] = [];
      const warnings: NonNullable<RunLogEntry["warnings"]> = [];
      let live: Redactor | null | undefined;
      const early = await evaluateEarly(attempt, plan);
      for (const [i, step] of attempt.flow.steps.entries()) {
        const started = performance.now();
        let outcome: StepOutcome;
        try {
          outcome = await runStep(step, {
            attempt,
            plan: plan.steps[i]!,
            outputs,
            early: early.get(step.id),
          });
        } catch (error) {
          if (!(error instanceof RunError)) throw error;
          outcome = {
            status: "failure",
            error: { code: error.code, message: error.message },
            retryable: error.retryable,
          };
        }
        const { retryable, retryAfterMs, ...shown } = outcome;
        const log: StepLog = {
          id: step.id,
          type: step.type,
          durationMs: Math.round(performance.now() - started),
          ...shown,
        };
        if (outcome.response !== undefined || outcome.output !== undefined) {
          live ??= await liveRedactor(attempt);
          if (live !== null && carries(live, { response: outcome.response, output: outcome.output })) {
            log.carriedSecret = true;
            warnings.push({ code: "secret_in_output", step: step.id });
          }
        }
        logs.push(log);
        const extra = warnings.length > 0 ? { warnings } : {};
        if (outcome.status === "failure") {
          const error = outcome.error ?? { code: "step_failed", message: "the step failed" };
          return {
            draft: {
              status: "failure",
              steps: logs,
              error: { code: error.code, message: `step ${step.id}: ${error.message}` },
              ...extra,
            },
            retryable,
            ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
          };
        }
        outputs[step.id] = { output: outcome.output ?? null };
      }
      return {
        draft: { status: "success", steps: logs, ...(warnings.length > 0 ? { warnings } : {}) },
        retryable: false,
      };
    },
  };
}

export function requireFlows(flows: FlowRunner | undefined): FlowRunner {
  if (!flows) throw new RunError("flows_unavailable", "flows cannot run on this server");
  return flows;
}

/** Whether redaction would change anything in `value`: it holds some form of a live secret (X6). */
function carries(redactor: Redactor, value: unknown): boolean {
  let hit = false;
  const probe: Redactor = {
    ...redactor,
    redact(text) {
      const out = redactor.redact(text);
      if (out !== text) hit = true;
      return out;
    },
  };
  redactDeep(probe, value, { numbers: true });
  return hit;
}

function isJson(text: string | undefined): boolean {
  if (text === undefined) return false;
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === "object";
  } catch {
    return false;
  }
}
