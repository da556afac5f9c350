/**
 * Tuning of the run worker. Defaults suit production; tests shorten the waits. Read from the environment
 * and validated at start, like the rest of the configuration (D3): a bad value stops start-up.
 */
import { z } from "zod";
import { parseEnvOptions } from "../../env-options.js";

export interface RunnerOptions {
  /** Runs executing at once on this node. 0: this node delivers nothing (it still accepts events). */
  concurrency: number;
  /** Attempts of a delivery before it is marked failed (the first one included). */
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** How long a claim lasts without renewal; a worker that dies is replaced after at most this. */
  leaseMs: number;
  /** How often a node looks for runs published by other nodes or due for a retry. */
  pollMs: number;
  /** How long `stop()` waits for runs in flight before handing them back. */
  stopGraceMs: number;
  /** Run-log storage per organization; past it the oldest entries are dropped (see store.ts). */
  logQuotaBytes?: number;
  /** A worker whose database call has not returned for this long is stuck: logged, restarted, not ready. */
  stuckMs: number;
  /** Days finished runs, run-log entries and their events are kept (0: for ever; unset: 30); see retention.ts. */
  retentionDays?: number;
  /**
   * Run slots beyond `concurrency`, kept for other organizations while one executes `concurrency` runs
   * (runner/fairness.ts). Default: a quarter of `concurrency`, at least 1.
   */
  reserve?: number;
}

/**
 * Webhook deliveries mostly wait on the network, so each configured worker carries several runs at once;
 * logic functions are bounded separately by the sandbox pool (one per worker).
 */
export const RUNS_PER_WORKER = 32;

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
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

export function runnerOptionsFromEnv(workers: number, env: NodeJS.ProcessEnv): RunnerOptions {
  const e = parseEnvOptions(envSchema, env);
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
