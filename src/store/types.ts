/**
 * The store's types, apart from db.ts that opens one: migrations.ts and every domain's queries use them
 * without importing the code that runs the migrations (no import cycle).
 */
import type { Kysely, Transaction } from "kysely";
import type { ListenHandlers, Listening, ListenOptions } from "./listener.js";
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
