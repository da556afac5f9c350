/**
 * Shared by the commands that run beside the database rather than against the API (`serve`, `audit verify`,
 * `keys rotate`): configuration from flags and the environment (SPEC D3), opening the database, and turning
 * start-up failures into one clear line. Server modules are imported lazily so client commands stay fast.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import type { Config } from "../../config.js";
import type { RootKey } from "../../crypto/index.js";
import type { Store } from "../../store/db.js";
import { describeDatabaseUrl } from "../../store/url.js";
import { CliError } from "../io.js";

export interface DatabaseFlags {
  host?: string;
  port?: string;
  dataDir?: string;
  databaseUrl?: string;
}

export function withDatabase(cmd: Command): Command {
  return cmd
    .option(
      "--data-dir <dir>",
      "data directory: SQLite database and root key file (CLOAKROOM_DATA_DIR, ./data)",
    )
    .option("--database-url <url>", "postgres://... (DATABASE_URL; SQLite in the data dir when unset)");
}

export async function configFrom(flags: DatabaseFlags, env: NodeJS.ProcessEnv): Promise<Config> {
  const { loadConfig, ConfigError } = await import("../../config.js");
  try {
    return loadConfig(
      {
        ...(flags.host !== undefined ? { host: flags.host } : {}),
        ...(flags.port !== undefined ? { port: flags.port } : {}),
        ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
        ...(flags.databaseUrl !== undefined ? { databaseUrl: flags.databaseUrl } : {}),
      },
      env,
    );
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message);
    throw error;
  }
}

/** Opens an existing database without migrating it: maintenance commands never change its schema. */
export async function openExistingStore(config: Config): Promise<Store> {
  if (!config.databaseUrl) {
    const file = join(config.dataDir, "cloakroom.db");
    if (!existsSync(file)) {
      throw new CliError(
        `no database at ${file}: pass --data-dir DIR or --database-url URL (or DATABASE_URL)`,
      );
    }
  }
  const { openStore } = await import("../../store/db.js");
  try {
    return await openStore({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      pg: config.db,
      migrate: false,
    });
  } catch (error) {
    throw startupError(error, config);
  }
}

/**
 * The database (not migrated) and the root key that opens it, for `audit verify` and `keys rotate`. A key
 * that is missing or does not match the database fails as one line; `keyless`, when given, is the message for
 * a database that was never opened with a root key. The caller closes the store.
 */
export async function openWithRootKey(
  config: Config,
  options: { keyless?: string; onWarning?: (warning: string) => void } = {},
): Promise<{ store: Store; rootKey: RootKey }> {
  const store = await openExistingStore(config);
  try {
    const { loadRootKey } = await import("../../crypto/index.js");
    const { checkRootKey, hasKeyCheck } = await import("../../secrets/keyring.js");
    if (options.keyless !== undefined && !(await hasKeyCheck(store))) throw new CliError(options.keyless);
    const loaded = await loadRootKey({
      envValue: config.rootKey,
      dataDir: config.dataDir,
      createIfMissing: false,
    });
    for (const warning of loaded.warnings) options.onWarning?.(warning);
    await checkRootKey(store, loaded.rootKey);
    return { store, rootKey: loaded.rootKey };
  } catch (error) {
    await store.close();
    throw startupError(error, config);
  }
}

/** One line naming what failed and where; never a key, password or value. */
export function startupError(error: unknown, config: Config): CliError {
  if (error instanceof CliError) return error;
  const e = error as { name?: string; code?: unknown; message?: string };
  const message = typeof e?.message === "string" ? e.message : String(error);
  const code = errorCode(error);
  const where = config.databaseUrl
    ? `PostgreSQL ${describeDatabaseUrl(config.databaseUrl)}`
    : `SQLite in ${config.dataDir}`;
  switch (e?.name) {
    case "ConfigError":
    case "RootKeyMismatchError":
    case "AppError":
    case "CryptoError":
      return new CliError(message);
  }
  switch (code) {
    case "EADDRINUSE":
      return new CliError(`cannot listen on ${config.host}:${config.port}: the address is already in use`);
    case "EADDRNOTAVAIL":
      return new CliError(`cannot listen on ${config.host}:${config.port}: no such address on this machine`);
    case "EACCES":
      if (e.message?.includes("listen")) {
        return new CliError(`cannot listen on ${config.host}:${config.port}: permission denied`);
      }
      return new CliError(`cannot open the database (${where}): permission denied`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new CliError(`cannot open the database (${where}): the host name does not resolve`);
    case "ECONNREFUSED":
    case "ETIMEDOUT":
    case "EHOSTUNREACH":
    case "ECONNRESET":
      return new CliError(`cannot open the database (${where}): ${code}`);
  }
  if (code?.startsWith("SQLITE_") || /^[0-9A-Z]{5}$/.test(code ?? "")) {
    // SQLite codes, or a PostgreSQL SQLSTATE (28P01 bad password, 3D000 no such database, ...).
    return new CliError(`cannot open the database (${where}): ${message}`);
  }
  return new CliError(`start-up failed: ${message}`);
}

const NETWORK_CODES = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ECONNRESET)\b/;

/** The errno or SQLSTATE of an error, its cause, or (for wrapped driver errors) its message. */
function errorCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === "string") return e.code;
    e = e.cause as typeof e;
  }
  const message = (error as { message?: unknown } | undefined)?.message;
  return typeof message === "string" ? NETWORK_CODES.exec(message)?.[1] : undefined;
}
