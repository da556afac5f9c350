/**
 * Redactors per secret set (X6). Building one compiles every form of every value into a matcher, too
 * costly to repeat per run; the secrets service hands back the same array for a scope until one of its
 * secrets changes, so that array is the cache key and a change retires the old redactor by itself.
 */
import { createRedactor, type Redactor } from "../../redaction/index.js";

export interface RedactorCache {
  /**
   * A redactor for every string of `scopeValues` and of `extra`. `extra` holds the values a run resolved:
   * normally all among `scopeValues`, but not when a secret changed between resolving and redacting.
   */
  get(scopeValues: readonly string[], extra: readonly string[]): Redactor;
}

export function createRedactorCache(): RedactorCache {
  const cache = new WeakMap<readonly string[], { redactor: Redactor; known: Set<string> }>();
  // The redactor built last lends its forms to the next build: after a change to one secret of a scope,
  // only that value's forms are computed (decision 0285). It stays alive until the next build, even when
  // its scope's array is gone: one redactor's memory (some MiB for 10,000 values).
  let last: Redactor | undefined;
  return {
    get(scopeValues, extra) {
      let hit = cache.get(scopeValues);
      if (!hit) {
        last = createRedactor(scopeValues, last);
        hit = { redactor: last, known: new Set(scopeValues) };
        cache.set(scopeValues, hit);
      }
      const missing = extra.filter((value) => !hit.known.has(value));
      if (missing.length === 0) return hit.redactor;
      return createRedactor([...scopeValues, ...missing], hit.redactor);
    },
  };
}
