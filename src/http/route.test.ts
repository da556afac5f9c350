/**
 * Response schemas are an allowlist: whatever a handler returns, the client receives only what the route's
 * declared schema names, and a body that does not fit its schema is a 500 that quotes nothing of it. At
 * compile time, a handler answering an undeclared status or a body of the wrong type does not build.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { createLogger } from "../logger.js";
import { createMetrics } from "./metrics.js";
import { defineRoute, noContent, ok, type RouteDef, SerializedBody } from "./route.js";
import { buildHttpServer } from "./server.js";

const SECRET = "s3cret-value-that-must-not-leave";
const item = z.object({ name: z.string(), version: z.number().int() });

/** What a service might hand back by mistake: the declared fields and one more. */
function serviceRecord(): { name: string; version: number; value: string } {
  return { name: "API_KEY", version: 3, value: SECRET };
}

const routes: RouteDef[] = [
  defineRoute({
    method: "GET",
    url: "/one",
    summary: "one",
    tags: ["test"],
    auth: "none",
    responses: { 200: item },
    handler: async () => ({ ...ok(serviceRecord()), headers: { "cache-control": "no-store" } }),
  }),
  defineRoute({
    method: "GET",
    url: "/list",
    summary: "list",
    tags: ["test"],
    auth: "none",
    responses: { 200: z.object({ items: z.array(item) }) },
    handler: async () => ok({ items: [serviceRecord(), serviceRecord()] }),
  }),
  defineRoute({
    method: "GET",
    url: "/misfit",
    summary: "a body its schema refuses, as a bug would return it",
    tags: ["test"],
    auth: "none",
    responses: { 200: item },
    handler: async () => ok({ name: SECRET, version: "three" } as unknown as z.input<typeof item>),
  }),
  defineRoute({
    method: "GET",
    url: "/written",
    summary: "a body its service wrote as JSON text from the declared schema (decision 0325)",
    tags: ["test"],
    auth: "none",
    responses: { 200: item },
    handler: async () => ok(new SerializedBody(item, '{"name":"API_KEY","version":3}')),
  }),
  defineRoute({
    method: "GET",
    url: "/written-elsewhere",
    summary: "text written from another schema than the one declared",
    tags: ["test"],
    auth: "none",
    responses: { 200: item },
    handler: async () =>
      ok(new SerializedBody(z.object({ value: z.string() }), JSON.stringify({ value: SECRET })) as never),
  }),
];

// Compile-time checks: each line below must fail to type-check (tsc fails on an unused @ts-expect-error).
defineRoute({
  method: "GET",
  url: "/wrong-type",
  summary: "",
  tags: [],
  responses: { 200: item },
  // @ts-expect-error version must be a number
  handler: async () => ok({ name: "A", version: "1" }),
});
defineRoute({
  method: "GET",
  url: "/missing-field",
  summary: "",
  tags: [],
  responses: { 200: item },
  // @ts-expect-error name is required
  handler: async () => ok({ version: 1 }),
});
defineRoute({
  method: "DELETE",
  url: "/undeclared-status",
  summary: "",
  tags: [],
  responses: { 200: item },
  // @ts-expect-error 204 is not declared
  handler: async () => noContent(),
});

describe("response schemas", () => {
  let app: FastifyInstance;
  before(async () => {
    app = await buildHttpServer({
      logger: createLogger({ level: "silent" }),
      routes,
      metrics: createMetrics(),
      version: "test",
      authenticate: async () => null,
      recordDenied: async () => {},
      ready: async () => ({ ready: true, checks: { database: "ok", worker: "ok" } }),
    });
  });
  after(() => app.close());

  it("a key the schema does not name is dropped from the answer, and the answer's headers are sent", async () => {
    const res = await app.inject({ method: "GET", url: "/one" });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { name: "API_KEY", version: 3 });
    assert.ok(!res.body.includes(SECRET));
    assert.equal(res.headers["cache-control"], "no-store");
  });

  it("keys are dropped inside arrays of objects too", async () => {
    const res = await app.inject({ method: "GET", url: "/list" });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      items: [
        { name: "API_KEY", version: 3 },
        { name: "API_KEY", version: 3 },
      ],
    });
  });

  it("text written from the declared schema is sent as it is, as JSON; text of another schema is a 500", async () => {
    const written = await app.inject({ method: "GET", url: "/written" });
    assert.equal(written.statusCode, 200);
    assert.equal(written.headers["content-type"], "application/json; charset=utf-8");
    assert.equal(written.body, '{"name":"API_KEY","version":3}');
    const elsewhere = await app.inject({ method: "GET", url: "/written-elsewhere" });
    assert.equal(elsewhere.statusCode, 500);
    assert.equal(elsewhere.json().error.code, "internal");
    assert.ok(!elsewhere.body.includes(SECRET));
  });

  it("a body its schema refuses is a 500 in the error shape that quotes nothing of it", async () => {
    const res = await app.inject({ method: "GET", url: "/misfit" });
    assert.equal(res.statusCode, 500);
    assert.equal(res.json().error.code, "internal");
    assert.ok(!res.body.includes(SECRET));
  });
});
