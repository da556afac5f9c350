/**
 * An installation's configuration as its app module sees it when an action runs (SPEC X8): literals as
 * stored, secret references replaced by the resolved value or the part they name. Messages name fields and
 * secrets, never a value.
 */
import { RunError } from "../errors.js";
import type { SecretValue } from "../secrets/types.js";
import { safe } from "./fns.js";
import type { ConfigValue } from "./schema.js";
import { refText, secretRef, valueAt } from "./secret-refs.js";
import type { AppDefinition } from "./types.js";

/**
 * Each field's string. A name spelled in another case than declared (alias policy, S1) is found ignoring
 * case. A field's pattern, checked on a literal at save, is checked here on a value from a secret.
 */
export function configValues(
  app: AppDefinition,
  config: Record<string, ConfigValue>,
  values: Record<string, SecretValue>,
): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(config)) {
    if (typeof value === "string") {
      out[key] = value;
      continue;
    }
    const ref = secretRef(value.expr) ?? { name: "", path: [] };
    const found = values[ref.name] ?? caseInsensitive(values, ref.name);
    if (found === undefined) {
      throw new RunError(
        "secret_not_declared",
        `field ${key} names ${safe(ref.name)}, which the installation does not declare`,
      );
    }
    const text = valueAt(found, ref.path);
    if (text === undefined) {
      throw new RunError("invalid_secret_type", `field ${key} takes a string; ${refText(ref)} is not one`);
    }
    const pattern = app.fields.find((f) => f.key === key)?.pattern;
    if (pattern && !pattern.regex.test(text)) {
      throw new RunError("invalid_config", `field ${key} (${refText(ref)}) ${pattern.message}`);
    }
    out[key] = text;
  }
  return out;
}

function caseInsensitive(values: Record<string, SecretValue>, name: string): SecretValue | undefined {
  const lower = name.toLowerCase();
  return Object.entries(values).find(([declared]) => declared.toLowerCase() === lower)?.[1];
}
