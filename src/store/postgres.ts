/**
 * PostgreSQL's side of `openStore` (store/db.ts): the pool, its connection settings and the LISTEN
 * connection. A module of its own so that `pg` is loaded only by nodes that use PostgreSQL.
 */
import { Kysely, PostgresDialect, type PostgresPool, type PostgresPoolClient } from "kysely";
import pg from "pg";
import { isDatabaseUnavailable } from "./failures.js";
import { listenPostgres } from "./listener.js";
import type { DbOptions } from "./options.js";
import type { Database } from "./schema.js";
import type { Store } from "./types.js";
import { describeDatabaseUrl } from "./url.js";

/** The connection settings every PostgreSQL connection of a node gets, pooled or listening. */
function connectionSettings(schema: string | undefined, o: DbOptions) {
  return {
    keepAlive: true,
    keepAliveInitialDelayMillis: o.keepAliveMs,
    connectionTimeoutMillis: o.connectTimeoutMs,
    statement_timeout: o.statementTimeoutMs,
    query_timeout: o.queryTimeoutMs,
    idle_in_transaction_session_timeout: o.idleInTransactionTimeoutMs,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  };
}

export async function openPostgres(
  url: string,
  schema: string | undefined,
  o: DbOptions,
  listenUrl = url,
): Promise<Store> {
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new Error("invalid PostgreSQL schema name");
  const types = {
    getTypeParser(oid: number, format?: "text" | "binary") {
      // int8 (count(*), sums) as a JS number: every count here is far below 2^53.
      if (oid === 20) return (value: string) => Number(value);
      return pg.types.getTypeParser(oid, format);
    },
  };
  if (schema) {
    // Created before the pool exists, so that no pooled connection ever starts with a search_path naming
    // a schema that is not there yet.
    const client = new pg.Client({ connectionString: url, ...connectionSettings(undefined, o) });
    await client.connect();
    try {
      await client.query(`create schema if not exists ${schema}`);
    } finally {
      await client.end();
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: 10, types, ...connectionSettings(schema, o) });
  // A connection that fails (the server restarted, the backend was terminated, the link died) must never
  // crash the node: pg emits "error" on the client, and an "error" event nobody listens to ends the process.
  // The pool listens only while a client is idle; a checked-out client needs its own listener. The failed
  // query rejects on its own, and the pool drops the client when it is released.
  pool.on("error", () => {});
  pool.on("connect", (client) => {
    client.on("error", () => {});
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: discardingBrokenClients(pool) }) });
  const parsed = describeDatabaseUrl(url);
  return {
    db,
    dialect: "postgres",
    description: `PostgreSQL ${parsed}${schema ? ` (schema ${schema})` : ""}`,
    transaction: (fn) => db.transaction().execute(fn),
    listen: (channels, handlers, options) =>
      listenPostgres({ url: listenUrl, schema }, channels, handlers, options),
    close: () => db.destroy(),
  };
}

/**
 * Hands Kysely the pool's clients, but a client whose query failed at the connection level (timed out,
 * terminated) is destroyed on release instead of going back to the pool: after a client-side query
 * timeout, pg keeps waiting for the lost answer on that connection, so every later query on it would hang.
 */
function discardingBrokenClients(pool: pg.Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let broken = false;
      return {
        query: ((text: string, values: readonly unknown[]) =>
          client.query(text, values as unknown[]).catch((error: unknown) => {
            if (isDatabaseUnavailable(error)) broken = true;
            throw error;
          })) as unknown as PostgresPoolClient["query"],
        release(destroy?: boolean) {
          client.release(destroy || broken);
        },
      };
    },
    end: () => pool.end(),
  };
}
