/**
 * A flow step's expressions (SPEC X4), all evaluated in ONE sandbox call: one fresh QuickJS context gets
 * `event`, `steps` and the step's `secrets`, and a small driver evaluates each expression in turn in the
 * global scope (indirect eval inside QuickJS: the driver's own variables are out of reach) and tags each
 * result. The first expression that throws ends the batch and names itself. See docs/decisions/0170.
 *
 * `secrets` is a proxy inside the sandbox: reading a name that is not there (a computed name the flow does
 * not declare) throws a marker the driver reports as `secret_not_declared`.
 */
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

/**
 * The driver. Everything it relies on is captured before the first expression runs, so an expression that
 * replaces `JSON.stringify` or `Reflect.get` changes nothing for the ones after it.
 */
const DRIVER = `(function (sources, declared, keepGoing) {
  "use strict";
  const g = globalThis;
  const ev = eval;
  const stringify = JSON.stringify;
  const StringOf = String;
  const get = Reflect.get;
  const PromiseOf = Promise;
  const known = Object.create(null);
  for (let i = 0; i < declared.length; i++) known[declared[i]] = true;
  const marker = {};
  let missing = "";
  const values = g.secrets;
  g.secrets = new Proxy(values, {
    get: function (target, key, receiver) {
      if (typeof key !== "string" || key in target || key === "toJSON" || key === "then") {
        return get(target, key, receiver);
      }
      missing = key;
      throw marker;
    },
  });
  function describe(e) {
    try {
      if (e !== null && typeof e === "object" && typeof e.message === "string") {
        return (typeof e.name === "string" && e.name ? e.name + ": " : "") + e.message;
      }
      return "Uncaught " + StringOf(e);
    } catch (x) {
      return "Uncaught exception";
    }
  }
  function fail(i, message) {
    return { failed: i, code: "expression_failed", message: message };
  }
  function one(i) {
    let v;
    try {
      v = ev(sources[i]);
    } catch (e) {
      if (e === marker) {
        const shown = /^[A-Za-z0-9_-]{1,128}$/.test(missing) ? missing : "(a computed name)";
        return {
          failed: i,
          code: "secret_not_declared",
          message: known[missing] === true
            ? "secret " + shown + " is declared, but this step does not name it: write secrets." + shown
            : "secret " + shown + " is not declared by the flow",
        };
      }
      return fail(i, describe(e));
    }
    const t = typeof v;
    if (t === "string") return { text: v };
    if (t === "number" || t === "boolean" || t === "bigint") return { text: StringOf(v) };
    if (t === "undefined") return fail(i, "the expression's value is undefined");
    if (t === "function" || t === "symbol") return fail(i, "the expression's value is a " + t);
    if (v instanceof PromiseOf) return fail(i, "the expression's value is a promise (expressions cannot wait)");
    let json;
    try {
      json = stringify(v);
    } catch (e) {
      return fail(i, describe(e));
    }
    if (typeof json !== "string") return fail(i, "the expression's value is not JSON");
    return { json: json };
  }
  const out = [];
  for (let i = 0; i < sources.length; i++) {
    const r = one(i);
    if (r.failed === undefined) out.push(r);
    else if (keepGoing) out.push({ error: { code: r.code, message: r.message } });
    else return r;
  }
  return { values: out };
})`;

export function batchSource(
  sources: readonly string[],
  declared: readonly string[],
  keepGoing = false,
): string {
  return `${DRIVER}(${JSON.stringify(sources)}, ${JSON.stringify(declared)}, ${keepGoing})`;
}

type DriverAnswer =
  | { values: (ExpressionValue | ExpressionError)[] }
  | { failed: number; code: "expression_failed" | "secret_not_declared"; message: string };

type WholeFailure = Extract<ExpressionBatchResult, { ok: false }>;

async function callDriver(
  pool: Pick<SandboxPool, "evalExpression">,
  batch: ExpressionBatch,
  keepGoing: boolean,
): Promise<{ answer: DriverAnswer; durationMs: number } | WholeFailure> {
  const result = await pool.evalExpression({
    expression: batchSource(batch.sources, batch.declared, keepGoing),
    context: { event: batch.event, steps: batch.steps, secrets: batch.secrets },
    timeoutMs: EXPRESSIONS_TIMEOUT_MS,
    memoryMb: EXPRESSIONS_MEMORY_MB,
    tenant: batch.tenant,
  });
  const { durationMs } = result;
  if (result.ok) return { answer: result.output as DriverAnswer, durationMs };
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
  pool: Pick<SandboxPool, "evalExpression">,
  batch: ExpressionBatch,
): Promise<ExpressionBatchResult> {
  const called = await callDriver(pool, batch, false);
  if ("ok" in called) return called;
  const { answer, durationMs } = called;
  if ("values" in answer) return { ok: true, values: answer.values as ExpressionValue[], durationMs };
  return { ok: false, index: answer.failed, code: answer.code, message: cap(answer.message), durationMs };
}

/** Several steps' expressions at once: each one's value or its own failure; a time or memory limit fails all. */
export async function evaluateEach(
  pool: Pick<SandboxPool, "evalExpression">,
  batch: ExpressionBatch,
): Promise<{ ok: true; values: (ExpressionValue | ExpressionError)[] } | WholeFailure> {
  const called = await callDriver(pool, batch, true);
  if ("ok" in called) return called;
  const { answer } = called;
  if (!("values" in answer))
    return {
      ok: false,
      index: null,
      code: answer.code,
      message: cap(answer.message),
      durationMs: called.durationMs,
    };
  return {
    ok: true,
    values: answer.values.map((v) =>
      "error" in v ? { error: { ...v.error, message: cap(v.error.message) } } : v,
    ),
  };
}

const cap = (text: string): string =>
  text.length > MESSAGE_MAX ? `${text.slice(0, MESSAGE_MAX)}${TRUNCATION_MARK}` : text;
