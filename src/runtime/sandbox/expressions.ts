/**
 * A flow step's expressions (SPEC X4), all evaluated in ONE sandbox call: one fresh QuickJS context gets
 * `event`, `steps` and the step's `secrets`, and a small driver (expression-driver.ts) evaluates each
 * expression in turn in the global scope and tags each result. The first expression that throws ends the
 * batch and names itself. See docs/decisions/0170 and 0250.
 *
 * `secrets` is a proxy inside the sandbox: reading a name that is not there (a computed name the flow does
 * not declare) throws a marker the driver reports as `secret_not_declared`.
 */
import type { ExpressionItem } from "./expression-setup.js";
import { type SandboxPool, TRUNCATION_MARK } from "./types.js";

/** Time and heap of one batch: a step's expressions share them. */
export const EXPRESSIONS_TIMEOUT_MS = 1000;
export const EXPRESSIONS_MEMORY_MB = 64;
const MESSAGE_MAX = 2000;

export interface ExpressionBatch {
  /** Each already in sandbox form (analysis.ts `sandboxSource`). */
  sources: string[];
  event: unknown;
  steps: Record<string, { output: unknown }>;
  /** The values the step may read, by the names it writes. */
  secrets: Record<string, unknown>;
  /** Every name the flow declares (no values), to tell "not declared" from "not named by this step". */
  declared: string[];
  /** Every source is a simple expression (decision 0171): a lean context will do (decision 0250). */
  lean: boolean;
  tenant: string;
}

/** A string result as is (numbers and booleans stringified), or an object, array or null as JSON. */
export type ExpressionValue = { text: string } | { json: string };
/** An expression's own failure, when a batch goes on past it (`evaluateEach`). */
export type ExpressionError = {
  error: { code: "expression_failed" | "secret_not_declared"; message: string };
};

export type ExpressionBatchResult =
  | { ok: true; values: ExpressionValue[]; durationMs: number }
  | {
      ok: false;
      /** The expression that failed; null when the whole batch did (time or memory limit). */
      index: number | null;
      code: "expression_failed" | "secret_not_declared";
      message: string;
      durationMs: number;
    };

type WholeFailure = Extract<ExpressionBatchResult, { ok: false }>;
type Failure = { code: "expression_failed" | "secret_not_declared"; message: string };

const NOT: Record<Extract<ExpressionItem, { not: string }>["not"], string> = {
  undefined: "the expression's value is undefined",
  function: "the expression's value is a function",
  symbol: "the expression's value is a symbol",
  promise: "the expression's value is a promise (expressions cannot wait)",
  json: "the expression's value is not JSON",
};

/** An item the driver answered, as a value or a failure worded for the run log (redacted there). */
function toOutcome(item: ExpressionItem, declared: readonly string[]): ExpressionValue | Failure {
  if ("text" in item || "json" in item) return item;
  if ("error" in item) return { code: "expression_failed", message: cap(item.error) };
  if ("not" in item) return { code: "expression_failed", message: NOT[item.not] };
  const name = item.missing;
  // The name is shown only when it looks like one: a computed key may be any text.
  const shown = /^[A-Za-z0-9_-]{1,128}$/.test(name) ? name : "(a computed name)";
  const message = declared.includes(name)
    ? `secret ${shown} is declared, but this step does not name it: write secrets.${shown}`
    : `secret ${shown} is not declared by the flow`;
  return { code: "secret_not_declared", message };
}

async function callDriver(
  pool: Pick<SandboxPool, "evalExpressions">,
  batch: ExpressionBatch,
  keepGoing: boolean,
): Promise<{ outcomes: (ExpressionValue | Failure)[]; durationMs: number } | WholeFailure> {
  const result = await pool.evalExpressions({
    sources: batch.sources,
    keepGoing,
    scope: { event: batch.event, steps: batch.steps, secrets: batch.secrets },
    lean: batch.lean,
    timeoutMs: EXPRESSIONS_TIMEOUT_MS,
    memoryMb: EXPRESSIONS_MEMORY_MB,
    tenant: batch.tenant,
  });
  const { durationMs } = result;
  if (result.ok) {
    const items = result.output as ExpressionItem[];
    return { outcomes: items.map((item) => toOutcome(item, batch.declared)), durationMs };
  }
  const what =
    result.error.code === "timeout"
      ? `the step's expressions exceeded their time limit of ${EXPRESSIONS_TIMEOUT_MS} ms`
      : result.error.code === "memory_limit"
        ? `the step's expressions exceeded their memory limit of ${EXPRESSIONS_MEMORY_MB} MiB`
        : result.error.message;
  return { ok: false, index: null, code: "expression_failed", message: cap(what), durationMs };
}

/** A step's expressions: every value, or the first that failed. */
export async function evaluateExpressions(
  pool: Pick<SandboxPool, "evalExpressions">,
  batch: ExpressionBatch,
): Promise<ExpressionBatchResult> {
  const called = await callDriver(pool, batch, false);
  if ("ok" in called) return called;
  const { outcomes, durationMs } = called;
  const index = outcomes.findIndex((o) => "code" in o);
  if (index < 0) return { ok: true, values: outcomes as ExpressionValue[], durationMs };
  const failure = outcomes[index] as Failure;
  return { ok: false, index, ...failure, durationMs };
}

/** Several steps' expressions at once: each one's value or its own failure; a time or memory limit fails all. */
export async function evaluateEach(
  pool: Pick<SandboxPool, "evalExpressions">,
  batch: ExpressionBatch,
): Promise<{ ok: true; values: (ExpressionValue | ExpressionError)[] } | WholeFailure> {
  const called = await callDriver(pool, batch, true);
  if ("ok" in called) return called;
  return { ok: true, values: called.outcomes.map((o) => ("code" in o ? { error: o } : o)) };
}

const cap = (text: string): string =>
  text.length > MESSAGE_MAX ? `${text.slice(0, MESSAGE_MAX)}${TRUNCATION_MARK}` : text;
