/**
 * Test support: an organization with a project on a running test server, and short calls for what runtime
 * tests do over HTTP (secrets, consumers, events, logs). Every answer's text is kept so a suite can check
 * at the end that none carried a value.
 */
import assert from "node:assert/strict";
import type { TestDatabase } from "./databases.js";
import { startTestServer, type TestResponse, type TestServer } from "./server.js";
import { type Sink, startSink } from "./sink.js";

export interface RuntimeFixture {
  org: string;
  project: string;
  owner: string;
  /** Every response text seen so far. */
  seen: string[];
  call(method: string, path: string, token?: string, body?: unknown): Promise<TestResponse>;
  /** `/v1/orgs/<org>/projects/<project>` + path */
  p(path: string): string;
  tokenFor(role: "owner" | "admin" | "editor" | "viewer"): Promise<string>;
  secret(name: string, type: "token" | "username_password" | "json", value: unknown): Promise<void>;
  integration(body: Record<string, unknown>): Promise<{ id: string }>;
  logic(body: Record<string, unknown>): Promise<{ id: string }>;
  publish(name: string, data?: unknown): Promise<string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read entries loosely and assert on them
  logs(query?: string): Promise<any[]>;
}

export interface RuntimeSuite {
  server: TestServer;
  f: RuntimeFixture;
  sink: Sink;
}

/** What a runtime suite starts with: a test server over `database`, the default fixture on it, and a sink. */
export async function startRuntimeSuite(database: TestDatabase): Promise<RuntimeSuite> {
  const server = await startTestServer(database);
  const f = await runtimeFixture(server);
  const sink = await startSink();
  return { server, f, sink };
}

export async function runtimeFixture(
  server: TestServer,
  options: { org?: string; project?: string } = {},
): Promise<RuntimeFixture> {
  const org = options.org ?? "acme";
  const project = options.project ?? "web";
  const seen: string[] = [];
  const { token: owner } = await server.setup({ org });
  const call: RuntimeFixture["call"] = async (method, path, token = owner, body) => {
    const res = await server.request(method, path, { token, ...(body !== undefined ? { body } : {}) });
    seen.push(res.text);
    return res;
  };
  const created = await call("POST", `/v1/orgs/${org}/projects`, owner, { slug: project, name: project });
  assert.equal(created.status, 201, created.text);
  const p = (path: string) => `/v1/orgs/${org}/projects/${project}${path}`;

  return {
    org,
    project,
    owner,
    seen,
    call,
    p,
    async tokenFor(role) {
      const res = await call("POST", `/v1/orgs/${org}/tokens`, owner, {
        name: `${role}-${seen.length}`,
        role,
      });
      assert.equal(res.status, 201, res.text);
      return res.body.token as string;
    },
    async secret(name, type, value) {
      const res = await call("POST", `/v1/orgs/${org}/secrets`, owner, { name, type, value });
      assert.equal(res.status, 201, res.text);
    },
    async integration(body) {
      const res = await call("POST", p("/integrations"), owner, body);
      assert.equal(res.status, 201, res.text);
      return res.body as { id: string };
    },
    async logic(body) {
      const res = await call("POST", p("/logic"), owner, body);
      assert.equal(res.status, 201, res.text);
      return res.body as { id: string };
    },
    async publish(name, data) {
      const res = await call("POST", p("/events"), owner, data === undefined ? { name } : { name, data });
      assert.equal(res.status, 202, res.text);
      return res.body.id as string;
    },
    async logs(query = "") {
      const res = await call("GET", p(`/logs${query}`));
      assert.equal(res.status, 200, res.text);
      return res.body.entries;
    },
  };
}

export async function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The ids of the run-log entries the answers carried (a run's own answer, a log page): a suite's closing
 * search checks that at least these many were stored, so it covers whichever of its tests ran, all or one.
 */
export function reportedRuns(answers: string[]): Set<string> {
  const ids = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) for (const item of value) visit(item);
    else if (value !== null && typeof value === "object") {
      const v = value as Record<string, unknown>;
      if (typeof v.id === "string" && typeof v.status === "string" && typeof v.consumer === "object")
        ids.add(v.id);
      else for (const item of Object.values(v)) visit(item);
    }
  };
  for (const text of answers) {
    try {
      visit(JSON.parse(text));
    } catch {
      // Not JSON: no entry in it.
    }
  }
  return ids;
}
