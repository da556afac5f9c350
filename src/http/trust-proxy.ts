/**
 * CLOAKROOM_TRUST_PROXY: which `X-Forwarded-For` entries name the client. A hop count trusts that many
 * proxies in front of Cloakroom (the client is the entry the outermost of them added); a list trusts the
 * proxies at those addresses only. `true`, which would believe the leftmost entry any client can write, is
 * refused (decision 0122). The result is handed to Fastify's `trustProxy` as is.
 */
import { isIP } from "node:net";

/** false: ignore X-Forwarded-For; a number: hops; a list: proxy addresses, CIDRs or proxy-addr's names. */
export type TrustProxy = false | number | string[];

export const MAX_PROXY_HOPS = 10;
const NAMED_RANGES = new Set(["loopback", "linklocal", "uniquelocal"]);

export const TRUST_PROXY_TRUE_REFUSED =
  "true would believe any X-Forwarded-For a client sends (bypassing rate limits and forging audit addresses): " +
  "give the number of proxies in front of Cloakroom (e.g. 1) or their addresses (e.g. 10.0.0.5,10.1.0.0/16)";

/** The setting, or throws an Error whose message says what to write instead. */
export function parseTrustProxy(text: string): TrustProxy {
  const value = text.trim().toLowerCase();
  if (value === "" || value === "false" || value === "0") return false;
  if (value === "true") throw new Error(TRUST_PROXY_TRUE_REFUSED);
  if (/^[0-9]+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_PROXY_HOPS) throw new Error(`a hop count must be 1 to ${MAX_PROXY_HOPS}`);
    return hops;
  }
  const entries = value.split(",").map((e) => e.trim());
  for (const entry of entries) {
    const problem = entryProblem(entry);
    if (problem) throw new Error(`${problem}; write a hop count (e.g. 1) or proxy addresses and CIDRs`);
  }
  return entries;
}

function entryProblem(entry: string): string | undefined {
  if (entry === "") return "an empty entry in the list";
  if (NAMED_RANGES.has(entry)) return undefined;
  const slash = entry.indexOf("/");
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const family = isIP(address);
  // Entries are the operator's own proxy addresses; echoing a bounded one back helps them find the typo.
  const shown = JSON.stringify(entry.slice(0, 60));
  if (family === 0) return `${shown} is not an IP address, a CIDR, or loopback/linklocal/uniquelocal`;
  if (slash < 0) return undefined;
  const prefix = entry.slice(slash + 1);
  const max = family === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(prefix) || Number(prefix) > max) return `${shown} has a bad prefix length`;
  if (Number(prefix) === 0) return `${shown} trusts every address, which is the same as true`;
  return undefined;
}

/**
 * Fastify's option. Fastify 5 ignores X-Forwarded-For entirely for a bare number (it cannot check the
 * peer), so a hop count becomes proxy-addr's trust function: the socket's peer and the next `hops - 1`
 * entries are proxies; the entry after them is the client.
 */
export function fastifyTrustProxy(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === "number") return (_address, hop) => hop < trust;
  return trust;
}
