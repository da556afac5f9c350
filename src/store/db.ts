/**
 * Opens the database: SQLite (embedded default, a file in the data dir) or PostgreSQL (DATABASE_URL).
 * One Kysely schema and one set of queries serve both; the few places where the dialects differ ask
 * `store.dialect`.
 */
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect, sql, type Transaction } from "kysely";
import type { ListenHandlers, Listening, ListenOptions } from "./listener.js";
import { migrateToLatest } from "./migrations.js";
import { type DbOptions, defaultDbOptions } from "./options.js";
import type { Database } from "./schema.js";

export type Dialect = "sqlite" | "postgres";
export type Db = Kysely<Database>;
export type Tx = Transaction<Database> | Kysely<Database>;

export interface Store {
  readonly db: Db;
  readonly dialect: Dialect;
  /** Where the data lives, for start-up messages; never includes a password. */
  readonly description: string;
  /** Runs `fn` in one write transaction (SQLite: BEGIN IMMEDIATE, so concurrent writers queue instead of failing). */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * PostgreSQL only: LISTEN on channels with a dedicated connection that checks itself with heartbeats and
   * reconnects on failure (calling onReset, since notices may have been missed). See listener.ts.
   */
  listen?(channels: string[], handlers: ListenHandlers, options?: ListenOptions): Listening;
  close(): Promise<void>;
}

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
  // pg loads only for PostgreSQL: an embedded node never pays for it at start-up (decision 0164).
  const store = options.databaseUrl
    ? await (await import("./postgres.js")).openPostgres(
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

/** True when a write failed on a unique index: the database, not a prior read, decides `name_taken`. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
