/**
 * Contexts kept for jobs of simple expressions (decision 0310): which jobs may share one (`keepKey`: the
 * worker's own judgement of every source, the organization, a second sighting), the context with its
 * evaluation loop compiled (`keptContext`), and a job as one call of that loop (`evaluateKept`). The rest
 * of an expression job, and every job that is not simple, is engine-expressions.ts.
 */

import { capLine, outputTooLarge, withoutSecretParts } from "./engine-messages.js";
import { drain } from "./engine-run.js";
import {
  call,
  type KeptRuntime,
  keep,
  type Prepared,
  type Run,
  RunFailure,
  runOutOfMemory,
  type Unfinished,
  unwrap,
} from "./engine-state.js";
import { type ExpressionItem, KEPT_LOOP_SOURCE, SETUP_FILENAME } from "./expression-setup.js";
import { functionForm } from "./simple.js";
import { type ExpressionsJob, MAX_OUTPUT_CHARS } from "./types.js";

/** Contexts a runtime keeps for simple jobs (decision 0310); past it the least recently used is freed. */
export const KEPT_CONTEXTS = 16;
/** Keys remembered from a first job, waiting for a second. */
const SEEN_KEYS = 256;
/**
 * The key of the context a job may share with earlier jobs, when it is lean and every source is simple as
 * the worker judges it (not as the job says): its organization and its sources' function forms, which
 * the context's loop compiles. Undefined: a fresh context, which is also what a key's first job in this
 * runtime gets, so that keys that do not come back (more flows than KEPT_CONTEXTS taking turns) cost no
 * more than before.
 */
export function keepKey(
  kept: KeptRuntime,
  job: ExpressionsJob,
): { key: string; forms: string[] } | undefined {
  if (!job.lean || job.keepFor === undefined) return undefined;
  const forms: string[] = [];
  for (const source of job.sources) {
    const form = functionForm(source);
    if (form === null) return undefined;
    forms.push(form);
  }
  const key = JSON.stringify([job.keepFor, forms]);
  if (kept.kept.has(key)) return { key, forms };
  if (kept.refused.has(key)) return undefined;
  if (kept.seen.has(key)) {
    kept.seen.delete(key);
    return { key, forms };
  }
  if (kept.seen.size >= SEEN_KEYS) kept.seen.delete(kept.seen.values().next().value as string);
  kept.seen.add(key);
  return undefined;
}

/**
 * The context kept for `key`, or a fresh lean one kept from now on (freeing the least recently used),
 * with its evaluation loop for the job's sources. Undefined when the loop cannot be built (sources nested
 * so deep that compiling them as functions overflows QuickJS's stack): the job then runs in a fresh
 * context as before, and the key is not tried again in this runtime.
 */
export function keptContext(
  run: Run,
  kept: KeptRuntime,
  { key, forms }: { key: string; forms: string[] },
  fresh: () => Prepared,
): Prepared | undefined {
  const found = kept.kept.get(key);
  if (found) {
    kept.kept.delete(key);
    kept.kept.set(key, found);
    return found;
  }
  const context = fresh();
  try {
    const { ctx } = context;
    const factory = unwrap(run, ctx.evalCode(KEPT_LOOP_SOURCE, SETUP_FILENAME), "run");
    context.handles.push(factory);
    const texts = ctx.newString(JSON.stringify(forms));
    context.handles.push(texts);
    const max = ctx.newNumber(MAX_OUTPUT_CHARS);
    context.handles.push(max);
    context.loop = unwrap(run, ctx.callFunction(factory, ctx.undefined, context.setup, texts, max), "run");
    context.handles.push(context.loop);
  } catch (error) {
    freeContext(context);
    const limit = run.interrupted || run.instance.capHit || run.instance.aborted;
    if (!(error instanceof RunFailure) || limit) throw error;
    if (kept.refused.size >= SEEN_KEYS) kept.refused.clear();
    kept.refused.add(key);
    return undefined;
  }
  kept.kept.set(key, context);
  while (kept.kept.size > KEPT_CONTEXTS) {
    const [oldest, old] = kept.kept.entries().next().value as [string, Prepared];
    kept.kept.delete(oldest);
    freeContext(old);
  }
  return context;
}

/** Frees a context and every handle it holds, in reverse order. */
export function freeContext(context: Prepared): void {
  for (let i = context.handles.length - 1; i >= 0; i--) context.handles[i]!.dispose();
  context.ctx.dispose();
}

/**
 * A kept context's job: one call of its loop, which sets the scope and describes each value as `one` and
 * `thrown` in engine-expressions.ts do. Error texts are cut and freed of secret parts here, as there.
 */
export function evaluateKept(run: Run, context: Prepared, kept: KeptRuntime): Unfinished {
  const { ctx } = context;
  const job = run.job as ExpressionsJob;
  const scope = keep(run, ctx.newString(job.scopeJson));
  const answer = call(run, ctx, context.loop!, scope, job.keepGoing ? ctx.true : ctx.false);
  drain({ run, rt: kept.rt });
  if (run.instance.capHit) throw new RunFailure(runOutOfMemory(run));
  if (ctx.typeof(answer) !== "string") throw new RunFailure(outputTooLarge());
  const items = JSON.parse(ctx.getString(answer)) as ExpressionItem[];
  for (const item of items) {
    if ("error" in item) item.error = capLine(withoutSecretParts(item.error, job));
  }
  return { ok: true, outputJson: JSON.stringify(items), console: [] };
}
