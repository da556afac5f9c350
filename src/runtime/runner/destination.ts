/**
 * S12 destination binding, checked on the request exactly as the webhook client will send it (URL with
 * its query, headers including basic auth, body), before any connection: a secret bound to hosts may not
 * leave, in any X6 form, for another host. "Form" means what the redactor finds (src/redaction/forms.ts),
 * so a value the run log would show as [[SENSITIVE]] is a value that may not be sent.
 */

import { RunError } from "../../errors.js";
import { createRedactor, type Redactor } from "../../redaction/index.js";
import { hostAllowed } from "../../secrets/hosts.js";
import { type SecretValue, sensitiveStrings } from "../../secrets/types.js";
import type { RenderedRequest } from "../webhook/index.js";

export interface BoundSecret {
  name: string;
  value: SecretValue;
  allowedHosts: readonly string[];
}

export type DestinationCheck = (request: RenderedRequest, bound: readonly BoundSecret[]) => void;

const STRING_CACHE_MAX = 1000;

export function createDestinationCheck(): DestinationCheck {
  // Decrypted values are cached objects (or interned strings) reused run after run: one redactor each.
  const byObject = new WeakMap<object, Redactor>();
  const byString = new Map<string, Redactor>();
  const redactorFor = (value: SecretValue): Redactor => {
    if (typeof value === "object" && value !== null) {
      let r = byObject.get(value);
      if (!r) {
        r = createRedactor(sensitiveStrings(value));
        byObject.set(value, r);
      }
      return r;
    }
    let r = byString.get(value);
    if (!r) {
      if (byString.size >= STRING_CACHE_MAX) byString.delete(byString.keys().next().value as string);
      r = createRedactor(sensitiveStrings(value));
      byString.set(value, r);
    }
    return r;
  };

  return (request, bound) => {
    if (bound.length === 0) return;
    const host = new URL(request.url).hostname;
    const parts = [request.url, request.body ?? ""];
    for (const [name, value] of Object.entries(request.headers)) parts.push(name, value);
    for (const secret of bound) {
      if (hostAllowed(host, secret.allowedHosts)) continue;
      const redactor = redactorFor(secret.value);
      if (parts.some((part) => part.length > 0 && redactor.redact(part) !== part)) {
        throw new RunError(
          "destination_not_allowed",
          `secret ${secret.name} may only be sent to ${secret.allowedHosts.join(", ")}, not to ${host}`,
        );
      }
    }
  };
}
