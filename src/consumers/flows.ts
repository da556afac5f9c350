/**
 * Save-time rules of flows (SPEC X4, S11): every expression parses as one expression, logic steps compile,
 * the names used are reported for the undeclared/unknown checks, and the rule on restricted secrets.
 */

import { analyzeExpression, type ExpressionAnalysis, namedSecrets } from "./flow-analysis.js";
import { isExpression, stepFields } from "./flow-fields.js";
import type { Step } from "./flow-schema.js";
import type { FieldProblem } from "./fns.js";

export interface FlowCheckDeps {
  checkLogicSyntax(code: string): Promise<{ ok: true } | { ok: false; message: string }>;
  logicSecretNames(code: string): string[];
  installationExists?(projectId: string, installation: string): Promise<boolean>;
}

/** Field problems (`body.steps.0.request.url.expr`) and the secret names the flow uses. */
export async function checkFlowSteps(
  steps: readonly Step[],
  deps: FlowCheckDeps,
  projectId: string,
): Promise<{ problems: FieldProblem[]; used: string[] }> {
  const problems: FieldProblem[] = [];
  const analyses: ExpressionAnalysis[] = [];
  const logicNames: string[] = [];
  for (const [i, step] of steps.entries()) {
    for (const field of stepFields(step)) {
      if (!isExpression(field.value)) continue;
      const analysis = analyzeExpression(field.value.expr);
      analyses.push(analysis);
      if (!analysis.ok)
        problems.push({ field: `body.steps.${i}.${field.path}.expr`, message: analysis.message });
    }
    if (step.type === "app" && deps.installationExists) {
      if (!(await deps.installationExists(projectId, step.installation))) problems.push(noInstallation(i));
    }
    if (step.type === "logic") {
      const syntax = await deps.checkLogicSyntax(step.code);
      if (!syntax.ok) problems.push({ field: `body.steps.${i}.code`, message: syntax.message });
      else logicNames.push(...deps.logicSecretNames(step.code));
    }
  }
  return { problems, used: namedSecrets(analyses, logicNames) };
}

/** Step `i` names an installation the project does not have (checked before the save and inside it). */
export const noInstallation = (i: number): FieldProblem => ({
  field: `body.steps.${i}.installation`,
  message: "no such installation in the project",
});

/**
 * S11 `editorsComputeWithRestricted` for flows: the steps that would compute with a restricted secret
 * (`restricted` holds the declared restricted names, folded as `fold` folds). A step computes with one
 * when an expression names it other than plainly, when the flow reads `secrets` dynamically at all, when
 * a step that names one also holds an expression that can run code (which could reach `secrets` another
 * way), or when a logic step names one. See docs/decisions/0172.
 */
export function stepsComputingWithRestricted(
  steps: readonly Step[],
  restricted: ReadonlySet<string>,
  fold: (name: string) => string,
  logicSecretNames: (code: string) => string[],
): { step: string; reason: string }[] {
  if (restricted.size === 0) return [];
  const out: { step: string; reason: string }[] = [];
  for (const step of steps) {
    if (step.type === "logic") {
      const named = logicSecretNames(step.code).filter((n) => restricted.has(fold(n)));
      if (named.length > 0) out.push({ step: step.id, reason: `its code uses ${named.join(", ")}` });
      continue;
    }
    const analyses = stepFields(step)
      .filter((f) => isExpression(f.value))
      .map((f) => analyzeExpression((f.value as { expr: string }).expr))
      .filter((a) => a.ok);
    const reason = stepReason(analyses, restricted, fold);
    if (reason !== null) out.push({ step: step.id, reason });
  }
  return out;
}

function stepReason(
  analyses: Extract<ExpressionAnalysis, { ok: true }>[],
  restricted: ReadonlySet<string>,
  fold: (name: string) => string,
): string | null {
  if (analyses.some((a) => a.dynamic)) return "an expression computes which secret to read";
  const computed = new Set<string>();
  let names = false;
  for (const a of analyses) {
    for (const use of a.uses) {
      if (!restricted.has(fold(use.name))) continue;
      names = true;
      if (!use.plain) computed.add(use.name);
    }
  }
  if (computed.size > 0) {
    return `an expression computes with ${[...computed].sort().join(", ")} (insert it as secrets.NAME or \`\${secrets.NAME}\`)`;
  }
  if (names && analyses.some((a) => !a.simple)) {
    return "it inserts a restricted secret and an expression of the step calls code";
  }
  return null;
}

/**
 * The steps an editor may not save: those computing with a restricted secret, except a step an owner or
 * admin wrote that is unchanged byte for byte (as for logic functions, decision 0126).
 */
export function refusedSteps(
  steps: readonly Step[],
  before: readonly Step[] | null,
  restrictedNames: readonly string[],
  policy: "upper_snake" | "alias",
  logicSecretNames: (code: string) => string[],
): { step: string; reason: string }[] {
  const fold = policy === "alias" ? (n: string) => n.toLowerCase() : (n: string) => n;
  const restricted = new Set(restrictedNames.map(fold));
  const previous = new Map((before ?? []).map((s) => [s.id, JSON.stringify(s)]));
  const unchanged = (id: string) => {
    const step = steps.find((s) => s.id === id);
    return step !== undefined && previous.get(id) === JSON.stringify(step);
  };
  return stepsComputingWithRestricted(steps, restricted, fold, logicSecretNames).filter(
    (v) => !unchanged(v.step),
  );
}

export function flowRefusal(names: readonly string[], refused: readonly { step: string; reason: string }[]) {
  const why = refused.map((r) => `step ${r.step}: ${r.reason}`).join("; ");
  return `only owners and admins may save flow steps that compute with restricted secrets (${names.join(", ")}): ${why}`;
}
