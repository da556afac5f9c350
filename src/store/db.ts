/**
 * Opens the database: SQLite (embedded default, a file in the data dir) or PostgreSQL (DATABASE_URL).
 * One Kysely schema and one set of queries serve both; the few places where the dialects differ ask
 * `store.dialect`.
 */
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import {
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  SqliteDialect,
  sql,
} from "kysely";
import pg from "pg";
import { isDatabaseUnavailable } from "./failures.js";
import { listenPostgres } from "./listener.js";
import { migrateToLatest } from "./migrations.js";
import { type DbOptions, defaultDbOptions } from "./options.js";
import type { Database } from "./schema.js";
import type { Store } from "./types.js";

export type { Db, Dialect, Store, Tx } from "./types.js";

export interface OpenStoreOptions {
  /** postgres://... ; SQLite in `dataDir` when unset. */
  databaseUrl?: string | undefined;
  dataDir: string;
  /** PostgreSQL schema to use (tests use a fresh one per run); created when missing. */
  pgSchema?: string;
  /** Where the LISTEN connection goes, when not to `databaseUrl` (e.g. past a pooler that cannot LISTEN). */
  listenUrl?: string | undefined;
  migrate?: boolean;
  /** Timeouts and keepalive of PostgreSQL connections (defaults: `defaultDbOptions`). */
  pg?: DbOptions | undefined;
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const store = options.databaseUrl
    ? await openPostgres(
        options.databaseUrl,
        options.pgSchema,
        options.pg ?? defaultDbOptions,
        options.listenUrl,
      )
    : openSqlite(options.dataDir);
  if (options.migrate !== false) {
    try {
      await migrateToLatest(store);
    } catch (error) {
      await store.close();
      throw error;
    }
  }
  return store;
}

function openSqlite(dataDir: string): Store {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, "cloakroom.db");
  // Created owner-only before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
  closeSync(openSync(file, "a", 0o600));
  const database = new SQLite(file);
  database.pragma("journal_mode = WAL");
  // FULL: an acknowledged write survives power loss and SIGKILL, not only a process crash.
  database.pragma("synchronous = FULL");
  database.pragma("busy_timeout = 5000");
  database.pragma("foreign_keys = ON");
  // Deleted rows (a destroyed secret's ciphertexts, S6) are overwritten, not left in free pages.
  database.pragma("secure_delete = ON");
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(database) }) });
  return {
    db,
    dialect: "sqlite",
    description: `SQLite ${file}`,
    async transaction(fn) {
      return db.connection().execute(async (conn) => {
        await sql`begin immediate`.execute(conn);
        try {
          const result = await fn(conn);
          await sql`commit`.execute(conn);
          return result;
        } catch (error) {
          await sql`rollback`.execute(conn).catch(() => {});
          throw error;
        }
      });
    },
    close: () => db.destroy(),
  };
}

/**
 * Kysely prepares every query anew; the same few hundred statements run all the time, so keep them
 * prepared. Kysely runs one query at a time on the connection, so a cached statement is never in use twice.
 */
function withStatementCache(database: SQLite.Database, max = 500) {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = database.prepare(text);
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

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

async function openPostgres(
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
  const parsed = safeUrl(url);
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

function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || "5432"}${u.pathname}`;
  } catch {
    return "(unparsable URL)";
  }
}

/** True when a write failed on a unique index: the database, not a prior read, decides `name_taken`. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
