/**
 * D2 under database faults, with real `cloakroom serve` processes on PostgreSQL: a connection that drops
 * mid-transaction fails that request with 503 and nothing else; a node whose connections go silent stops
 * holding runs (another node delivers them within the lease), says it is not ready, and still ends on
 * SIGTERM within its deadline; runs that waited in a killed node's memory are not charged an attempt.
 * PostgreSQL only (skipped without TEST_DATABASE_URL; CI sets it).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { eventually } from "../src/runtime/runner/testing/fixture.js";
import { type Sink, startSink } from "../src/runtime/runner/testing/sink.js";
import { tempDir } from "../src/store/testing.js";
import { type ServerProcess, startServerProcess } from "../src/testing/process.js";
import { startTcpProxy, type TcpProxy } from "../src/testing/tcp-proxy.js";

const baseUrl = process.env.TEST_DATABASE_URL;

async function call(url: string, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(url + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  // biome-ignore lint/suspicious/noExplicitAny: tests read answers loosely and assert on them
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, text, body: parsed };
}

/** A fresh schema, and the DATABASE_URL of a node that uses it (through `port`, a proxy's, if given). */
async function freshSchema(): Promise<{
  schema: string;
  urlFor(port?: number): string;
  drop(): Promise<void>;
}> {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  return {
    schema,
    urlFor(port) {
      const u = new URL(baseUrl ?? "");
      if (port !== undefined) {
        u.hostname = "127.0.0.1";
        u.port = String(port);
      }
      u.searchParams.set("options", `-c search_path=${schema}`);
      return u.toString();
    },
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`).finally(() => c.end());
    },
  };
}

/** Setup, a project `web`, and `consumers` webhook integrations on event `order` posting to the sink. */
async function seed(url: string, sink: Sink, consumers: number): Promise<string> {
  const setup = await call(url, "POST", "/v1/setup", undefined, {
    org: "acme",
    email: "owner@example.com",
    password: "correct horse battery staple",
  });
  assert.equal(setup.status, 201, setup.text);
  const token = setup.body.token as string;
  const project = await call(url, "POST", "/v1/orgs/acme/projects", token, { slug: "web", name: "Web" });
  assert.equal(project.status, 201, project.text);
  for (let i = 0; i < consumers; i++) {
    const res = await call(url, "POST", "/v1/orgs/acme/projects/web/integrations", token, {
      name: `hook-${i}`,
      event: "order",
      request: { method: "POST", url: `${sink.url}/hook-${i}`, body: "{{event.id}}" },
    });
    assert.equal(res.status, 201, res.text);
  }
  return token;
}

async function publish(url: string, token: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const res = await call(url, "POST", "/v1/orgs/acme/projects/web/events", token, {
      name: "order.created",
      data: { i },
    });
    assert.equal(res.status, 202, res.text);
  }
}

async function query<T extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: baseUrl });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

const nodeEnv = (databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> => ({
  DATABASE_URL: databaseUrl,
  CLOAKROOM_ROOT_KEY: rootKey,
  CLOAKROOM_ALLOW_PRIVATE_TARGETS: "true",
  CLOAKROOM_LOG_LEVEL: "warn",
  CLOAKROOM_RUN_POLL_MS: "200",
  CLOAKROOM_RUN_RETRY_BASE_MS: "100",
  CLOAKROOM_RUN_RETRY_MAX_MS: "200",
  ...extra,
});
const rootKey = randomBytes(32).toString("base64");

describe("database faults on PostgreSQL", { skip: baseUrl ? false : "TEST_DATABASE_URL is not set" }, () => {
  const cleanup: (() => Promise<unknown>)[] = [];
  after(async () => {
    for (const fn of cleanup.reverse()) await fn().catch(() => undefined);
  });
  const track = (node: ServerProcess) => {
    cleanup.push(() => node.stop("SIGKILL"));
    return node;
  };

  it("a connection terminated mid-transaction fails that request with 503; the node lives on and the next request works", async () => {
    const db = await freshSchema();
    cleanup.push(db.drop);
    const sink = await startSink();
    cleanup.push(() => sink.close());
    const node = track(await startServerProcess(["--data-dir", tempDir()], nodeEnv(db.urlFor())));
    const token = await seed(node.url, sink, 0);

    // Hold a lock that the secret's insert must wait for, so its transaction is open on a known backend.
    const locker = new pg.Client({ connectionString: baseUrl });
    await locker.connect();
    cleanup.push(() => locker.end());
    await locker.query("begin");
    await locker.query(`lock table ${db.schema}.secrets in exclusive mode`);
    const lockerPid = (await locker.query<{ pid: number }>("select pg_backend_pid() as pid")).rows[0]?.pid;

    const pending = call(node.url, "POST", "/v1/orgs/acme/secrets", token, {
      name: "API_KEY",
      type: "token",
      value: "terminated-mid-write",
    });
    const blocked = await eventually(
      async () => {
        const rows = await query<{ pid: number }>(
          "select pid from pg_stat_activity where $1 = any(pg_blocking_pids(pid))",
          [lockerPid],
        );
        return rows[0]?.pid;
      },
      10_000,
      "the insert to wait for the lock",
    );
    await query("select pg_terminate_backend($1)", [blocked]);
    const answer = await pending;
    assert.equal(answer.status, 503, answer.text);
    assert.equal(answer.body.error.code, "unavailable");
    assert.doesNotMatch(answer.text, /terminated-mid-write/);
    await locker.query("rollback");

    assert.equal(node.child.exitCode, null, `the node exited:\n${node.output()}`);
    const again = await call(node.url, "POST", "/v1/orgs/acme/secrets", token, {
      name: "API_KEY",
      type: "token",
      value: "written-after-reconnect",
    });
    assert.equal(again.status, 201, again.text);
    assert.doesNotMatch(node.output(), /Unhandled 'error' event|terminated-mid-write/);
    assert.equal(await node.stop(), 0);
  });
});
