/**
 * What a flow's steps need at run time, from the same analysis as at save time: the secret names each
 * step's expressions or code name, and whether a step reads `secrets` dynamically. A step's sandbox gets
 * only the declared secrets it names (all of them when it reads dynamically), so no step holds a value it
 * does not use (decision 0172). Memoized per flow while its steps are unchanged.
 */

import { analyzeExpression } from "../../consumers/flow-analysis.js";
import { isExpression, stepFields } from "../../consumers/flow-fields.js";
import type { Step } from "../../consumers/flow-schema.js";
import { referencedSecretNames as logicSecretNames } from "../sandbox/secret-refs.js";

export interface StepPlan {
  /** Names as the step writes them. */
  names: string[];
  dynamic: boolean;
  /** Every expression of it is simple (decision 0171): a lean sandbox context will do (decision 0250). */
  simple: boolean;
  /**
   * Its expressions are simple (no code, decision 0171), read neither `steps` nor `secrets` dynamically:
   * they give the same results at the start of the run as at the step, so the run evaluates those of
   * every such step together, in one sandbox call (decision 0170).
   */
  early: boolean;
}

export interface FlowPlan {
  steps: StepPlan[];
  /** Every name any step writes, for the alias spellings (runner/aliases.ts). */
  names: string[];
}

export function planFlow(steps: readonly Step[]): FlowPlan {
  const all = new Set<string>();
  const plans = steps.map((step): StepPlan => {
    if (step.type === "logic") {
      const names = logicSecretNames(step.code);
      for (const n of names) all.add(n);
      return { names, dynamic: false, simple: false, early: false };
    }
    const names = new Set<string>();
    let dynamic = false;
    let simple = true;
    let early = true;
    let expressions = 0;
    for (const field of stepFields(step)) {
      if (!isExpression(field.value)) continue;
      const a = analyzeExpression(field.value.expr);
      expressions++;
      if (!a.ok) {
        simple = false;
        early = false;
        continue;
      }
      dynamic ||= a.dynamic;
      simple &&= a.simple;
      early &&= a.simple && !a.dynamic && !a.usesSteps;
      for (const use of a.uses) names.add(use.name);
    }
    for (const n of names) all.add(n);
    return { names: [...names].sort(), dynamic, simple, early: early && expressions > 0 };
  });
  return { steps: plans, names: [...all].sort() };
}

const PLAN_CACHE_MAX = 1000;

export function createFlowPlans(): (flow: { id: string; steps: readonly Step[] }) => FlowPlan {
  const cache = new Map<string, { source: string; plan: FlowPlan }>();
  return (flow) => {
    const source = JSON.stringify(flow.steps);
    const hit = cache.get(flow.id);
    if (hit && hit.source === source) return hit.plan;
    const plan = planFlow(flow.steps);
    if (cache.size >= PLAN_CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(flow.id, { source, plan });
    return plan;
  };
}
