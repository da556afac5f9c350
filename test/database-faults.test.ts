/**
 * D2 under database faults, with real `cloakroom serve` processes on PostgreSQL: a connection that drops
 * mid-transaction fails that request with 503 and nothing else; a node whose connections go silent stops
 * holding runs (another node delivers them within the lease), says it is not ready, and still ends on
 * SIGTERM within its deadline; runs that waited in a killed node's memory are not charged an attempt.
 * PostgreSQL only (skipped without TEST_DATABASE_URL; CI sets it).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import pg from "pg";
import { tempDir } from "../src/testing/databases.js";
import { callServer } from "../src/testing/http.js";
import { createPgTestSchema, pgQuery } from "../src/testing/postgres.js";
import { type ServerProcess, startServerProcess } from "../src/testing/process.js";
import { eventually } from "../src/testing/runtime.js";
import { startSink } from "../src/testing/sink.js";
import { startTcpProxy } from "../src/testing/tcp-proxy.js";

const baseUrl = process.env.TEST_DATABASE_URL;

/** A webhook target that answers after `delayMs` (changeable) and counts deliveries per run id. */
async function slowSink(delayMs: number) {
  const deliveries = new Map<string, number>();
  let delay = delayMs;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const id = String(req.headers["x-cloakroom-delivery"]);
      deliveries.set(id, (deliveries.get(id) ?? 0) + 1);
      const timer = setTimeout(() => res.end("ok"), delay);
      res.on("close", () => clearTimeout(timer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    deliveries,
    received: () => [...deliveries.values()].reduce((a, b) => a + b, 0),
    setDelay(ms: number) {
      delay = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An API call that gives up after 30 s (a frozen node must not hang the suite). */
const call = (url: string, method: string, path: string, token?: string, body?: unknown) =>
  callServer(url, method, path, token, body, { timeoutMs: 30_000 });

/** Setup, a project `web`, and `consumers` webhook integrations on event `order` posting to the sink. */
async function seed(url: string, sink: { url: string }, consumers: number): Promise<string> {
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

/** One statement on a connection of its own. */
const query = <T extends pg.QueryResultRow>(text: string, values?: unknown[]) =>
  pgQuery<T>(baseUrl ?? "", text, values);

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
    const db = await createPgTestSchema(baseUrl ?? "");
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

  it("a node whose connections go silent gives its runs up to another node within the lease, says it is not ready, and ends on SIGTERM within its deadline", async () => {
    const db = await createPgTestSchema(baseUrl ?? "");
    cleanup.push(db.drop);
    const proxy = await startTcpProxy({
      host: "127.0.0.1",
      port: Number(new URL(baseUrl ?? "").port || 5432),
    });
    cleanup.push(() => proxy.close());
    const sink = await slowSink(1_500);
    cleanup.push(() => sink.close());
    const leaseMs = 3_000;
    const shutdownMs = 5_000;
    const faults = {
      CLOAKROOM_WORKERS: "1",
      CLOAKROOM_RUN_LEASE_MS: String(leaseMs),
      CLOAKROOM_RUN_STUCK_MS: "2500",
      CLOAKROOM_RUN_STOP_GRACE_MS: "1000",
      CLOAKROOM_SHUTDOWN_TIMEOUT_MS: String(shutdownMs),
      CLOAKROOM_DB_CONNECT_TIMEOUT_MS: "2000",
      CLOAKROOM_DB_STATEMENT_TIMEOUT_MS: "2000",
      CLOAKROOM_DB_QUERY_TIMEOUT_MS: "3000",
      CLOAKROOM_DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: "2000",
    };
    const a = track(
      await startServerProcess(["--data-dir", tempDir()], nodeEnv(db.urlFor(proxy.port), faults)),
    );
    const token = await seed(a.url, sink, 2);
    const b = track(await startServerProcess(["--data-dir", tempDir()], nodeEnv(db.urlFor(), faults)));
    await publish(a.url, token, 10);
    const total = 20;
    // A holds runs: some executing (the target is slow), the rest waiting in its memory.
    await eventually(async () => sink.received() >= 1, 10_000, "node A to start delivering");
    const heldByA = await query<{ n: number }>(
      `select count(*)::int as n from ${db.schema}.runs where status = 'running' and locked_by like $1`,
      [`%/${a.child.pid}/%`],
    );
    assert.ok((heldByA[0]?.n ?? 0) > 0, "node A holds runs when its connections freeze");

    proxy.freeze();
    const frozenAt = Date.now();
    const ready = await call(a.url, "GET", "/readyz");
    assert.equal(ready.status, 503, ready.text);
    assert.equal(ready.body.checks.database, "unavailable");
    assert.ok(Date.now() - frozenAt < 10_000, "readiness answers while the database is silent");

    await eventually(
      async () => {
        const rows = await query<{ n: number }>(
          `select count(*)::int as n from ${db.schema}.runs where status = 'success'`,
        );
        return rows[0]?.n === total;
      },
      leaseMs + 30_000,
      "every run to be delivered by node B",
    );
    const deliveredAfterMs = Date.now() - frozenAt;
    // A cannot write while frozen: every success was recorded by B. Each run was charged only attempts that ran.
    assert.ok(
      deliveredAfterMs < leaseMs + 20_000,
      `runs delivered ${deliveredAfterMs} ms after the freeze (lease ${leaseMs} ms)`,
    );
    process.stderr.write(`# frozen node's runs delivered by another node after ${deliveredAfterMs} ms\n`);
    await eventually(
      async () => /the run worker is stuck/.test(a.output()) || /database is unavailable/.test(a.output()),
      10_000,
      "node A to log its stuck worker",
    );

    const termAt = Date.now();
    await a.stop("SIGTERM");
    const tookMs = Date.now() - termAt;
    assert.ok(tookMs < shutdownMs + 3_000, `SIGTERM took ${tookMs} ms (deadline ${shutdownMs} ms)`);
    assert.equal(await b.stop(), 0);
  });

  it("runs waiting in a killed node's memory are not charged an attempt", async () => {
    const db = await createPgTestSchema(baseUrl ?? "");
    cleanup.push(db.drop);
    const sink = await slowSink(60_000);
    cleanup.push(() => sink.close());
    // One worker: 32 runs execute at once and as many more wait in memory.
    const env = { CLOAKROOM_WORKERS: "1", CLOAKROOM_RUN_LEASE_MS: "2000" };
    const a = track(await startServerProcess(["--data-dir", tempDir()], nodeEnv(db.urlFor(), env)));
    const token = await seed(a.url, sink, 8);
    await publish(a.url, token, 6);
    const total = 48;
    await eventually(async () => sink.received() >= 32, 20_000, "32 runs to be executing");
    await eventually(
      async () =>
        (
          await query<{ n: number }>(
            `select count(*)::int as n from ${db.schema}.runs where status = 'running'`,
          )
        )[0]?.n === total,
      10_000,
      "node A to hold every run",
    );
    assert.equal(sink.received(), 32, "only the runs with a slot started");
    await a.stop("SIGKILL");

    sink.setDelay(0);
    const b = track(await startServerProcess(["--data-dir", tempDir()], nodeEnv(db.urlFor(), env)));
    await eventually(
      async () =>
        (
          await query<{ n: number }>(
            `select count(*)::int as n from ${db.schema}.runs where status = 'success'`,
          )
        )[0]?.n === total,
      30_000,
      "node B to deliver every run",
    );
    const runs = await query<{ id: string; attempts: number }>(`select id, attempts from ${db.schema}.runs`);
    const wrong = runs.filter((r) => r.attempts !== sink.deliveries.get(r.id));
    assert.deepEqual(
      wrong.map((r) => `${r.id}: ${r.attempts} attempts, ${sink.deliveries.get(r.id) ?? 0} deliveries`),
      [],
    );
    assert.equal(runs.filter((r) => r.attempts === 1).length, 16, "the 16 that only waited were tried once");
    assert.equal(await b.stop(), 0);
  });
});
