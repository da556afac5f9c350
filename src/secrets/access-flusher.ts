/**
 * X7's last accessed, coalesced: a run notes each secret it used in memory, and the newest access of each
 * secret is written once per interval (and on close), not once per run.
 */
import type { Logger } from "pino";

export interface AccessFlusher {
  note(secretId: string, at: string, by: string): void;
  /** Writes what is pending now (tests, shutdown). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is pending; a failure is swallowed (the hint is lost, nothing else). */
  close(): Promise<void>;
}

export function createAccessFlusher(deps: {
  write(secretId: string, at: string, by: string): Promise<void>;
  intervalMs: number;
  logger: Pick<Logger, "warn">;
}): AccessFlusher {
  const pending = new Map<string, { at: string; by: string }>();

  async function flush(): Promise<void> {
    if (pending.size === 0) return;
    const batch = [...pending.entries()];
    pending.clear();
    for (const [id, { at, by }] of batch) await deps.write(id, at, by);
  }

  const timer = setInterval(() => {
    flush().catch((error: Error) =>
      deps.logger.warn({ err: { message: error.message } }, "last-accessed flush failed"),
    );
  }, deps.intervalMs);
  timer.unref();

  return {
    note: (secretId, at, by) => pending.set(secretId, { at, by }),
    flush,
    async close() {
      clearInterval(timer);
      await flush().catch(() => {});
    },
  };
}
