/**
 * Under the `alias` naming policy secret names are case-insensitive everywhere (S1): a consumer that
 * declares `weather_fx` may write `{{{WEATHER_FX}}}` or `secrets.Weather_FX`. The renderer and the sandbox
 * look names up as written, so the resolved values are also offered under each spelling the templates or
 * code use. Save-time checks (consumers/fns.ts) only let such spellings through under `alias`.
 */
import type { Consumer } from "../../consumers/schema.js";
import { templateStrings } from "../../consumers/template-schema.js";
import type { SecretValue } from "../../secrets/types.js";
import { planFlow } from "../flows/plan.js";
import { referencedSecretNames as logicSecretNames } from "../sandbox/secret-refs.js";
import { templateSecretNames as messageSecretNames } from "../templates/macros.js";
import { referencedSecretNames as templateSecretNames } from "../webhook/index.js";

/** `values` plus an entry for each used spelling that differs only in case from a resolved name. */
export function withUsedSpellings(
  values: Record<string, SecretValue>,
  used: readonly string[],
): Record<string, SecretValue> {
  let out: Record<string, SecretValue> | null = null;
  let byKey: Map<string, SecretValue> | null = null;
  for (const name of used) {
    if (Object.hasOwn(values, name)) continue;
    byKey ??= new Map(Object.keys(values).map((k) => [k.toLowerCase(), values[k]!]));
    const value = byKey.get(name.toLowerCase());
    if (value === undefined) continue;
    out ??= Object.assign(Object.create(null) as Record<string, SecretValue>, values);
    out[name] = value;
  }
  return out ?? values;
}

const USED_CACHE_MAX = 1000;

/** Names a consumer's templates or code use, memoized per consumer while its definition is unchanged. */
export function createUsedNames(): (consumer: Consumer) => string[] {
  const cache = new Map<string, { source: string; names: string[] }>();
  return (consumer) => {
    const source =
      consumer.kind === "logic"
        ? consumer.code
        : consumer.kind === "template"
          ? JSON.stringify([consumer.subject, consumer.body, consumer.channel])
          : JSON.stringify(consumer.kind === "flow" ? consumer.steps : consumer.request);
    const hit = cache.get(consumer.id);
    if (hit && hit.source === source) return hit.names;
    const names =
      consumer.kind === "logic"
        ? logicSecretNames(consumer.code)
        : consumer.kind === "template"
          ? messageSecretNames(templateStrings(consumer))
          : consumer.kind === "flow"
            ? planFlow(consumer.steps).names
            : templateSecretNames(consumer.request);
    if (cache.size >= USED_CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(consumer.id, { source, names });
    return names;
  };
}
