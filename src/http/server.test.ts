/** The HTTP surface every route shares: health, readiness, metrics, OpenAPI and the error shape. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "../store/testing.js";
import { startTestServer, type TestServer } from "../testing/server.js";

describe("HTTP surface", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(testDatabases()[0]!);
  });
  after(() => server.close());

  it("/healthz and /readyz answer without authentication", async () => {
    const health = await server.request("GET", "/healthz");
    assert.equal(health.status, 200);
    assert.equal(health.body.status, "ok");
    const ready = await server.request("GET", "/readyz");
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, "ready");
  });

  it("/metrics is Prometheus text with request latencies by route template", async () => {
    await server.request("GET", "/healthz");
    const res = await server.request("GET", "/metrics");
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/plain/);
    assert.match(res.text, /# TYPE cloakroom_http_request_duration_seconds histogram/);
    assert.match(res.text, /route="\/healthz"/);
    assert.match(res.text, /cloakroom_process_cpu_seconds_total/);
  });

  it("/v1/openapi.json documents every route with its schemas", async () => {
    const res = await server.request("GET", "/v1/openapi.json");
    assert.equal(res.status, 200);
    assert.equal(res.body.openapi, "3.1.0");
    const paths = res.body.paths as Record<
      string,
      Record<string, { requestBody?: unknown; parameters: unknown[] }>
    >;
    for (const [path, method] of [
      ["/v1/setup", "post"],
      ["/v1/auth/login", "post"],
      ["/v1/orgs", "get"],
      ["/v1/orgs/{org}/secrets", "post"],
      ["/v1/orgs/{org}/projects/{project}/secrets/{name}/value", "put"],
      ["/v1/orgs/{org}/secrets/{name}/rollback", "post"],
      ["/v1/orgs/{org}/audit", "get"],
      ["/v1/orgs/{org}/projects/{project}/events", "post"],
      ["/v1/orgs/{org}/projects/{project}/integrations", "post"],
      ["/v1/orgs/{org}/projects/{project}/logic/{id}/run", "post"],
      ["/v1/orgs/{org}/projects/{project}/logs", "get"],
      ["/v1/orgs/{org}/projects/{project}/templates", "post"],
      ["/v1/orgs/{org}/projects/{project}/templates/{id}/preview", "post"],
      ["/v1/orgs/{org}/projects/{project}/templates/{id}/test", "post"],
      ["/v1/orgs/{org}/projects/{project}/macros", "get"],
    ] as const) {
      assert.ok(paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);
    }
    const create = paths["/v1/orgs/{org}/secrets"]!.post!;
    assert.ok(create.requestBody, "the create body schema is documented");
    assert.ok(JSON.stringify(create.requestBody).includes('"username_password"'));
  });

  it("unknown routes and methods answer 404 in the error shape", async () => {
    for (const [method, path] of [
      ["GET", "/v1/nope"],
      ["DELETE", "/v1/setup"],
      ["GET", "/v1/orgs/acme/secrets/A/B/C"],
    ] as const) {
      const res = await server.request(method, path);
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.equal(res.body.error.code, "not_found");
    }
  });

  it("a body over 1 MiB is refused with 413 before anything reads it", async () => {
    const res = await server.request("POST", "/v1/setup", {
      rawBody: `{"org":"${"a".repeat(1_100_000)}"}`,
      headers: { "content-type": "application/json" },
    });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, "payload_too_large");
  });
});
