/**
 * Tuning of the run worker. Defaults suit production; tests shorten the waits. config.ts reads them from
 * the environment (CLOAKROOM_RUN_*) and validates them at start (D3): a bad value stops start-up.
 */

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
