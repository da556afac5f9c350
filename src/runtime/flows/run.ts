import { RunError } from "../../errors.js";
import { type Redactor, redactDeep } from "../../redaction/index.js";
import { type SecretResolver, sensitiveStrings } from "../../secrets/types.js";
import { createDestinationCheck } from "../runner/destination.js";
import type { RedactorCache } from "../runner/redactors.js";
import type { RunLogEntry } from "../runner/schema.js";
import type { SandboxPool, SandboxRunInput } from "../sandbox/types.js";
import type { WebhookClient } from "../webhook/index.js";
import type { AppActions } from "./app-actions.js";
import { createFlowPlans, type FlowPlan } from "./plan.js";
import { evaluateEarly, runStep, type StepDeps } from "./steps.js";
import type { FlowAttempt, StepLog, StepOutcome } from "./types.js";

export type { FlowAttempt, FlowConsumer } from "./types.js";

export interface FlowRunnerDeps {
  sandbox: Pick<SandboxPool, "evalExpressions"> & {
    runFunction(input: SandboxRunInput): ReturnType<SandboxPool["runFunction"]>;
  };
  webhook: Pick<WebhookClient, "deliver">;
  /** Every live secret of a scope, and redactors for them: a step carrying one is flagged (seed 002). */
  secrets: Pick<SecretResolver, "redactionValues">;
  redactors: RedactorCache;
  /** App installations' actions (X8); without it an `app` step fails with `app_unavailable`. */
  apps?: AppActions | undefined;
}

export type FlowDraft = Pick<RunLogEntry, "status" | "steps" | "warnings" | "error">;

export interface FlowRunner {
  run(attempt: FlowAttempt): Promise<{ draft: FlowDraft; retryable: boolean; retryAfterMs?: number }>;
}

export function createFlowRunner(deps: FlowRunnerDeps): FlowRunner {
  const plans = createFlowPlans();
  const steps: StepDeps = {
    sandbox: deps.sandbox,
    webhook: deps.webhook,
    apps: deps.apps,
    checkDestination: createDestinationCheck(),
  };
  return { run: (attempt) => runFlow(deps, steps, plans(attempt.flow), attempt) };
}

/** A redactor of every live secret of the flow's scope; null when they cannot be read. */
async function liveRedactor(deps: FlowRunnerDeps, attempt: FlowAttempt): Promise<Redactor | null> {
  const { flow } = attempt;
  try {
    const scope = await deps.secrets.redactionValues({ orgId: flow.orgId, projectId: flow.projectId });
    return deps.redactors.get(scope, Object.values(attempt.values).flatMap(sensitiveStrings));
  } catch {
    return null;
  }
}

async function runFlow(
  deps: FlowRunnerDeps,
  stepDeps: StepDeps,
  plan: FlowPlan,
  attempt: FlowAttempt,
): ReturnType<FlowRunner["run"]> {
  const outputs: Record<string, { output: unknown }> = Object.create(null);
  const logs: StepLog[] = [];
  const warnings: NonNullable<RunLogEntry["warnings"]> = [];
  let live: Redactor | null | undefined;
  const early = await evaluateEarly(stepDeps, attempt, plan);
  for (const [i, step] of attempt.flow.steps.entries()) {
    const started = performance.now();
    let outcome: StepOutcome;
    try {
      outcome = await runStep(stepDeps, step, {
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
      live ??= await liveRedactor(deps, attempt);
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
