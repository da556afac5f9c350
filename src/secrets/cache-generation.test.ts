/**
 * The resolver cache across a reset of change notices (D2, issue 8 item 3): a load that was reading when
 * the notices were interrupted must not cache what it read, even for an organization that had nothing
 * cached when the reset came. Node A is a real server; node B is a secrets service of its own over the same
 * PostgreSQL schema, its LISTEN connection behind a TCP proxy, and its reads held at a gate the test opens.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { KyselyPlugin, PluginTransformResultArgs, QueryResult, UnknownRow } from "kysely";
import pino from "pino";
import { openStore, type Store } from "../store/db.js";
import { createNotifications, type Notifications } from "../store/notifications.js";
import { tempDir, testDatabases } from "../testing/databases.js";
import { secretsNode } from "../testing/secrets-node.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { startTcpProxy, type TcpProxy } from "../testing/tcp-proxy.js";
import type { SecretsService } from "./service.js";

/** Holds the results of B's queries while closed; the test opens it. */
function gate() {
  let closed = false;
  let held = 0;
  let open: () => void = () => {};
  let opened = Promise.resolve();
  const plugin: KyselyPlugin = {
    transformQuery: (args) => args.node,
    async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
      if (closed) {
        held += 1;
        await opened;
      }
      return args.result;
    },
  };
  return {
    plugin,
    held: () => held,
    close() {
      closed = true;
      opened = new Promise((resolve) => {
        open = resolve;
      });
    },
    open() {
      closed = false;
      open();
    },
  };
}

const waitFor = async (check: () => boolean, what: string, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

const postgres = testDatabases().find((d) => d.name === "postgres");

describe("resolver cache across a reset of change notices", {
  skip: postgres ? false : "needs PostgreSQL",
}, () => {
  let a: TestServer;
  let proxy: TcpProxy;
  let storeB: Store;
  let notificationsB: Notifications;
  let secretsB: SecretsService;
  const reads = gate();
  let token: string;
  let scope: { orgId: string; projectId: string };
  const consumer = { kind: "integration" as const, id: "c1", name: "hook" };

  before(async () => {
    a = await startTestServer(postgres!);
    ({ token } = await a.setup({ org: "acme" }));
    assert.equal(
      (await a.request("POST", "/v1/orgs/acme/projects", { token, body: { slug: "web", name: "web" } }))
        .status,
      201,
    );
    const created = await a.request("POST", "/v1/orgs/acme/secrets", {
      token,
      body: { name: "API_KEY", type: "token", value: "value-1" },
    });
    assert.equal(created.status, 201, created.text);
    const project = await a.cloakroom.store.db
      .selectFrom("projects")
      .select(["id", "org_id"])
      .executeTakeFirstOrThrow();
    scope = { orgId: project.org_id, projectId: project.id };

    const url = new URL(process.env.TEST_DATABASE_URL as string);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    const proxied = new URL(url);
    proxied.port = String(proxy.port);
    const pgSchema = (a.cloakroom.store.description.match(/schema (\w+)/) ?? [])[1] as string;
    const opened = await openStore({
      databaseUrl: url.toString(),
      listenUrl: proxied.toString(),
      dataDir: tempDir(),
      pgSchema,
      migrate: false,
    });
    storeB = { ...opened, db: opened.db.withPlugin(reads.plugin) };
    const logger = pino({ level: "silent" });
    notificationsB = createNotifications({
      store: storeB,
      logger,
      options: { heartbeatMs: 100, timeoutMs: 500 },
    });
    ({ secrets: secretsB } = await secretsNode({
      store: storeB,
      dataDir: a.config.dataDir,
      cacheTtlMs: 600_000,
      notifications: notificationsB,
      logger,
    }));
    notificationsB.start();
    await notificationsB.ready;
  });

  after(async () => {
    reads.open();
    await secretsB?.close();
    await notificationsB?.close();
    await storeB?.close();
    await proxy?.close();
    await a?.close();
  });

  const resolve = async () => (await secretsB.resolveForRun(scope, ["API_KEY"], consumer)).values.API_KEY;

  it("a load in flight across a reset does not cache the view it read", async () => {
    // B has nothing cached for the organization; its first load reads value-1 and is held at the gate.
    reads.close();
    const inFlight = resolve();
    await waitFor(() => reads.held() > 0, "B's read to reach the gate");
    // The notices break; a rotation commits that B cannot hear; B listens again.
    proxy.reset();
    proxy.freeze(); // B cannot listen again until the rotation has committed
    await waitFor(() => !notificationsB.listening(), "B to stop listening");
    const rotated = await a.request("PUT", "/v1/orgs/acme/secrets/API_KEY/value", {
      token,
      body: { value: "value-2" },
    });
    assert.equal(rotated.status, 200, rotated.text);
    proxy.thaw();
    await waitFor(() => notificationsB.listening(), "B to listen again");
    // The held read finishes with what it read before the rotation...
    reads.open();
    assert.equal(await inFlight, "value-1");
    // ...but must not have been cached: B's next run gets the rotated value.
    assert.equal(await resolve(), "value-2");
    // Listening again, B hears the next rotation through its notice.
    const again = await a.request("PUT", "/v1/orgs/acme/secrets/API_KEY/value", {
      token,
      body: { value: "value-3" },
    });
    assert.equal(again.status, 200);
    let seen: unknown;
    for (let i = 0; i < 200 && seen !== "value-3"; i++) {
      seen = await resolve();
      if (seen !== "value-3") await new Promise((r) => setTimeout(r, 10));
    }
    assert.equal(seen, "value-3");
  });
});
