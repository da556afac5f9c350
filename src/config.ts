/**
 * Server configuration (SPEC D3): flags win over the environment, which wins over defaults. Validated at
 * start; a bad setting stops start-up with a message naming the setting (never its value when it is a key).
 */
import { resolve } from "node:path";
import { z } from "zod";
import { parseEnvOptions } from "./env-options.js";
import { parseTrustProxy, type TrustProxy } from "./http/trust-proxy.js";
import { parseSmtpUrl, type SmtpTarget } from "./mail/smtp.js";
import { RUNS_PER_WORKER, type RunnerOptions } from "./runtime/runner/options.js";
import { type DbOptions, dbOptionsFromEnv } from "./store/options.js";

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
  /** Which X-Forwarded-For entries to believe: none, a hop count, or proxy addresses (http/trust-proxy.ts). */
  trustProxy: TrustProxy;
  /** Invitations are mailed when set (CLOAKROOM_SMTP_URL, CLOAKROOM_SMTP_FROM). */
  smtp: { target: SmtpTarget; from: string } | undefined;
  /** Where people reach Cloakroom, for links in mails and answers; no trailing slash. */
  publicUrl: string | undefined;
  invitationTtlHours: number;
  /** How long a decrypted value may be served from a node's cache without a change notice (D2 backstop). */
  cacheTtlMs: number;
  /** Text of SQLite list pages kept until they change, in MiB; 0 keeps none (decision 0410). */
  listCacheMb: number;
  /** Event publishes and manual runs per organization per minute on a node; 0 means no limit. */
  orgRunRatePerMinute: number;
  /** Where the LISTEN connection goes; `databaseUrl` when unset (D2; see store/listener.ts). */
  listenDatabaseUrl: string | undefined;
  /** Heartbeat of the LISTEN connection, and how late one may come back before the node reads through. */
  listen: { heartbeatMs: number; timeoutMs: number };
  /** Run workers per node (0 disables delivery on this node). */
  workers: number;
  /** How soon an audit chain's new head is anchored in the data dir's anchor file (A3). */
  auditAnchorIntervalMs: number;
  /** Where anchors are also POSTed, a copy outside this node; none when undefined. */
  auditAnchorUrl: string | undefined;
  /** Sandbox threads beyond `workers`, kept for other organizations while one uses `workers` of them. */
  sandboxReserve: number;
  /** Retries, leases and polling of the run worker (CLOAKROOM_RUN_*, read below; see runtime/runner/options.ts). */
  runner: RunnerOptions;
  /** Timeouts and keepalive of PostgreSQL connections (CLOAKROOM_DB_*; see store/options.ts). */
  db: DbOptions;
  /** SIGTERM ends the process within this long, even when the database does not answer. */
  shutdownTimeoutMs: number;
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
  listenDatabaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must start with postgres://")
    .optional(),
  listenHeartbeatMs: z.coerce.number().int().min(50).max(60_000),
  listenTimeoutMs: z.coerce.number().int().min(100).max(600_000),
  rootKey: z.string().optional(),
  allowPrivateTargets: bool,
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]),
  trustProxy: z.string().transform((text, ctx) => {
    try {
      return parseTrustProxy(text);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
      return z.NEVER;
    }
  }),
  // The URL holds a password: messages say what is wrong with it, never what it is.
  smtpUrl: z
    .string()
    .transform((text, ctx) => {
      const target = parseSmtpUrl(text);
      if (typeof target === "string") {
        ctx.addIssue({ code: "custom", message: target });
        return z.NEVER;
      }
      return target;
    })
    .optional(),
  smtpFrom: z
    .string()
    .regex(/^([^<>\r\n]*<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/, "must be an address, or Name <address>")
    .optional(),
  publicUrl: z
    .url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" })
    .refine((u) => !/[?#]/.test(u), "must not have a query or fragment")
    .transform((u) => u.replace(/\/+$/, ""))
    .optional(),
  invitationTtlHours: z.coerce.number().int().min(1).max(720),
  cacheTtlMs: z.coerce.number().int().min(0).max(3_600_000),
  listCacheMb: z.coerce.number().int().min(0).max(4096),
  workers: z.coerce.number().int().min(0).max(64),
  auditAnchorIntervalMs: z.coerce.number().int().min(50).max(3_600_000),
  auditAnchorUrl: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, "must be an http:// or https:// URL")
    .optional(),
  orgRunRatePerMinute: z.coerce.number().int().min(0).max(1_000_000),
  sandboxReserve: z.coerce.number().int().min(0).max(64),
});

const names: Record<string, string> = {
  host: "--host / CLOAKROOM_HOST",
  port: "--port / CLOAKROOM_PORT",
  dataDir: "--data-dir / CLOAKROOM_DATA_DIR",
  databaseUrl: "--database-url / DATABASE_URL",
  listenDatabaseUrl: "CLOAKROOM_LISTEN_DATABASE_URL",
  listenHeartbeatMs: "CLOAKROOM_LISTEN_HEARTBEAT_MS",
  listenTimeoutMs: "CLOAKROOM_LISTEN_TIMEOUT_MS",
  rootKey: "CLOAKROOM_ROOT_KEY",
  allowPrivateTargets: "CLOAKROOM_ALLOW_PRIVATE_TARGETS",
  logLevel: "CLOAKROOM_LOG_LEVEL",
  trustProxy: "CLOAKROOM_TRUST_PROXY",
  smtpUrl: "CLOAKROOM_SMTP_URL",
  smtpFrom: "CLOAKROOM_SMTP_FROM",
  publicUrl: "CLOAKROOM_PUBLIC_URL",
  invitationTtlHours: "CLOAKROOM_INVITATION_TTL_HOURS",
  cacheTtlMs: "CLOAKROOM_CACHE_TTL_MS",
  listCacheMb: "CLOAKROOM_LIST_CACHE_MB",
  workers: "CLOAKROOM_WORKERS",
  auditAnchorIntervalMs: "CLOAKROOM_AUDIT_ANCHOR_INTERVAL_MS",
  auditAnchorUrl: "CLOAKROOM_AUDIT_ANCHOR_URL",
  orgRunRatePerMinute: "CLOAKROOM_ORG_RUN_RATE",
  sandboxReserve: "CLOAKROOM_SANDBOX_RESERVE",
};

export function loadConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv): Config {
  const raw = {
    host: flags.host ?? env.CLOAKROOM_HOST ?? "127.0.0.1",
    port: flags.port ?? env.CLOAKROOM_PORT ?? "8787",
    dataDir: flags.dataDir ?? env.CLOAKROOM_DATA_DIR ?? "./data",
    databaseUrl: flags.databaseUrl ?? (env.DATABASE_URL || undefined),
    listenDatabaseUrl: env.CLOAKROOM_LISTEN_DATABASE_URL || undefined,
    listenHeartbeatMs: env.CLOAKROOM_LISTEN_HEARTBEAT_MS ?? "1000",
    listenTimeoutMs: env.CLOAKROOM_LISTEN_TIMEOUT_MS ?? "3000",
    rootKey: env.CLOAKROOM_ROOT_KEY || undefined,
    allowPrivateTargets: (env.CLOAKROOM_ALLOW_PRIVATE_TARGETS ?? "false").toLowerCase(),
    logLevel: env.CLOAKROOM_LOG_LEVEL ?? "info",
    trustProxy: env.CLOAKROOM_TRUST_PROXY ?? "false",
    smtpUrl: env.CLOAKROOM_SMTP_URL || undefined,
    smtpFrom: env.CLOAKROOM_SMTP_FROM || undefined,
    publicUrl: env.CLOAKROOM_PUBLIC_URL || undefined,
    invitationTtlHours: env.CLOAKROOM_INVITATION_TTL_HOURS ?? "168",
    cacheTtlMs: env.CLOAKROOM_CACHE_TTL_MS ?? "5000",
    listCacheMb: env.CLOAKROOM_LIST_CACHE_MB ?? "8",
    workers: env.CLOAKROOM_WORKERS ?? "2",
    auditAnchorIntervalMs: env.CLOAKROOM_AUDIT_ANCHOR_INTERVAL_MS ?? "1000",
    auditAnchorUrl: env.CLOAKROOM_AUDIT_ANCHOR_URL || undefined,
    orgRunRatePerMinute: env.CLOAKROOM_ORG_RUN_RATE ?? "600",
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
  const { smtpUrl, smtpFrom, listenHeartbeatMs, listenTimeoutMs, ...c } = parsed.data;
  if (smtpUrl && (!smtpFrom || !c.publicUrl)) {
    throw new ConfigError(
      "invalid configuration:\n  CLOAKROOM_SMTP_URL: also set CLOAKROOM_SMTP_FROM (the sender) and CLOAKROOM_PUBLIC_URL (for the link)",
    );
  }
  const smtp = smtpUrl && smtpFrom ? { target: smtpUrl, from: smtpFrom } : undefined;
  if (listenTimeoutMs <= listenHeartbeatMs)
    throw new ConfigError(
      "invalid configuration:\n  CLOAKROOM_LISTEN_TIMEOUT_MS: must be longer than CLOAKROOM_LISTEN_HEARTBEAT_MS",
    );
  let runner: RunnerOptions;
  let db: DbOptions;
  try {
    runner = runnerOptionsFromEnv(c.workers, env);
    db = dbOptionsFromEnv(env);
  } catch (error) {
    throw new ConfigError((error as Error).message);
  }
  const shutdown = z.coerce
    .number()
    .int()
    .min(100)
    .max(3_600_000)
    .optional()
    .safeParse(env.CLOAKROOM_SHUTDOWN_TIMEOUT_MS || undefined);
  if (!shutdown.success)
    throw new ConfigError(
      "invalid configuration:\n  CLOAKROOM_SHUTDOWN_TIMEOUT_MS: must be a whole number of milliseconds from 100 to 3600000",
    );
  // Default: the runs' grace period, then time to hand the rest back and close.
  const shutdownTimeoutMs = shutdown.data ?? runner.stopGraceMs + 10_000;
  return {
    ...c,
    dataDir: resolve(c.dataDir),
    databaseUrl: c.databaseUrl,
    rootKey: c.rootKey,
    auditAnchorUrl: c.auditAnchorUrl,
    smtp,
    publicUrl: c.publicUrl,
    listenDatabaseUrl: c.listenDatabaseUrl,
    listen: { heartbeatMs: listenHeartbeatMs, timeoutMs: listenTimeoutMs },
    runner,
    db,
    shutdownTimeoutMs,
  };
}

/** The run worker's tuning (runtime/runner/options.ts), from CLOAKROOM_RUN_* variables. */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const runnerEnvSchema = z.object({
  CLOAKROOM_RUN_MAX_ATTEMPTS: int(1, 100).default(5),
  CLOAKROOM_RUN_RETRY_BASE_MS: int(1, 3_600_000).default(2_000),
  CLOAKROOM_RUN_RETRY_MAX_MS: int(1, 86_400_000).default(600_000),
  CLOAKROOM_RUN_LEASE_MS: int(500, 3_600_000).default(30_000),
  CLOAKROOM_RUN_POLL_MS: int(10, 600_000).default(1_000),
  CLOAKROOM_RUN_STOP_GRACE_MS: int(0, 600_000).default(10_000),
  CLOAKROOM_RUN_LOG_QUOTA_MB: int(1, 1_048_576).default(1024),
  CLOAKROOM_RUN_STUCK_MS: int(100, 3_600_000).default(60_000),
  CLOAKROOM_RUN_RETENTION_DAYS: int(0, 36_500).default(30),
  CLOAKROOM_RUN_RESERVE: int(0, 100_000).optional(),
});

function runnerOptionsFromEnv(workers: number, env: NodeJS.ProcessEnv): RunnerOptions {
  const e = parseEnvOptions(runnerEnvSchema, env);
  return {
    concurrency: workers * RUNS_PER_WORKER,
    maxAttempts: e.CLOAKROOM_RUN_MAX_ATTEMPTS,
    retryBaseMs: e.CLOAKROOM_RUN_RETRY_BASE_MS,
    retryMaxMs: Math.max(e.CLOAKROOM_RUN_RETRY_MAX_MS, e.CLOAKROOM_RUN_RETRY_BASE_MS),
    leaseMs: e.CLOAKROOM_RUN_LEASE_MS,
    pollMs: e.CLOAKROOM_RUN_POLL_MS,
    stopGraceMs: e.CLOAKROOM_RUN_STOP_GRACE_MS,
    logQuotaBytes: e.CLOAKROOM_RUN_LOG_QUOTA_MB * 1024 * 1024,
    stuckMs: e.CLOAKROOM_RUN_STUCK_MS,
    retentionDays: e.CLOAKROOM_RUN_RETENTION_DAYS,
    ...(e.CLOAKROOM_RUN_RESERVE !== undefined ? { reserve: e.CLOAKROOM_RUN_RESERVE } : {}),
  };
}
