/** Pure save-time checks of a consumer: which names its templates or code use that it does not declare. */

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Names used but not declared. Under the `upper_snake` policy the comparison is exact: `{{{api_key}}}`
 * with `API_KEY` declared is a typo. Under `alias` names are case-insensitive everywhere (S1), so
 * `{{{WEATHER_FX}}}` with `weather_fx` declared is the same name; the runner makes the value reachable
 * under the spelling the template or code uses (runner/aliases.ts).
 */
export function undeclaredNames(
  used: readonly string[],
  declared: readonly string[],
  policy: "upper_snake" | "alias" = "upper_snake",
): string[] {
  const fold = policy === "alias" ? (name: string) => name.toLowerCase() : (name: string) => name;
  const known = new Set(declared.map(fold));
  return [...new Set(used.filter((name) => !known.has(fold(name))))].sort();
}

/** Declared names that resolve to one secret (case variants of a name, under a case-insensitive policy). */
export function sameSecretTwice(refs: readonly { name: string; secretId: string }[]): string[][] {
  const byId = new Map<string, string[]>();
  for (const ref of refs) byId.set(ref.secretId, [...(byId.get(ref.secretId) ?? []), ref.name]);
  return [...byId.values()].filter((names) => names.length > 1);
}

/** Template problems as request fields (`request.url` → `body.request.url`), as zod's are reported. */
export function bodyFields(problems: readonly FieldProblem[]): FieldProblem[] {
  return problems.map((p) => ({ field: `body.${p.field}`, message: p.message }));
}
