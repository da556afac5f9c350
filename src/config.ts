/**
 * Server configuration (SPEC D3): flags win over the environment, which wins over defaults. Validated at
 * start; a bad setting stops start-up with a message naming the setting (never its value when it is a key).
 */
import { resolve } from "node:path";
import { z } from "zod";
import { type RunnerOptions, runnerOptionsFromEnv } from "./runtime/runner/options.js";

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** postgres://...; undefined means SQLite in the data dir. */
  databaseUrl: string | undefined;
  /** base64 of 32 bytes from CLOAKROOM_ROOT_KEY; undefined means the data dir's key file. */
  rootKey: string | undefined;
  allowPrivateTargets: boolean;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  trustProxy: boolean;
  /** How long a decrypted value may be served from a node's cache without a change notice (D2 backstop). */
  cacheTtlMs: number;
  /** Run workers per node (0 disables delivery on this node). */
  workers: number;
  /** Sandbox threads beyond `workers`, kept for other organizations while one uses `workers` of them. */
  sandboxReserve: number;
  /** Retries, leases and polling of the run worker (CLOAKROOM_RUN_*; see runtime/runner/options.ts). */
  runner: RunnerOptions;
}

export interface ConfigFlags {
  host?: string | undefined;
  port?: string | number | undefined;
  dataDir?: string | undefined;
  databaseUrl?: string | undefined;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const bool = z.enum(["true", "false", "1", "0", ""]).transform((v) => v === "true" || v === "1");

const schema = z.object({
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  dataDir: z.string().min(1),
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres:// (leave it unset for SQLite)")
    .optional(),
  rootKey: z.string().optional(),
  allowPrivateTargets: bool,
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  trustProxy: bool,
  cacheTtlMs: z.coerce.number().int().min(0).max(3_600_000),
  workers: z.coerce.number().int().min(0).max(64),
  sandboxReserve: z.coerce.number().int().min(0).max(64),
});

const names: Record<string, string> = {
  host: "--host / CLOAKROOM_HOST",
  port: "--port / CLOAKROOM_PORT",
  dataDir: "--data-dir / CLOAKROOM_DATA_DIR",
  databaseUrl: "--database-url / DATABASE_URL",
  rootKey: "CLOAKROOM_ROOT_KEY",
  allowPrivateTargets: "CLOAKROOM_ALLOW_PRIVATE_TARGETS",
  logLevel: "CLOAKROOM_LOG_LEVEL",
  trustProxy: "CLOAKROOM_TRUST_PROXY",
  cacheTtlMs: "CLOAKROOM_CACHE_TTL_MS",
  workers: "CLOAKROOM_WORKERS",
  sandboxReserve: "CLOAKROOM_SANDBOX_RESERVE",
};

export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv): Config {
  const raw = {
    host: flags.host ?? env.CLOAKROOM_HOST ?? "127.0.0.1",
    port: flags.port ?? env.CLOAKROOM_PORT ?? "8787",
    dataDir: flags.dataDir ?? env.CLOAKROOM_DATA_DIR ?? "./data",
    databaseUrl: flags.databaseUrl ?? (env.DATABASE_URL || undefined),
    rootKey: env.CLOAKROOM_ROOT_KEY || undefined,
    allowPrivateTargets: (env.CLOAKROOM_ALLOW_PRIVATE_TARGETS ?? "false").toLowerCase(),
    logLevel: env.CLOAKROOM_LOG_LEVEL ?? "info",
    trustProxy: (env.CLOAKROOM_TRUST_PROXY ?? "false").toLowerCase(),
    cacheTtlMs: env.CLOAKROOM_CACHE_TTL_MS ?? "5000",
    workers: env.CLOAKROOM_WORKERS ?? "2",
    sandboxReserve: env.CLOAKROOM_SANDBOX_RESERVE || "1",
  };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? "");
      return `${names[key] ?? key}: ${i.message}`;
    });
    throw new ConfigError(`invalid configuration:\n  ${lines.join("\n  ")}`);
  }
  const c = parsed.data;
  let runner: RunnerOptions;
  try {
    runner = runnerOptionsFromEnv(c.workers, env);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  return { ...c, dataDir: resolve(c.dataDir), databaseUrl: c.databaseUrl, rootKey: c.rootKey, runner };
}
