/**
 * Keeps a node's run worker alive (D2): a worker whose database call has not returned for
 * `options.stuckMs` (a connection gone silent past every timeout, or a bug) is logged, abandoned without a
 * database call, and replaced by a fresh one under a new id. The abandoned worker's runs are no longer
 * renewed, so their leases expire and any worker, this node's new one included, takes them again.
 */
import { createWorker, type Worker, type WorkerDeps, type WorkerHealth } from "./worker.js";

export function createSupervisedWorker(deps: WorkerDeps, create = createWorker): Worker {
  const log = deps.logger.child({ component: "runner" });
  let current = create(deps);
  let watchdog: NodeJS.Timeout | undefined;
  let restarts = 0;
  let lastRestart = Number.NEGATIVE_INFINITY;

  function check(): void {
    const health = current.health();
    if (health.state !== "stuck") return;
    restarts += 1;
    lastRestart = Date.now();
    log.error(
      { worker: current.id, stuckForMs: health.stuckForMs, restarts },
      "the run worker is stuck (a database call has not returned); restarting it",
    );
    current.abandon();
    current = create(deps);
    current.start();
  }

  return {
    get id() {
      return current.id;
    },
    start() {
      current.start();
      if (watchdog || deps.options.concurrency <= 0) return;
      watchdog = setInterval(check, Math.max(50, Math.min(1_000, Math.floor(deps.options.stuckMs / 4))));
      watchdog.unref();
    },
    wake: () => current.wake(),
    inFlight: () => current.inFlight(),
    room: () => current.room(),
    /** A worker restarted within the last `stuckMs` counts as stuck: its database may still be. */
    health(): WorkerHealth {
      const health = current.health();
      const since = Date.now() - lastRestart;
      if (health.state === "ok" && since < deps.options.stuckMs) return { state: "stuck", stuckForMs: since };
      return health;
    },
    abandon() {
      clearInterval(watchdog);
      current.abandon();
    },
    stop() {
      clearInterval(watchdog);
      return current.stop();
    },
  };
}
