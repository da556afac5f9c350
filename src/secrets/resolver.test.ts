/**
 * The run-time resolver's invalidation, end to end over a real database. Node A is a real server; node B is
 * a secrets service over the same database whose change notices the test delivers by hand, so a notice or
 * a reset lands exactly while B's load is reading (a call runs synchronously up to its first query).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Notifications } from "../store/notifications.js";
import { testDatabases } from "../testing/databases.js";
import { secretsNode } from "../testing/secrets-node.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { INVALIDATION_CHANNEL } from "./invalidation.js";
import type { ScopeTarget } from "./reads.js";
import type { SecretsService } from "./service.js";

/** Notices that arrive only when the test says so. */
function manualNotifications() {
  const subscribers: ((payload: string) => void)[] = [];
  const resets: (() => void)[] = [];
  const notifications: Notifications = {
    listening: () => true,
    ready: Promise.resolve(),
    subscribe(channel, onMessage) {
      if (channel === INVALIDATION_CHANNEL) subscribers.push(onMessage);
    },
    onReset: (fn) => resets.push(fn),
    send: async () => {},
    start() {},
    close: async () => {},
  };
  return {
    notifications,
    notice: (orgId: string) => {
      for (const fn of subscribers) fn(orgId);
    },
    reset: () => {
      for (const fn of resets) fn();
    },
  };
}

for (const database of testDatabases()) {
  describe(`resolver invalidation (${database.name})`, () => {
    let a: TestServer;
    let token: string;
    let b: SecretsService;
    let bTarget: ScopeTarget;
    const manual = manualNotifications();
    let scope: { orgId: string; projectId: string };
    const consumer = { kind: "integration" as const, id: "c1", name: "hook" };
    let rotations = 0;

    before(async () => {
      a = await startTestServer(database);
      ({ token } = await a.setup({ org: "acme" }));
      const project = await a.request("POST", "/v1/orgs/acme/projects", {
        token,
        body: { slug: "web", name: "web" },
      });
      assert.equal(project.status, 201, project.text);
      const created = await a.request("POST", "/v1/orgs/acme/secrets", {
        token,
        body: { name: "API_KEY", type: "token", value: "value-0" },
      });
      assert.equal(created.status, 201, created.text);
      const row = await a.cloakroom.store.db
        .selectFrom("projects")
        .select(["id", "org_id"])
        .executeTakeFirstOrThrow();
      scope = { orgId: row.org_id, projectId: row.id };

      const node = await secretsNode({
        store: a.cloakroom.store,
        dataDir: a.config.dataDir,
        cacheTtlMs: 600_000,
        notifications: manual.notifications,
      });
      b = node.secrets;
      const { auth } = node;
      const actor = await auth.authenticate({ authorization: `Bearer ${token}` });
      const ctx = { actor, sourceIp: "127.0.0.1", requestId: "t" };
      bTarget = { access: await auth.orgAccess(ctx, "acme"), project: null };
    });

    after(async () => {
      await b?.close();
      await a?.close();
    });

    const resolve = async () => (await b.resolveForRun(scope, ["API_KEY"], consumer)).values.API_KEY;
    /** A new value through node A, which B hears of only if the test delivers the notice. */
    async function rotateOnA(): Promise<string> {
      rotations += 1;
      const value = `value-${rotations}`;
      const res = await a.request("PUT", "/v1/orgs/acme/secrets/API_KEY/value", { token, body: { value } });
      assert.equal(res.status, 200, res.text);
      return value;
    }

    it("B serves its cached view until a notice comes, then reads the rotation", async () => {
      const first = await resolve();
      const next = await rotateOnA();
      assert.equal(await resolve(), first, "no notice yet: the cached view (the test can tell)");
      manual.notice(scope.orgId);
      assert.equal(await resolve(), next);
    });

    it("a notice arriving while B's load reads: what it read is not cached", async () => {
      manual.notice(scope.orgId); // nothing cached
      const reading = resolve();
      manual.notice(scope.orgId); // the load is at its first query
      await reading;
      const next = await rotateOnA(); // no notice for this one
      assert.equal(await resolve(), next, "the load during the notice must not have been cached");
    });

    it("a reset of the notices while B's load reads: what it read is not cached", async () => {
      manual.notice(scope.orgId);
      const reading = resolve();
      manual.reset();
      await reading;
      const next = await rotateOnA();
      assert.equal(await resolve(), next);
    });

    it("a rotation through B while B's load reads: the next run gets the new value without any notice", async () => {
      await resolve();
      manual.notice(scope.orgId);
      const reading = resolve();
      const rotating = b.updateValue(bTarget, "API_KEY", { value: "rotated-on-b" });
      await Promise.all([reading, rotating]);
      assert.equal(await resolve(), "rotated-on-b");
    });

    it("a rollback through B: the run gets the old version's value, cached per version", async () => {
      // Its own two versions: a value through A, then one through B that B caches.
      const old = await rotateOnA();
      manual.notice(scope.orgId);
      await b.updateValue(bTarget, "API_KEY", { value: "rolled-back-on-b" });
      assert.equal(await resolve(), "rolled-back-on-b");
      const versions = await b.versions(bTarget, "API_KEY");
      const previous = versions.filter((v) => !v.current).sort((x, y) => y.version - x.version)[0]!;
      await b.rollback(bTarget, "API_KEY", previous.version);
      assert.equal(await resolve(), old, "the run after the rollback gets the version before B's");
    });
  });
}
