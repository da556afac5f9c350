/**
 * Retention of the run tables (issue 8 item 6): finished runs, run-log entries and the events no unfinished
 * run needs are deleted once older than `CLOAKROOM_RUN_RETENTION_DAYS` (0 keeps them for ever), in batches
 * of a few hundred rows, each its own short statement, so neither a lock nor a transaction is held long.
 * Every node runs it (once at start, then hourly): the deletes are idempotent, and nodes that overlap only
 * find fewer rows. See docs/decisions/0152-run-retention.md and docs/operations.md.
 */
import { sql } from "kysely";
import type { Logger } from "pino";
import type { Store } from "../../store/db.js";
import { deleteFinishedRuns, deleteOldEvents, deleteRunLogs } from "./store.js";

export const RETENTION_INTERVAL_MS = 60 * 60 * 1000;
export const RETENTION_BATCH = 500;

export interface Retention {
  start(): void;
  /** Deletes everything past retention now; resolves to the rows deleted per table. */
  runOnce(): Promise<{ runs: number; runLogs: number; events: number }>;
  stop(): Promise<void>;
}

export function createRetention(deps: {
  store: Store;
  logger: Logger;
  retentionDays: number;
  batch?: number;
  intervalMs?: number;
  now?: () => number;
}): Retention {
  const { store } = deps;
  const batch = deps.batch ?? RETENTION_BATCH;
  const now = deps.now ?? Date.now;
  const log = deps.logger.child({ component: "retention" });
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | null = null;
  let stopped = false;

  /** Deletes batch after batch until a batch comes back short. */
  async function drain(step: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      if (stopped) return total;
      const n = await step(batch);
      total += n;
      if (n < batch) return total;
      // Let requests and runs in between the batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async function runOnce() {
    if (deps.retentionDays <= 0) return { runs: 0, runLogs: 0, events: 0 };
    const before = new Date(now() - deps.retentionDays * 24 * 60 * 60 * 1000).toISOString();
    const runs = await drain((limit) => deleteFinishedRuns(store.db, before, limit));
    const runLogs = await drain((limit) => deleteRunLogs(store.db, before, limit));
    const events = await drain((limit) => deleteOldEvents(store.db, before, limit));
    // SQLite keeps no statistics by itself; without them it may prefer runs_due over runs_leased.
    if (store.dialect === "sqlite") await sql`pragma optimize`.execute(store.db);
    if (runs + runLogs + events > 0)
      log.info({ runs, runLogs, events }, "deleted run history past retention");
    return { runs, runLogs, events };
  }

  const tick = () => {
    if (running || stopped) return;
    running = runOnce()
      .catch((error: unknown) =>
        log.warn(
          { err: { type: (error as Error | null)?.name ?? typeof error } },
          "deleting old run history failed",
        ),
      )
      .finally(() => {
        running = null;
      });
  };

  return {
    start() {
      if (timer || stopped || deps.retentionDays <= 0) return;
      tick();
      timer = setInterval(tick, deps.intervalMs ?? RETENTION_INTERVAL_MS);
      timer.unref();
    },
    runOnce,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
