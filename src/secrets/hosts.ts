/**
 * S12 destination binding: the hosts a secret's value may be sent to. Entries are host names, lowercased,
 * or `*.example.com` for any subdomain of example.com (not example.com itself: list both for both). An
 * empty list means any host. Pure, so the runtime check and the API validation share one notion of match.
 */
import { z } from "zod";

export const MAX_ALLOWED_HOSTS = 50;

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** A DNS host name (letters, digits, hyphens; dot-separated labels of 1 to 63) or an IPv4 literal. */
export function isHostName(host: string): boolean {
  if (host.length === 0 || host.length > 253) return false;
  return host.split(".").every((label) => LABEL.test(label));
}

/** A list entry: a host name, or `*.` followed by one (the wildcard only as the whole leading label). */
export function isHostPattern(entry: string): boolean {
  return entry.startsWith("*.") ? isHostName(entry.slice(2)) : isHostName(entry);
}

export const allowedHostsSchema = z
  .array(
    z
      .string()
      .max(255)
      .transform((s) => s.toLowerCase())
      .refine(isHostPattern, "must be a host name, or *.example.com for its subdomains"),
  )
  .max(MAX_ALLOWED_HOSTS)
  .transform((hosts) => [...new Set(hosts)]);

/** Whether a request to `host` (a URL's hostname) may carry a secret bound to `allowed`. */
export function hostAllowed(host: string, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  const h = host.toLowerCase().replace(/\.$/, "");
  return allowed.some((entry) => (entry.startsWith("*.") ? h.endsWith(entry.slice(1)) : h === entry));
}

/** The stored column (JSON text) as a list; anything unreadable binds to nothing rather than to any host. */
export function parseAllowedHosts(text: string | null | undefined): string[] {
  if (!text) return [];
  try {
    const list = JSON.parse(text) as unknown;
    if (Array.isArray(list) && list.every((h) => typeof h === "string")) return list;
  } catch {
    // fall through
  }
  return ["invalid.invalid"];
}
