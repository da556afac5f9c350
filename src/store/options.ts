/**
 * Bounds on every PostgreSQL connection a node opens (D2): a connection that dies loudly fails the query at
 * once; one that dies silently (a dead link, a stuck middlebox: the socket stays open, no byte moves) is
 * noticed by these timeouts instead of hanging the node. Read from the environment and validated at start
 * (D3). See docs/decisions/0145-database-connection-faults.md.
 */
import { z } from "zod";
import { parseEnvOptions } from "../env-options.js";

export interface DbOptions {
  /** pg `connectionTimeoutMillis`: opening a connection, and waiting for a free one in the pool. */
  connectTimeoutMs: number;
  /** Server side `statement_timeout`: PostgreSQL cancels a statement that runs longer. */
  statementTimeoutMs: number;
  /** pg `query_timeout`: the client gives up on an answer that does not come (the server may be unreachable). */
  queryTimeoutMs: number;
  /** Server side `idle_in_transaction_session_timeout`: a session whose client went silent mid-transaction is ended, and its row locks with it. */
  idleInTransactionTimeoutMs: number;
  /** TCP keepalive: the first probe after this long without traffic. */
  keepAliveMs: number;
}

export const defaultDbOptions: DbOptions = {
  connectTimeoutMs: 10_000,
  statementTimeoutMs: 30_000,
  queryTimeoutMs: 35_000,
  idleInTransactionTimeoutMs: 10_000,
  keepAliveMs: 10_000,
};

const ms = (min: number) => z.coerce.number().int().min(min).max(3_600_000).optional();

const envSchema = z.object({
  CLOAKROOM_DB_CONNECT_TIMEOUT_MS: ms(100),
  CLOAKROOM_DB_STATEMENT_TIMEOUT_MS: ms(100),
  CLOAKROOM_DB_QUERY_TIMEOUT_MS: ms(100),
  CLOAKROOM_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: ms(100),
  CLOAKROOM_DB_KEEPALIVE_MS: ms(1_000),
});

export function dbOptionsFromEnv(env: NodeJS.ProcessEnv): DbOptions {
  const e = parseEnvOptions(envSchema, env);
  const statementTimeoutMs = e.CLOAKROOM_DB_STATEMENT_TIMEOUT_MS ?? defaultDbOptions.statementTimeoutMs;
  // The client waits a little longer than the server, so that a slow statement normally ends with the
  // server's own cancellation (the connection stays usable) rather than the client's give-up.
  const queryTimeoutMs = e.CLOAKROOM_DB_QUERY_TIMEOUT_MS ?? statementTimeoutMs + 5_000;
  if (queryTimeoutMs < statementTimeoutMs) {
    throw new Error(
      "invalid configuration:\n  CLOAKROOM_DB_QUERY_TIMEOUT_MS: must not be less than CLOAKROOM_DB_STATEMENT_TIMEOUT_MS",
    );
  }
  return {
    connectTimeoutMs: e.CLOAKROOM_DB_CONNECT_TIMEOUT_MS ?? defaultDbOptions.connectTimeoutMs,
    statementTimeoutMs,
    queryTimeoutMs,
    idleInTransactionTimeoutMs:
      e.CLOAKROOM_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS ?? defaultDbOptions.idleInTransactionTimeoutMs,
    keepAliveMs: e.CLOAKROOM_DB_KEEPALIVE_MS ?? defaultDbOptions.keepAliveMs,
  };
}
