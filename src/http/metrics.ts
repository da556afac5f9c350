/**
 * Prometheus metrics (SPEC D4). One registry per server instance, handed to whoever records.
 *
 * prom-client (with its default process and Node.js metrics) is not loaded at start: evaluating it and
 * wiring the default collectors cost a cold start tens of milliseconds before the first request could be
 * answered (decision 0275). Until it is loaded, request latencies and run counts are kept as they come and
 * replayed into the real histogram and counter when it is, so `/metrics` shows every request since start.
 * It loads on the first scrape, or on its own shortly after start (`loadAfterMs`, default one second) so
 * the default collectors (GC, event loop lag) are running long before anyone is likely to look.
 */
import type { Counter, Histogram, Registry } from "prom-client";

export interface Metrics {
  /** One answered request: its route template (or "unmatched"), status and latency in seconds. */
  observeRequest(method: string, route: string, status: string, seconds: number): void;
  /** One finished run. */
  countRun(kind: string, status: "success" | "failure"): void;
  /** The exposition text and its content type; loads prom-client first if it is not yet loaded. */
  scrape(): Promise<{ contentType: string; text: string }>;
  /** Cancels the pending background load (the server is closing). */
  close(): void;
}

export interface MetricsOptions {
  /** Loads prom-client this long after creation even if nobody scrapes; default 1000 ms. */
  loadAfterMs?: number;
}

interface Loaded {
  registry: Registry;
  httpRequests: Histogram<"method" | "route" | "status">;
  runs: Counter<"kind" | "status">;
}

type Pending =
  | { kind: "request"; method: string; route: string; status: string; seconds: number }
  | { kind: "run"; consumer: string; status: string };

/** Beyond this many waiting records prom-client is loaded at once, so the buffer stays small. */
const MAX_PENDING = 10_000;

export function createMetrics(options: MetricsOptions = {}): Metrics {
  let loaded: Loaded | undefined;
  let loading: Promise<Loaded> | undefined;
  let pending: Pending[] = [];

  const load = (): Promise<Loaded> => {
    loading ??= import("prom-client").then(
      (module) => {
        // A CommonJS package: its exports are the default export (always so in the bundle).
        const prom = (module as { default?: PromClient }).default ?? module;
        loaded = build(prom);
        for (const p of pending) record(loaded, p);
        pending = [];
        return loaded;
      },
      (error: unknown) => {
        loading = undefined; // the next scrape tries again
        throw error;
      },
    );
    return loading;
  };
  const push = (p: Pending) => {
    if (loaded) return record(loaded, p);
    // Only if prom-client cannot be loaded at all does the buffer fill: then records are dropped.
    if (pending.length >= 2 * MAX_PENDING) return;
    pending.push(p);
    if (pending.length >= MAX_PENDING) load().catch(() => undefined);
  };
  // A failed background load is not fatal: the first scrape tries again and answers 500 if it fails too.
  const timer = setTimeout(() => load().catch(() => undefined), options.loadAfterMs ?? 1000);
  timer.unref();

  return {
    observeRequest: (method, route, status, seconds) =>
      push({ kind: "request", method, route, status, seconds }),
    countRun: (consumer, status) => push({ kind: "run", consumer, status }),
    async scrape() {
      const { registry } = await load();
      return { contentType: registry.contentType, text: await registry.metrics() };
    },
    close: () => clearTimeout(timer),
  };
}

function record(m: Loaded, p: Pending): void {
  if (p.kind === "request") m.httpRequests.labels(p.method, p.route, p.status).observe(p.seconds);
  else m.runs.labels(p.consumer, p.status).inc();
}

type PromClient = typeof import("prom-client");

function build(prom: PromClient): Loaded {
  const registry = new prom.Registry();
  const before = process.cpuUsage();
  prom.collectDefaultMetrics({ register: registry, prefix: "cloakroom_" });
  countCpuBefore(registry, before);
  return {
    registry,
    httpRequests: new prom.Histogram({
      name: "cloakroom_http_request_duration_seconds",
      help: "HTTP request latency by route template and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    runs: new prom.Counter({
      name: "cloakroom_runs_total",
      help: "Consumer runs by kind and final status",
      labelNames: ["kind", "status"],
      registers: [registry],
    }),
  };
}

/**
 * prom-client's process CPU counters count from their own creation, which now waits for the first scrape or
 * a second after start: what the process used before (its start-up) is added once, so they hold the
 * process's total CPU as Prometheus' process collectors define it.
 */
function countCpuBefore(registry: Registry, used: NodeJS.CpuUsage): void {
  const add = (name: string, micros: number) =>
    (registry.getSingleMetric(`cloakroom_${name}`) as Counter | undefined)?.inc(micros / 1e6);
  add("process_cpu_user_seconds_total", used.user);
  add("process_cpu_system_seconds_total", used.system);
  add("process_cpu_seconds_total", used.user + used.system);
}
