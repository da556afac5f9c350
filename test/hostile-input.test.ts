/**
 * Bad input never gets a 500 (SPEC "Bad input"): every route of the OpenAPI document receives hostile
 * bodies and hostile path parameters, as the owner (so the request reaches validation and the service),
 * and must answer a 4xx in the error shape, or a success for inputs that happen to be valid.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { testDatabases } from "../src/testing/databases.js";
import { startTestServer, type TestServer } from "../src/testing/server.js";

const database = testDatabases()[0]!;

const hostileBodies: unknown[] = [
  null,
  [],
  "string",
  42,
  {},
  { name: 1, slug: [], email: {}, value: null, role: "root", code: 5, request: "x", version: "1" },
  { name: "x".repeat(100_000), slug: "y".repeat(10_000), description: "z".repeat(100_000) },
  { name: "A\u0000B", slug: "a\nb", email: "a@b\r\nX-Injected: 1", description: "\u0007" },
  { name: "../../etc/passwd", slug: "../..", org: "..%2F..", project: "%00" },
  { constructor: { prototype: { polluted: true } } },
  { toString: "x", valueOf: 1, hasOwnProperty: "y" },
  { version: -1, expectedVersion: 1e308, limit: Number.MAX_SAFE_INTEGER, timeoutMs: -5, memoryMb: 1e9 },
];

describe("hostile input on every route", () => {
  let server: TestServer;
  let token: string;
  const ids: Record<string, string> = {};

  before(async () => {
    server = await startTestServer(database);
    token = (await server.setup()).token;
    const post = async (path: string, body: unknown) => {
      const res = await server.request("POST", path, { token, body });
      assert.ok(res.status < 300, `${path}: ${res.text}`);
      return res.body;
    };
    await post("/v1/orgs/acme/projects", { slug: "web", name: "Web" });
    await post("/v1/orgs/acme/secrets", { name: "API_KEY", type: "token", value: "hostile-test-value" });
    ids.userId = (
      await server.addMember({ token, org: "acme", email: "m@example.com", role: "viewer" })
    ).userId;
    ids.tokenId = (await post("/v1/orgs/acme/tokens", { name: "t", role: "viewer" })).id;
  });
  after(() => server.close());

  async function routes() {
    const doc = (await server.request("GET", "/v1/openapi.json")).body;
    const out: { method: string; path: string; hasBody: boolean }[] = [];
    for (const [path, ops] of Object.entries(
      doc.paths as Record<string, Record<string, { requestBody?: unknown }>>,
    )) {
      for (const [method, op] of Object.entries(ops))
        out.push({ method: method.toUpperCase(), path, hasBody: Boolean(op.requestBody) });
    }
    return out;
  }
  const fill = (path: string, overrides: Record<string, string> = {}) =>
    path.replace(/\{(\w+)\}/g, (_, p: string) => {
      const values: Record<string, string> = {
        org: "acme",
        project: "web",
        name: "API_KEY",
        id: "00000000-0000-7000-8000-000000000000",
        ...ids,
        ...overrides,
      };
      return encodeURIComponent(values[p] ?? "x");
    });

  const check = (
    what: string,
    res: { status: number; body: { error?: { code?: string } } | undefined; text: string },
  ) => {
    assert.ok(res.status < 500, `${what} → ${res.status} ${res.text.slice(0, 300)}`);
    if (res.status >= 400) assert.equal(typeof res.body?.error?.code, "string", `${what}: error shape`);
  };

  it("hostile JSON bodies get a 4xx in the error shape, never a 500", async () => {
    for (const route of await routes()) {
      if (!route.hasBody || route.path === "/v1/setup") continue;
      for (const body of hostileBodies) {
        const res = await server.request(route.method, fill(route.path), { token, body });
        check(`${route.method} ${route.path} ${JSON.stringify(body).slice(0, 80)}`, res);
      }
      const proto = await server.request(route.method, fill(route.path), {
        token,
        rawBody: '{"__proto__": {"polluted": true}}',
        headers: { "content-type": "application/json" },
      });
      assert.equal(proto.status, 400, `${route.method} ${route.path} __proto__`);
      const broken = await server.request(route.method, fill(route.path), {
        token,
        rawBody: '{"a": ',
        headers: { "content-type": "application/json" },
      });
      assert.equal(broken.status, 400, `${route.method} ${route.path} malformed`);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it("hostile path parameters get a 4xx, never a 500", async () => {
    const tricks = ["..", "../..", "%00", "a".repeat(400), "ÄÖÜ", "__proto__", "constructor", " ", "-1"];
    for (const route of await routes()) {
      if (!route.path.includes("{")) continue;
      for (const trick of tricks) {
        const params = Object.fromEntries([...route.path.matchAll(/\{(\w+)\}/g)].map((m) => [m[1]!, trick]));
        const res = await server.request(route.method, fill(route.path, params), {
          token,
          ...(route.hasBody ? { body: {} } : {}),
        });
        check(`${route.method} ${route.path} with ${trick.slice(0, 20)}`, res);
      }
    }
  });

  it("random JSON bodies never produce a 500 (property)", async () => {
    const all = (await routes()).filter((r) => r.hasBody && r.path !== "/v1/setup");
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...all), fc.jsonValue({ maxDepth: 3 }), async (route, body) => {
        const res = await server.request(route.method, fill(route.path), { token, body });
        check(`${route.method} ${route.path}`, res);
      }),
      { numRuns: 150 },
    );
  });
});
