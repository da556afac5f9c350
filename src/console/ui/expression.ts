/**
 * What the expression editor completes (X4): `secrets.` with the flow's declared names, `steps.` with the ids
 * of the steps before this one (then `.output`), and the three names in scope. Pure, without CodeMirror.
 */

export interface ExpressionScope {
  secrets: string[];
  steps: string[];
}

export interface ExpressionCompletion {
  /** Offset in `before` where the replaced text starts. */
  from: number;
  options: { label: string; apply: string; detail: string }[];
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

/**
 * `secrets.API_KEY`, or `secrets["weather-fx"]` for an alias that is no JavaScript identifier; with a part
 * of a typed secret (S2), `secrets.CREDS.password`.
 */
export function secretRef(name: string, part?: string): string {
  const whole = IDENT.test(name) ? `secrets.${name}` : `secrets[${JSON.stringify(name)}]`;
  return part ? `${whole}.${part}` : whole;
}

/** The completions for the text before the cursor, or null when there is nothing to offer. */
export function completeExpression(before: string, scope: ExpressionScope): ExpressionCompletion | null {
  const stepOutput = /\bsteps\.([a-z][a-z0-9_]*)\.(\w*)$/.exec(before);
  if (stepOutput && scope.steps.includes(stepOutput[1]!)) {
    const from = before.length - stepOutput[2]!.length;
    return { from, options: [{ label: "output", apply: "output", detail: "the step's output" }] };
  }
  const member = /\b(secrets|steps)\.([\w$]*)$/.exec(before);
  if (member) {
    const from = before.length - member[0].length;
    const typed = member[2]!.toLowerCase();
    if (member[1] === "secrets") {
      return {
        from,
        options: scope.secrets
          .filter((n) => n.toLowerCase().startsWith(typed))
          .map((n) => ({ label: `secrets.${n}`, apply: secretRef(n), detail: "declared secret" })),
      };
    }
    return {
      from,
      options: scope.steps
        .filter((id) => id.startsWith(typed))
        .map((id) => ({ label: `steps.${id}`, apply: `steps.${id}.output`, detail: "earlier step" })),
    };
  }
  const word = /\b([a-z]+)$/.exec(before);
  if (!word) return null;
  const roots = [
    { label: "secrets", apply: "secrets.", detail: "the flow's declared secrets" },
    { label: "steps", apply: "steps.", detail: "outputs of earlier steps" },
    { label: "event", apply: "event.", detail: "the triggering event" },
  ].filter((r) => r.label.startsWith(word[1]!) && r.label !== word[1]);
  return roots.length > 0 ? { from: before.length - word[1]!.length, options: roots } : null;
}
