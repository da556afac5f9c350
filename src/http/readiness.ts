/**
 * `/readyz` (D4): ready when the database answers within a bound and the run worker is not stuck. A
 * database that does not answer at all (a silent connection) makes the node not ready after the bound,
 * not after the query timeout; one ping at a time, so probes never pile up on a stuck pool.
 */

export const READY_TIMEOUT_MS = 2_000;

export interface Readiness {
  ready: boolean;
  checks: { database: "ok" | "unavailable"; worker: "ok" | "off" | "stuck" };
}

export interface ReadinessDeps {
  /** One cheap query. */
  ping(): Promise<unknown>;
  worker(): { state: "ok" | "off" | "stuck" };
  timeoutMs?: number;
}

export function createReadiness(deps: ReadinessDeps): () => Promise<Readiness> {
  const timeoutMs = deps.timeoutMs ?? READY_TIMEOUT_MS;
  let ping: { startedAt: number; answered: Promise<boolean> } | null = null;
  return async () => {
    if (!ping) {
      const current = {
        startedAt: Date.now(),
        answered: deps.ping().then(
          () => true,
          () => false,
        ),
      };
      ping = current;
      void current.answered.then(() => {
        if (ping === current) ping = null;
      });
    }
    const left = Math.max(0, timeoutMs - (Date.now() - ping.startedAt));
    let timer: NodeJS.Timeout | undefined;
    const database = await Promise.race([
      ping.answered,
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), left);
      }),
    ]);
    clearTimeout(timer);
    const worker = deps.worker().state;
    return {
      ready: database && worker !== "stuck",
      checks: { database: database ? "ok" : "unavailable", worker },
    };
  };
}
