/**
 * Opens the database: SQLite (embedded default, a file in the data dir) or PostgreSQL (DATABASE_URL).
 * One Kysely schema and one set of queries serve both; the few places where the dialects differ ask
 * `store.dialect`.
 */
import { closeSync, mkdirSync, openSync } from "node:fs";
import { join } from "node:path";
import SQLite from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { migrateToLatest } from "./migrations.js";
import { type DbOptions, defaultDbOptions } from "./options.js";
import type { Database } from "./schema.js";
import { findTemplate, seedFromTemplate } from "./template.js";
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
  /**
   * SQLite: the migrated empty database a new one is copied from (decision 0395); `findTemplate()` when
   * unset, and `null` to create and migrate a new file from nothing.
   */
  template?: string | null;
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
    : openSqlite(options.dataDir, options.template === undefined ? findTemplate() : options.template);
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

function openSqlite(dataDir: string, template: string | null): Store {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const file = join(dataDir, "cloakroom.db");
  seedFromTemplate(file, template);
  // Created owner-only before SQLite opens it (a copy of the template is already); SQLite gives its -wal
  // and -shm files the same mode.
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
 * A statement that changes the schema empties the cache: a cached `select *` would keep its old columns.
 */
function withStatementCache(database: SQLite.Database, max = 500) {
  const cache = new Map<string, Statement>();
  return {
    close: () => database.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        if (/^\s*(create|alter|drop)\s/i.test(text)) cache.clear();
        statement = rowsBuiltInJs(database.prepare(text));
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

/** What Kysely's SQLite driver uses of a statement. */
type Statement = Pick<SQLite.Statement, "reader" | "all" | "run" | "iterate">;

/**
 * better-sqlite3 builds each row object through V8's C++ API, naming every cell anew; a page of wide
 * rows cost twice as much that way as reading the rows as arrays and building the same objects here
 * (decision 0280). Same objects: a key per column in column order, a later column of the same name
 * winning. A statement that names a column `__proto__` keeps better-sqlite3's objects.
 */
function rowsBuiltInJs(statement: SQLite.Statement): Statement {
  if (!statement.reader) return statement;
  let columns = statement.columns().map((c) => c.name);
  if (columns.includes("__proto__")) return statement;
  statement.raw(true);
  let build = rowBuilder(columns);
  const toObject = (cells: unknown[]) => {
    // SQLite recompiles a statement whose table changed; its columns are read again then.
    if (cells.length !== columns.length) {
      columns = statement.columns().map((c) => c.name);
      build = columns.includes("__proto__") ? objectOf(columns) : rowBuilder(columns);
    }
    return build(cells);
  };
  return {
    reader: true,
    all: (...params: unknown[]) => (statement.all(...params) as unknown[][]).map(toObject),
    run: (...params: unknown[]) => statement.run(...params),
    *iterate(...params: unknown[]) {
      for (const cells of statement.iterate(...params) as IterableIterator<unknown[]>) yield toObject(cells);
    },
  } as Statement;
}

type RowBuilder = (cells: unknown[]) => Record<string, unknown>;

/**
 * A statement's row as one object literal, its column names written in as quoted keys (decision 0300):
 * every row of the statement then gets the same hidden class at once. Assigning key after key in a loop
 * went through V8's generic keyed store for every cell, and past about 16 keys added that way V8 may keep
 * the object as a dictionary, which made every later read of a field slow too. The names are the
 * statement's own column names (never data), written as JSON string literals; a literal's duplicate key
 * keeps the first one's place and the last one's value, as assignment does. Never called for a column
 * named `__proto__`, which a literal would take for the prototype.
 */
function rowBuilder(columns: string[]): RowBuilder {
  const fields = columns.map((name, i) => `${JSON.stringify(name)}: c[${i}]`).join(", ");
  return new Function("c", `"use strict"; return { ${fields} };`) as RowBuilder;
}

/** The same objects, key by key (a statement re-read to a `__proto__` column: never in our SQL). */
function objectOf(columns: string[]): RowBuilder {
  return (cells) => {
    const row: Record<string, unknown> = {};
    for (let i = 0; i < cells.length; i++) row[columns[i]!] = cells[i];
    return row;
  };
}

/** True when a write failed on a unique index: the database, not a prior read, decides `name_taken`. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === "23505" || code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
}
