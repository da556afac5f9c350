/** Prometheus metrics (SPEC D4). One registry per server instance, handed to whoever records. */
import { Counter, collectDefaultMetrics, Histogram, Registry } from "prom-client";

export interface Metrics {
  registry: Registry;
  httpRequests: Histogram<"method" | "route" | "status">;
  runs: Counter<"kind" | "status">;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "cloakroom_" });
  return {
    registry,
    httpRequests: new Histogram({
      name: "cloakroom_http_request_duration_seconds",
      help: "HTTP request latency by route template and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    runs: new Counter({
      name: "cloakroom_runs_total",
      help: "Consumer runs by kind and final status",
      labelNames: ["kind", "status"],
      registers: [registry],
    }),
  };
}
