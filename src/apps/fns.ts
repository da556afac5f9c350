/**
 * Pure save-time checks of an installation against its app (SPEC X8). No database, no network: the service
 * adds the checks against the declared secrets themselves (they exist; each part fits its secret's type).
 */
import type { FieldProblem } from "../consumers/fns.js";
import { requireDeclared } from "../consumers/save.js";
import { AppError } from "../errors.js";
import { literalUrlProblem } from "../runtime/webhook/literal-url.js";
import type { SecretType } from "../secrets/types.js";
import { catalog, findApp } from "./catalog/index.js";
import { baseUrlProblem } from "./request.js";
import type { ConfigValue, InstallationInput } from "./schema.js";
import { partProblem, type SecretRef, secretRef } from "./secret-refs.js";
import type { AppDefinition } from "./types.js";

export const SECRET_FIELD_MESSAGE = "a secret field takes secrets.NAME";

/** A field whose value comes from a secret (or one part of it). */
export interface FieldRef extends SecretRef {
  field: string;
}

export interface ConfigCheck {
  problems: FieldProblem[];
  /** A secret field held a literal or another expression: the error's message is SECRET_FIELD_MESSAGE. */
  secretMisuse: boolean;
  /** The secrets the fields use, in field order. */
  used: FieldRef[];
}

/**
 * Checks `config` and `baseUrl` against the app's fields. A secret field takes `secrets.NAME` (or a part of
 * a typed secret), never a literal; another field takes a literal, or a secret's part (a basic-auth user
 * name from a username and password secret) unless it is a URL, which is checked here against the SSRF
 * rules. A pattern is checked on a literal here, on a secret's value when an action runs.
 */
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
    const ref = typeof value === "string" ? null : secretRef(value.expr);
    if (ref !== null && !field.url) out.used.push({ field: field.key, ...ref });
    else if (field.secret) {
      out.secretMisuse = true;
      problem(field.key, SECRET_FIELD_MESSAGE);
    } else if (typeof value !== "string") {
      problem(
        field.key,
        field.url ? "takes a literal URL, checked at save" : "takes a literal or secrets.NAME",
      );
    } else {
      const bad = literalProblem(field, value, opts);
      if (bad !== null) problem(field.key, bad);
    }
  }
  if (input.baseUrl !== null) {
    const bad = urlProblem(input.baseUrl, opts);
    if (bad !== null) out.problems.push({ field: "body.baseUrl", message: bad });
  }
  return out;
}

function literalProblem(
  field: AppDefinition["fields"][number],
  value: string,
  opts: { allowPrivate: boolean },
) {
  if (field.pattern && !field.pattern.regex.test(value)) return field.pattern.message;
  return field.url ? urlProblem(value, opts) : null;
}

/**
 * The checks of an installation that need no database: its app, its fields, and that the secrets the
 * fields use are declared. Answers the app and what the fields use.
 */
export function checkInstallation(
  input: InstallationInput,
  opts: { allowPrivate: boolean; policy: "upper_snake" | "alias" },
): { app: AppDefinition; used: FieldRef[] } {
  const app = findApp(input.app);
  if (!app) {
    const ids = catalog.map((a) => a.id).join(", ");
    throw new AppError("invalid_request", `unknown app; the catalog has ${ids}`, {
      fields: [{ field: "body.app", message: `must be one of ${ids}` }],
    });
  }
  const c = checkConfig(app, input, opts);
  if (c.problems.length > 0) {
    const message = c.secretMisuse
      ? SECRET_FIELD_MESSAGE
      : `invalid ${c.problems.map((p) => p.field).join(", ")}`;
    throw new AppError("invalid_request", message, { fields: c.problems });
  }
  requireDeclared(
    c.used.map((u) => u.name),
    input.secrets,
    opts.policy,
    (names) => `the configuration uses secrets the installation does not declare: ${names}`,
  );
  return { app, used: c.used };
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

/**
 * The part each field names against its secret's type (decision 0255): a token whole, a username and
 * password's `.username` or `.password`, a path into a JSON secret. Refused with the fields, at save.
 */
export function checkSecretParts(
  used: readonly FieldRef[],
  refs: readonly { name: string; type: SecretType }[],
  policy: "upper_snake" | "alias",
): void {
  const fold = (name: string) => (policy === "alias" ? name.toLowerCase() : name);
  const types = new Map(refs.map((r) => [fold(r.name), r.type]));
  const problems: FieldProblem[] = [];
  for (const ref of used) {
    const type = types.get(fold(ref.name));
    const bad = type === undefined ? null : partProblem(ref, type);
    if (bad !== null) problems.push({ field: `body.config.${ref.field}`, message: bad });
  }
  if (problems.length > 0) {
    throw new AppError("invalid_request", `invalid ${problems.map((p) => p.field).join(", ")}`, {
      fields: problems,
    });
  }
}
