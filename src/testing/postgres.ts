/**
 * Test and bench support for PostgreSQL-only suites that run real `cloakroom serve` processes: one-off
 * queries on their own connection, and a fresh schema a node can be pointed at (directly or through a proxy).
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** Runs one statement on a connection of its own (opened and closed around it) and returns the rows. */
export async function pgQuery<T extends pg.QueryResultRow>(
  connectionString: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const c = new pg.Client({ connectionString });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

export interface PgTestSchema {
  schema: string;
  /** The DATABASE_URL of a node that uses this schema (through `port` on 127.0.0.1, a proxy's, if given). */
  urlFor(port?: number): string;
  drop(): Promise<void>;
}

/** Creates a schema with a random name (`prefix` + 12 hex digits) in the database at `baseUrl`. */
export async function createPgTestSchema(baseUrl: string, prefix = "t_"): Promise<PgTestSchema> {
  const schema = `${prefix}${randomBytes(6).toString("hex")}`;
  await pgQuery(baseUrl, `create schema ${schema}`);
  return {
    schema,
    urlFor(port) {
      const u = new URL(baseUrl);
      if (port !== undefined) {
        u.hostname = "127.0.0.1";
        u.port = String(port);
      }
      u.searchParams.set("options", `-c search_path=${schema}`);
      return u.toString();
    },
    async drop() {
      await pgQuery(baseUrl, `drop schema if exists ${schema} cascade`);
    },
  };
}
