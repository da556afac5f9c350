/**
 * Which database errors mean "the database cannot be reached or gave up on us" rather than "this request
 * is wrong": a lost or silent connection, a timeout, a server shutting down. Those become 503
 * `unavailable` (try again), never 500, and a node keeps running through them.
 */

const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
]);

/** SQLSTATEs: admin/crash shutdown, cannot connect now, statement timeout or cancel, idle in transaction timeout, lock timeout, too many connections. */
const UNAVAILABLE_SQLSTATES = new Set(["57P01", "57P02", "57P03", "57014", "25P03", "55P03", "53300"]);

/** pg's own messages for a dead or silent connection (it gives these errors no code). */
const DRIVER_MESSAGES = [
  "Connection terminated",
  "Query read timeout",
  "timeout exceeded when trying to connect",
  "Client has encountered a connection error and is not queryable",
  "Client was closed and is not queryable",
  "Postgres connection has been discarded",
];

export function isDatabaseUnavailable(error: unknown): boolean {
  for (
    let e = error as { code?: unknown; message?: unknown; cause?: unknown } | null, depth = 0;
    e && depth < 5;
    depth++
  ) {
    const code = typeof e.code === "string" ? e.code : undefined;
    if (code !== undefined) {
      if (NETWORK_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith("08")) return true;
      if (code === "SQLITE_BUSY") return true;
    }
    const message = typeof e.message === "string" ? e.message : "";
    if (DRIVER_MESSAGES.some((m) => message.includes(m))) return true;
    e = e.cause as typeof e;
  }
  return false;
}
