/** Reading a group of CLOAKROOM_* variables through one zod object schema (the store's and the runner's options). */
import type { z } from "zod";

/**
 * Picks the variables `schema` names from `env` (an empty value counts as unset) and validates them. A bad
 * value throws "invalid configuration" with one line per variable, naming it.
 */
export function parseEnvOptions<T extends z.ZodObject>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const parsed = schema.safeParse(
    Object.fromEntries(Object.keys(schema.shape).map((key) => [key, env[key] || undefined])),
  );
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${String(i.path[0])}: ${i.message}`);
    throw new Error(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  return parsed.data;
}
