/**
 * The steps of a flow (SPEC X4): resolving a step's fields (its expressions in one sandbox call, or taken
 * from the early batch of plan.ts), then the http request, the logic function or the app action.
 */

import { sandboxSource } from "../../consumers/flow-analysis.js";
import {
  isExpression,
  resolvedHttp,
  resolvedInput,
  type StrField,
  stepFields,
} from "../../consumers/flow-fields.js";
import type { AppStep, HttpStep, LogicStep, Step } from "../../consumers/flow-schema.js";
import { RunError } from "../../errors.js";
import type { SecretValue } from "../../secrets/types.js";
import { parseRetryAfter } from "../runner/backoff.js";
import type { DestinationCheck } from "../runner/destination.js";
import {
  type ExpressionError,
  type ExpressionValue,
  evaluateEach,
  evaluateExpressions,
} from "../sandbox/expressions.js";
import type { SandboxPool, SandboxRunInput } from "../sandbox/types.js";
import type { WebhookClient } from "../webhook/index.js";
import type { AppActions } from "./app-actions.js";
import { sendHttp, toRequest } from "./http-step.js";
import type { FlowPlan, StepPlan } from "./plan.js";
import type { FlowAttempt, StepOutcome } from "./types.js";

export const LOGIC_STEP_TIMEOUT_MS = 1000;
export const LOGIC_STEP_MEMORY_MB = 64;

export interface StepDeps {
  sandbox: Pick<SandboxPool, "evalExpressions"> & {
    runFunction(input: SandboxRunInput): ReturnType<SandboxPool["runFunction"]>;
  };
  webhook: Pick<WebhookClient, "deliver">;
  apps?: AppActions | undefined;
  checkDestination: DestinationCheck;
}

export type Evaluated = (ExpressionValue | ExpressionError)[];

export interface StepContext {
  attempt: FlowAttempt;
  plan: StepPlan;
  outputs: Record<string, { output: unknown }>;
  /** The step's expressions, already evaluated with the other early steps'. */
  early: Evaluated | undefined;
}

/** The secrets a step may read: those it names, or every declared one when it reads dynamically. */
function stepSecrets(values: Record<string, SecretValue>, plan: StepPlan): Record<string, SecretValue> {
  if (plan.dynamic) return values;
  const out: Record<string, SecretValue> = {};
  for (const name of plan.names) if (Object.hasOwn(values, name)) out[name] = values[name]!;
  return out;
}

/** Every field of the step resolved: literals as they are, expressions in one sandbox call. */
async function resolve(deps: StepDeps, fields: StrField[], ctx: StepContext): Promise<string[]> {
  const exprs = fields.flatMap((f, i) => (isExpression(f.value) ? [i] : []));
  const out = fields.map((f) => (isExpression(f.value) ? "" : f.value));
  if (exprs.length === 0) return out;
  const values = ctx.early ?? (await evaluateStep(deps, fields, exprs, ctx));
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

async function evaluateStep(deps: StepDeps, fields: StrField[], exprs: number[], ctx: StepContext) {
  const result = await evaluateExpressions(deps.sandbox, {
    sources: exprs.map((i) => sandboxSource((fields[i]!.value as { expr: string }).expr)),
    event: ctx.attempt.event,
    steps: ctx.outputs,
    secrets: stepSecrets(ctx.attempt.values, ctx.plan),
    declared: ctx.attempt.flow.secrets,
    lean: ctx.plan.simple,
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
export async function evaluateEarly(
  deps: StepDeps,
  attempt: FlowAttempt,
  plan: FlowPlan,
): Promise<Map<string, Evaluated>> {
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
    secrets: stepSecrets(attempt.values, { names, dynamic: false, simple: true, early: true }),
    declared: attempt.flow.secrets,
    // Early steps' expressions are all simple (plan.ts).
    lean: true,
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

async function http(deps: StepDeps, step: HttpStep, ctx: StepContext): Promise<StepOutcome> {
  const fields = stepFields(step);
  const values = await resolve(deps, fields, ctx);
  const bodyField = fields.find((f) => f.path === "request.body");
  const bodyIsJson = bodyField !== undefined && isExpression(bodyField.value) && isJson(values.at(-1));
  const request = toRequest(resolvedHttp(step, values), bodyIsJson);
  const outcome = await sendHttp(deps, request, ctx.attempt.bound, `${ctx.attempt.deliveryId}.${step.id}`);
  const status = outcome.response?.status;
  if (status === 429 || status === 503) {
    outcome.retryAfterMs = parseRetryAfter(outcome.response?.headers["retry-after"]);
  }
  return outcome;
}

async function logic(deps: StepDeps, step: LogicStep, ctx: StepContext): Promise<StepOutcome> {
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

async function app(deps: StepDeps, step: AppStep, ctx: StepContext): Promise<StepOutcome> {
  if (!deps.apps) throw new RunError("app_unavailable", "app steps are not available on this server");
  const input = resolvedInput(step, await resolve(deps, stepFields(step), ctx));
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

export function runStep(deps: StepDeps, step: Step, ctx: StepContext): Promise<StepOutcome> {
  if (step.type === "http") return http(deps, step, ctx);
  if (step.type === "logic") return logic(deps, step, ctx);
  return app(deps, step, ctx);
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
