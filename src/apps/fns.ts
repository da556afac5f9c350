/**
 * Pure save-time checks of an installation against its app (SPEC X8), and the one expression form a
 * secret field takes. No database, no network: the service adds the declared-names checks.
 */
import type { FieldProblem } from "../consumers/fns.js";
import { literalUrlProblem } from "../runtime/webhook/literal-url.js";
import { baseUrlProblem } from "./request.js";
import type { ConfigValue, InstallationInput } from "./schema.js";
import type { AppDefinition } from "./types.js";

export const SECRET_FIELD_MESSAGE = "a secret field takes secrets.NAME";

/**
 * The secret a secret field's expression names: exactly `secrets.NAME`, `secrets["NAME"]` or
 * `secrets['NAME']` (spaces allowed around the parts), else null. A whole-expression grammar, not a
 * search: anything more (a call, a template, `secrets.A + secrets.B`) does not match.
 */
export function secretRefName(expr: string): string | null {
  const m =
    /^\s*secrets\s*(?:\.\s*([A-Za-z_$][A-Za-z0-9_$]*)|\[\s*(?:"([A-Za-z0-9_-]+)"|'([A-Za-z0-9_-]+)')\s*\])\s*$/.exec(
      expr,
    );
  if (!m) return null;
  const name = m[1] ?? m[2] ?? m[3] ?? null;
  // `$` is a valid identifier character but no secret name has one.
  return name !== null && /^[A-Za-z0-9_-]{1,128}$/.test(name) ? name : null;
}

export interface ConfigCheck {
  problems: FieldProblem[];
  /** A secret field held a literal or another expression: the error's message is SECRET_FIELD_MESSAGE. */
  secretMisuse: boolean;
  /** Secret names the secret fields use, in field order. */
  used: string[];
}

/** Checks `config` and `baseUrl` against the app's fields. */
export function checkConfig(
  app: AppDefinition,
  input: Pick<InstallationInput, "baseUrl" | "config">,
  opts: { allowPrivate: boolean },
): ConfigCheck {
  const out: ConfigCheck = { problems: [], secretMisuse: false, used: [] };
  const problem = (key: string, message: string) =>
    out.problems.push({ field: `body.config.${key}`, message });
  const known = new Set(app.fields.map((f) => f.key));
  for (const key of Object.keys(input.config)) {
    if (!known.has(key)) problem(key, `is not a field of ${app.id} (${[...known].join(", ")})`);
  }
  for (const field of app.fields) {
    const value: ConfigValue | undefined = input.config[field.key];
    if (value === undefined || value === "") {
      if (field.required) problem(field.key, "is required");
      continue;
    }
    if (field.secret) {
      const name = typeof value === "string" ? null : secretRefName(value.expr);
      if (name === null) {
        out.secretMisuse = true;
        problem(field.key, SECRET_FIELD_MESSAGE);
      } else out.used.push(name);
      continue;
    }
    if (typeof value !== "string") {
      problem(field.key, "takes a literal; only secret fields take an expression (secrets.NAME)");
      continue;
    }
    if (field.pattern && !field.pattern.regex.test(value)) problem(field.key, field.pattern.message);
    if (field.url) {
      const bad = urlProblem(value, opts);
      if (bad !== null) problem(field.key, bad);
    }
  }
  if (input.baseUrl !== null) {
    const bad = urlProblem(input.baseUrl, opts);
    if (bad !== null) out.problems.push({ field: "body.baseUrl", message: bad });
  }
  return out;
}

/** A base URL's shape, then the literal host against the SSRF rules, as an integration's URL is checked at save. */
function urlProblem(text: string, opts: { allowPrivate: boolean }): string | null {
  return baseUrlProblem(text) ?? literalUrlProblem(text, { allowPrivate: opts.allowPrivate });
}

/** Names and ids reach messages only when they look like names (a path trick is not echoed verbatim). */
export function safe(text: string): string {
  return /^[A-Za-z0-9_-]{1,128}$/.test(text) ? text : "(invalid name)";
}

/** Input problems of an action, as `body.input.<key>` fields (unknown keys, missing required, bad values). */
export function checkInput(
  action: AppDefinition["actions"][number],
  input: Readonly<Record<string, string>>,
): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const known = new Set(action.input.map((f) => f.key));
  for (const key of Object.keys(input)) {
    if (!known.has(key))
      problems.push({ field: `body.input.${key}`, message: `is not an input of ${action.id}` });
  }
  for (const field of action.input) {
    const value = input[field.key];
    const at = `body.input.${field.key}`;
    if (value === undefined || value === "") {
      if (field.required) problems.push({ field: at, message: "is required" });
      continue;
    }
    if (field.oneOf && !field.oneOf.includes(value))
      problems.push({ field: at, message: `must be one of ${field.oneOf.join(", ")}` });
    else if (field.pattern && !field.pattern.regex.test(value))
      problems.push({ field: at, message: field.pattern.message });
  }
  return problems;
}
