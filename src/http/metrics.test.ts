/** /metrics content (SPEC D4) while prom-client is not yet loaded, and after (decision 0275). */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createMetrics } from "./metrics.js";

describe("metrics", () => {
  it("requests and runs recorded before prom-client loads are all in the first scrape", async () => {
    const metrics = createMetrics({ loadAfterMs: 60_000 });
    metrics.observeRequest("GET", "/healthz", "200", 0.002);
    metrics.observeRequest("GET", "/healthz", "200", 0.3);
    metrics.observeRequest("POST", "/v1/setup", "400", 0.004);
    metrics.countRun("integration", "success");
    metrics.countRun("flow", "failure");
    metrics.countRun("flow", "failure");
    const { contentType, text } = await metrics.scrape();
    metrics.close();
    assert.match(contentType, /^text\/plain/);
    const line = (pattern: RegExp) => assert.match(text, pattern);
    line(/cloakroom_http_request_duration_seconds_count\{method="GET",route="\/healthz",status="200"\} 2\n/);
    line(
      /cloakroom_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/healthz",status="200"\} 1\n/,
    );
    line(
      /cloakroom_http_request_duration_seconds_sum\{method="GET",route="\/healthz",status="200"\} 0.302\n/,
    );
    line(
      /cloakroom_http_request_duration_seconds_count\{method="POST",route="\/v1\/setup",status="400"\} 1\n/,
    );
    line(/cloakroom_runs_total\{kind="integration",status="success"\} 1\n/);
    line(/cloakroom_runs_total\{kind="flow",status="failure"\} 2\n/);
    line(/# TYPE cloakroom_process_cpu_seconds_total counter/);
    line(/# TYPE cloakroom_nodejs_heap_size_used_bytes gauge/);
  });

  it("process CPU counts from the process's start, not from when prom-client loaded", async () => {
    const used = process.cpuUsage();
    const metrics = createMetrics({ loadAfterMs: 60_000 });
    const { text } = await metrics.scrape();
    metrics.close();
    const counter = (name: string) => Number(new RegExp(`^cloakroom_${name} (\\S+)$`, "m").exec(text)?.[1]);
    assert.ok(counter("process_cpu_user_seconds_total") >= used.user / 1e6, text);
    assert.ok(counter("process_cpu_system_seconds_total") >= used.system / 1e6, text);
    assert.ok(counter("process_cpu_seconds_total") >= (used.user + used.system) / 1e6, text);
  });

  it("after loading, new records go straight to the registry", async () => {
    const metrics = createMetrics({ loadAfterMs: 0 });
    await metrics.scrape();
    metrics.observeRequest("GET", "/readyz", "503", 0.02);
    metrics.countRun("template", "success");
    const { text } = await metrics.scrape();
    metrics.close();
    assert.match(
      text,
      /cloakroom_http_request_duration_seconds_count\{method="GET",route="\/readyz",status="503"\} 1\n/,
    );
    assert.match(text, /cloakroom_runs_total\{kind="template",status="success"\} 1\n/);
  });
});
