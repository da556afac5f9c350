/**
 * ARCHITECTURE.md's cross-node promise (D2), end to end on PostgreSQL: two real `cloakroom serve` processes
 * on one database. Node A takes every write and delivers nothing; node B delivers every run, to a local
 * sink that records the secret value each delivery carried, and caches secret views for ten minutes. A
 * rotation through A is used by B's next run; and after B's LISTEN backend is killed on the server
 * (`pg_terminate_backend`, found by the listener's application_name), B drops its caches and serves the
 * new value long before its ten-minute cache lifetime, then listens again.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type Sink, startSink } from "../src/runtime/runner/testing/sink.js";
import { listenerApplicationName } from "../src/store/listener.js";
import { tempDir } from "../src/store/testing.js";
import { createPgTestSchema, type PgTestSchema, pgQuery } from "../src/testing/postgres.js";
import { type ServerProcess, startServerProcess } from "../src/testing/process.js";

const base = process.env.TEST_DATABASE_URL;
const LISTEN_TIMEOUT_MS = 1000;
/** Far longer than the test: a value B serves after a rotation cannot come from its cache expiring. */
const CACHE_TTL_MS = 600_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  what: string,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function call(node: ServerProcess, method: string, path: string, token?: string, body?: unknown) {
  const res = await fetch(node.url + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, text, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

describe("two nodes on one postgres database", { skip: base ? false : "needs TEST_DATABASE_URL" }, () => {
  let db: PgTestSchema | undefined;
  let a: ServerProcess | undefined;
  let b: ServerProcess | undefined;
  let sink: Sink;
  let token = "";
  let nextEvent = 0;

  /** B's LISTEN backends (normally one), by the listener's application_name. */
  const listenBackends = async () => {
    const name = listenerApplicationName(b?.child.pid ?? -1);
    const rows = await pgQuery<{ pid: number }>(
      base as string,
      "select pid from pg_stat_activity where application_name = $1",
      [name],
    );
    return rows.map((r) => r.pid);
  };

  /** Publishes an event on A and waits for B's delivery of it; the API_KEY value it carried. */
  const deliveredKey = async () => {
    const i = nextEvent++;
    const res = await call(a as ServerProcess, "POST", "/v1/orgs/acme/projects/web/events", token, {
      name: "order.created",
      data: { i },
    });
    assert.equal(res.status, 202, res.text);
    const request = await until(
      () => sink.requests.find((r) => (JSON.parse(r.body) as { i: number }).i === i),
      15_000,
      `B's delivery of event ${i}`,
    );
    return request.headers["x-key"];
  };

  const rotate = async (value: string) => {
    const res = await call(a as ServerProcess, "PUT", "/v1/orgs/acme/secrets/API_KEY/value", token, {
      value,
    });
    assert.equal(res.status, 200, res.text);
  };

  before(async () => {
    db = await createPgTestSchema(base as string);
    const env = {
      DATABASE_URL: db.urlFor(),
      CLOAKROOM_ROOT_KEY: randomBytes(32).toString("base64"),
      CLOAKROOM_ALLOW_PRIVATE_TARGETS: "true",
      CLOAKROOM_CACHE_TTL_MS: String(CACHE_TTL_MS),
      CLOAKROOM_LISTEN_HEARTBEAT_MS: "200",
      CLOAKROOM_LISTEN_TIMEOUT_MS: String(LISTEN_TIMEOUT_MS),
    };
    sink = await startSink();
    a = await startServerProcess(["--data-dir", tempDir()], { ...env, CLOAKROOM_WORKERS: "0" }, 60_000);
    const setup = await call(a, "POST", "/v1/setup", undefined, {
      org: "acme",
      email: "owner@example.com",
      password: "correct horse battery staple",
    });
    assert.equal(setup.status, 201, setup.text);
    token = setup.body.token as string;
    assert.equal(
      (await call(a, "POST", "/v1/orgs/acme/projects", token, { slug: "web", name: "web" })).status,
      201,
    );
    const secret = { name: "API_KEY", type: "token", value: "key-0" };
    assert.equal((await call(a, "POST", "/v1/orgs/acme/secrets", token, secret)).status, 201);
    const hook = await call(a, "POST", "/v1/orgs/acme/projects/web/integrations", token, {
      name: "sink",
      event: "order",
      secrets: ["API_KEY"],
      request: {
        method: "POST",
        url: `${sink.url}/hook`,
        headers: { "X-Key": "{{{API_KEY}}}" },
        body: "{{{event.data}}}",
      },
    });
    assert.equal(hook.status, 201, hook.text);
    b = await startServerProcess(["--data-dir", tempDir()], { ...env, CLOAKROOM_WORKERS: "1" }, 60_000);
  });

  after(async () => {
    await b?.stop();
    await a?.stop();
    await sink?.close();
    await db?.drop();
  });

  it("a rotation through node A is used by node B's next run", async () => {
    assert.equal(await deliveredKey(), "key-0");
    assert.equal(await deliveredKey(), "key-0", "B's second run, from its cache");
    await rotate("key-1");
    assert.equal(await deliveredKey(), "key-1", "B used a value A had replaced");
  });

  it("after B's LISTEN backend is killed, B drops its caches, serves the new value, and listens again", async () => {
    assert.equal(await deliveredKey(), "key-1", "B's cache is warm");
    const [killed] = await until(
      async () => {
        const pids = await listenBackends();
        return pids.length === 1 ? pids : undefined;
      },
      10_000,
      "B's one LISTEN backend",
    );
    const terminated = await pgQuery<{ ok: boolean }>(
      base as string,
      "select pg_terminate_backend($1) as ok",
      [killed],
    );
    assert.deepEqual(terminated, [{ ok: true }]);
    // Rotated at once, while B may not hear: its notice can be lost with the connection.
    await rotate("key-2");
    assert.equal(await deliveredKey(), "key-2", "B served a value from before the rotation");
    await until(
      () => /change notice connection was lost/.test(b?.output() ?? "") || undefined,
      5_000,
      "B's log of the lost connection",
    );
    // A new backend, under the same name: B listens again, and hears the next rotation.
    const [again] = await until(
      async () => {
        const pids = await listenBackends();
        return pids.length === 1 && pids[0] !== killed ? pids : undefined;
      },
      10 * LISTEN_TIMEOUT_MS,
      "B's new LISTEN backend",
    );
    assert.notEqual(again, killed);
    assert.equal(await deliveredKey(), "key-2");
    await rotate("key-3");
    assert.equal(await deliveredKey(), "key-3", "B missed a rotation after listening again");
  });
});
