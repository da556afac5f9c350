/**
 * How a PostgreSQL URL is named in the store's description and in start-up errors: host, port and database,
 * never the user or the password. A module of its own so the CLI names a database without loading pg.
 */
export function describeDatabaseUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "(unparsable URL)";
  }
}
