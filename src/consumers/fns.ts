/** Pure save-time checks of a consumer: which names its templates or code use that it does not declare. */

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * Names used but not declared. Exact comparison: the renderer and the sandbox look names up as written,
 * so `{{{api_key}}}` with `API_KEY` declared would render nothing at run time.
 */
export function undeclaredNames(used: readonly string[], declared: readonly string[]): string[] {
  const known = new Set(declared);
  return [...new Set(used.filter((name) => !known.has(name)))].sort();
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
