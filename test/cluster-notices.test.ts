/**
 * Change notices between real `cloakroom serve` nodes on PostgreSQL under faults (D2, issue 8 items 3 and 5).
 * Node A takes the writes and delivers nothing; node B delivers every run, caches secret views for ten
 * minutes, polls for runs only once a minute, and reaches PostgreSQL directly except for its LISTEN
 * connection, which goes through a TCP proxy the test can reset or freeze. Every delivery goes to a local
 * sink that records the secret value it carried.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { tempDir } from "../src/testing/databases.js";
import { createPgTestSchema, type PgTestSchema } from "../src/testing/postgres.js";
import { type ServerProcess, startServerProcess } from "../src/testing/process.js";
import { type Sink, startSink } from "../src/testing/sink.js";
import { startTcpProxy, type TcpProxy } from "../src/testing/tcp-proxy.js";

const base = process.env.TEST_DATABASE_URL;
const HEARTBEAT_MS = 200;
const LISTEN_TIMEOUT_MS = 1000;

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
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as Record<string, unknown> };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe("change notices between nodes on postgres", {
  skip: base ? false : "needs TEST_DATABASE_URL",
}, () => {
  let db: PgTestSchema | undefined;
  let a: ServerProcess;
  let b: ServerProcess | undefined;
  let proxy: TcpProxy;
  let sink: Sink;
  let token: string;
  let env: Record<string, string>;
  let listenUrl: string;
  const events = "/v1/orgs/acme/projects/web/events";

  /** The key each delivery carried, by the event's `i`. */
  const delivered = () =>
    sink.requests.map((r) => ({ i: (JSON.parse(r.body) as { i: number }).i, key: r.headers["x-key"] }));
  let nextEvent = 0;
  const publish = async (node: ServerProcess) => {
    const i = nextEvent++;
    const res = await call(node, "POST", events, token, { name: "order.created", data: { i } });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return i;
  };
  const rotate = async (value: string) => {
    const res = await call(a, "PUT", "/v1/orgs/acme/secrets/API_KEY/value", token, { value });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  };
  const deliveredEvent = (i: number) => delivered().find((d) => d.i === i);
  /** Rotates API_KEY to `value`, then publishes five events on `node`; the key each delivery carried. */
  const keysAfterRotation = async (node: ServerProcess, value: string) => {
    await rotate(value);
    const after: number[] = [];
    for (let k = 0; k < 5; k++) after.push(await publish(node));
    await until(
      () => after.every((i) => deliveredEvent(i) !== undefined),
      15_000,
      "deliveries after rotation",
    );
    return after.map((i) => deliveredEvent(i)?.key);
  };

  before(async () => {
    db = await createPgTestSchema(base as string);
    const pgUrl = new URL(base as string);
    proxy = await startTcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) });
    listenUrl = db.urlFor(proxy.port);
    env = {
      DATABASE_URL: db.urlFor(),
      CLOAKROOM_ROOT_KEY: randomBytes(32).toString("base64"),
      CLOAKROOM_ALLOW_PRIVATE_TARGETS: "true",
      CLOAKROOM_CACHE_TTL_MS: "600000",
      CLOAKROOM_RUN_POLL_MS: "60000",
      CLOAKROOM_LISTEN_HEARTBEAT_MS: String(HEARTBEAT_MS),
      CLOAKROOM_LISTEN_TIMEOUT_MS: String(LISTEN_TIMEOUT_MS),
    };
    sink = await startSink();
    a = await startServerProcess(["--data-dir", tempDir()], { ...env, CLOAKROOM_WORKERS: "0" }, 60_000);
    const setup = await call(a, "POST", "/v1/setup", undefined, {
      org: "acme",
      email: "owner@example.com",
      password: "correct horse battery staple",
    });
    assert.equal(setup.status, 201);
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
        query: {},
        body: "{{{event.data}}}",
        basicAuth: null,
      },
    });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
  });

  after(async () => {
    await b?.stop();
    await a?.stop();
    await sink?.close();
    await proxy?.close();
    await db?.drop();
  });

  it("a node delivers nothing until its first LISTEN succeeds", async () => {
    proxy.freeze();
    b = await startServerProcess(
      ["--data-dir", tempDir()],
      { ...env, CLOAKROOM_WORKERS: "1", CLOAKROOM_LISTEN_DATABASE_URL: listenUrl },
      60_000,
    );
    const i = await publish(b);
    await sleep(2 * LISTEN_TIMEOUT_MS);
    assert.equal(deliveredEvent(i), undefined, "B delivered a run before it could hear change notices");
    proxy.thaw();
    await until(() => deliveredEvent(i) !== undefined, 20_000, "B to deliver once listening");
    assert.equal(deliveredEvent(i)?.key, "key-0");
  });

  it("a run published on another node starts at once, not at the next poll", async () => {
    // B's poll is a minute away: only a notice from A's publish can wake B's worker in time.
    const started = Date.now();
    const i = await publish(a);
    // Waits past B's poll, so a run that only the poll picked up fails the bound below, not the wait.
    await until(() => deliveredEvent(i) !== undefined, 70_000, "B to deliver A's event");
    const tookMs = Date.now() - started;
    assert.ok(tookMs < 15_000, `B delivered after ${tookMs} ms: at its poll, not at A's notice`);
  });

  it("a token revoked on one node stops working on another at once, though that node caches token lookups", async () => {
    const node = b as ServerProcess;
    const created = await call(a, "POST", "/v1/orgs/acme/tokens", token, {
      name: "short-lived",
      role: "editor",
    });
    assert.equal(created.status, 201);
    const revocable = created.body.token as string;
    const id = created.body.id as string;
    // B looks the token up (and caches the row for up to ten minutes).
    for (let k = 0; k < 3; k++)
      assert.equal((await call(node, "GET", "/v1/orgs/acme/secrets", revocable)).status, 200);
    assert.equal((await call(a, "DELETE", `/v1/orgs/acme/tokens/${id}`, token)).status, 204);
    // The notice travels with the commit; allow it the time a NOTIFY takes to cross, nothing like the TTL.
    let status = 0;
    const deadline = Date.now() + 2000;
    do status = (await call(node, "GET", "/v1/orgs/acme/secrets", revocable)).status;
    while (status === 200 && Date.now() < deadline);
    assert.equal(status, 401, "B still accepted a revoked token");
  });

  it("a session ended, a role lowered or a member removed on one node holds on another at once, though that node caches sessions and roles", async () => {
    const node = b as ServerProcess;
    const invited = await call(a, "POST", "/v1/orgs/acme/members", token, {
      email: "cached@example.com",
      role: "admin",
    });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const accepted = await call(a, "POST", "/v1/invitations/accept", undefined, {
      token: invited.body.inviteToken,
      password: "member password 1",
    });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const session = accepted.body.token as string;
    const me = await call(a, "GET", "/v1/me", session);
    const userId = (me.body.user as { id: string }).id;
    const create = (name: string) =>
      call(node, "POST", "/v1/orgs/acme/secrets", session, { name, type: "token", value: "v" });
    /** B's answer once the change had the time a NOTIFY takes to cross, nothing like the ten-minute TTL. */
    const settled = async (request: () => Promise<{ status: number }>, from: number) => {
      let status = from;
      const deadline = Date.now() + 2000;
      do status = (await request()).status;
      while (status === from && Date.now() < deadline);
      return status;
    };
    // B looks the session and the role up (and caches both).
    assert.equal((await create("CACHED_1")).status, 201);
    assert.equal((await create("CACHED_2")).status, 201);
    const lowered = await call(a, "PATCH", `/v1/orgs/acme/members/${userId}`, token, { role: "viewer" });
    assert.equal(lowered.status, 200, JSON.stringify(lowered.body));
    let n = 3;
    assert.equal(await settled(() => create(`CACHED_${n++}`), 201), 403, "B still used the admin role");
    const list = () => call(node, "GET", "/v1/orgs/acme/secrets", session);
    assert.equal((await list()).status, 200);
    assert.equal((await call(a, "DELETE", `/v1/orgs/acme/members/${userId}`, token)).status, 204);
    assert.equal(await settled(list, 200), 404, "B still served a removed member");

    const second = await call(a, "POST", "/v1/auth/login", undefined, {
      email: "owner@example.com",
      password: "correct horse battery staple",
    });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    const ending = second.body.token as string;
    const mine = () => call(node, "GET", "/v1/orgs/acme/secrets", ending);
    assert.equal((await mine()).status, 200);
    assert.equal((await call(a, "POST", "/v1/auth/logout", ending)).status, 204);
    assert.equal(await settled(mine, 200), 401, "B still accepted an ended session");
  });

  it("a node whose listener was reset never sends a value rotated while it could not hear", async () => {
    const node = b as ServerProcess;
    const before = await publish(node);
    await until(() => deliveredEvent(before) !== undefined, 15_000, "the first delivery");
    assert.equal(deliveredEvent(before)?.key, "key-0");
    // Reset, and keep the link dead so the listener cannot come back for a while.
    proxy.reset();
    proxy.freeze();
    const during = await publish(node); // loaded while deaf: read through, never cached
    await until(() => deliveredEvent(during) !== undefined, 15_000, "a delivery while deaf");
    const keys = await keysAfterRotation(node, "key-1");
    assert.deepEqual(
      keys,
      keys.map(() => "key-1"),
      "B sent the old value after the rotation committed",
    );
    proxy.thaw();
    await until(
      () => /listening|connection was lost/.test(node.output()),
      5_000,
      "B's log of the lost notices",
    );
  });

  it("a node whose listener went silent stops serving its cache within the heartbeat bound", async () => {
    const node = b as ServerProcess;
    // Back to listening after the previous test: a fresh cached view of key-1.
    await sleep(2 * LISTEN_TIMEOUT_MS);
    const warm = await publish(node);
    await until(() => deliveredEvent(warm) !== undefined, 15_000, "a warm delivery");
    assert.equal(deliveredEvent(warm)?.key, "key-1");
    proxy.freeze();
    const frozenAt = Date.now();
    await until(
      () => /heartbeat late/.test(node.output()),
      10 * LISTEN_TIMEOUT_MS,
      "B to notice the silence",
    );
    const noticedMs = Date.now() - frozenAt;
    const keys = await keysAfterRotation(node, "key-2");
    assert.deepEqual(
      keys,
      keys.map(() => "key-2"),
      "B sent the old value while its listener was silent",
    );
    assert.ok(noticedMs < 10 * LISTEN_TIMEOUT_MS);
    // Thawed, B hears rotations again and uses the new value at once.
    proxy.thaw();
    await sleep(2 * LISTEN_TIMEOUT_MS);
    await rotate("key-3");
    const last = await publish(node);
    await until(() => deliveredEvent(last) !== undefined, 15_000, "a delivery after thawing");
    assert.equal(deliveredEvent(last)?.key, "key-3");
  });
});
