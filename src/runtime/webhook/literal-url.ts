/**
 * Save-time check of an integration's URL template (SPEC X2): the part written before the first Mustache
 * tag is literal, so what it already decides (the scheme, and the host when the whole host is written out)
 * is checked when the integration is saved instead of failing every run. A templated host stays a run-time
 * check: the SSRF guard after DNS (guard.ts) decides then.
 */
import { isIP } from "node:net";
import { forbiddenRange } from "./address.js";

/** Why the URL template can never render to an acceptable URL, or null when it may. */
export function literalUrlProblem(template: string, opts: { allowPrivate: boolean }): string | null {
  const tag = template.indexOf("{{");
  const whole = tag === -1;
  const literal = (whole ? template : template.slice(0, tag)).trimStart();
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(literal);
  if (!scheme) return whole ? "is not an absolute http or https URL" : null;
  const protocol = scheme[1]!.toLowerCase();
  if (protocol !== "http" && protocol !== "https") return "must be an http or https URL";

  let hostname: string;
  if (whole) {
    try {
      hostname = new URL(literal.trim()).hostname;
    } catch {
      return "is not a valid absolute URL";
    }
  } else {
    const host = literalHost(literal.slice(scheme[0].length));
    if (host === null) return null;
    try {
      hostname = new URL(`${protocol}://${host}/`).hostname;
    } catch {
      return "does not have a valid host";
    }
  }
  if (opts.allowPrivate) return null;
  return privateHostProblem(hostname);
}

/**
 * The host of `//userinfo@host:port/...` when the literal text holds the whole authority (it ends at a
 * `/`, `?` or `#`), else null: a tag may still add to it, even an `@` that turns the host so far into
 * userinfo.
 */
function literalHost(rest: string): string | null {
  if (!rest.startsWith("//")) return null;
  const end = rest.slice(2).search(/[/?#\\]/);
  if (end === -1) return null;
  const authority = rest.slice(2, 2 + end);
  return authority.slice(authority.lastIndexOf("@") + 1);
}

function privateHostProblem(hostname: string): string | null {
  const bare = hostname.startsWith("[") ? hostname.slice(1, -1) : hostname;
  if (bare === "localhost" || bare.endsWith(".localhost")) {
    return "points at localhost, which webhooks may not reach";
  }
  if (isIP(bare) === 0) return null;
  const range = forbiddenRange(bare);
  return range === null ? null : `points at a ${range} address, which webhooks may not reach`;
}
