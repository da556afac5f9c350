/**
 * `AppActions.invoke`, the interface flows' `app` steps call (SPEC X4, X8), over a real store and a real
 * webhook client against a local sink; the secrets resolver is a small fake that records what it is asked.
 * Failures are RunErrors with the codes a step's log shows; what invoke returns is not redacted (the flow's
 * entry is), except the Authorization header, which shows only its scheme.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { consumerRecords } from "../consumers/records.js";
import { setConsumerSecrets } from "../consumers/store.js";
import { RunError } from "../errors.js";
import { createWebhookClient, type WebhookClient } from "../runtime/webhook/index.js";
import type { ConsumerRef } from "../secrets/types.js";
import { newId } from "../store/ids.js";
import { secretRow, seedProject, type TestStore, testDatabases } from "../testing/databases.js";
import { type Sink, startSink } from "../testing/sink.js";
import { type AppActionsRunner, createAppActions } from "./actions.js";

const TOKEN = "s3cr3t-invoke-token";

for (const database of testDatabases()) {
  describe(`AppActions.invoke on ${database.name}`, () => {
    let store: TestStore;
    let sink: Sink;
    let webhook: WebhookClient;
    let actions: AppActionsRunner;
    const asked: { names: string[]; consumer: ConsumerRef }[] = [];
    const orgId = newId();
    const projectId = newId();

    before(async () => {
      store = await database.open();
      sink = await startSink();
      webhook = createWebhookClient({ allowPrivate: true });
      await seedProject(store, { orgId, projectId });
      const secret = secretRow({ orgId, projectId: null, name: "API_TOKEN", by: "test" });
      await store.db.insertInto("secrets").values(secret).execute();
      const at = new Date().toISOString();
      const id = newId();
      await store.db
        .insertInto("consumers")
        .values({
          id,
          org_id: orgId,
          project_id: projectId,
          kind: "installation",
          name: "api",
          event: "",
          enabled: 0,
          config: JSON.stringify({
            app: "http_bearer",
            baseUrl: null,
            config: { base_url: `${sink.url}/v1`, token: { expr: "secrets.API_TOKEN" } },
          }),
          created_at: at,
          updated_at: at,
        })
        .execute();
      await setConsumerSecrets(store.db, id, [{ name: "API_TOKEN", secretId: secret.id }]);
      actions = createAppActions({
        db: store.db,
        records: consumerRecords,
        webhook,
        secrets: {
          async resolveForRun(_scope, names, consumer) {
            asked.push({ names, consumer });
            return { values: { API_TOKEN: TOKEN } };
          },
        },
      });
    });
    beforeEach(() => {
      sink.requests.length = 0;
      asked.length = 0;
      sink.respond(() => ({
        status: 200,
        headers: { "content-type": "application/json" },
        body: '{"id":1}',
      }));
    });
    after(async () => {
      await webhook.close();
      await sink.close();
      await store.dispose();
    });

    const args = (over: Partial<Parameters<AppActionsRunner["invoke"]>[0]> = {}) => ({
      orgId,
      projectId,
      installation: "api",
      action: "request",
      input: { method: "POST", path: "/items", body: '{"n":1}' },
      tenant: orgId,
      ...over,
    });
    const fails = async (promise: Promise<unknown>, code: string, retryable = false) => {
      await assert.rejects(promise, (e: unknown) => {
        assert.ok(e instanceof RunError, String(e));
        assert.equal(e.code, code);
        assert.equal(e.retryable, retryable);
        assert.ok(!e.message.includes(TOKEN));
        return true;
      });
    };

    it("sends the request and answers it, the response parsed and the output", async () => {
      const r = await actions.invoke(args());
      assert.equal(sink.requests[0]?.headers.authorization, `Bearer ${TOKEN}`);
      assert.equal(sink.requests[0]?.url, "/v1/items");
      assert.equal(r.request.method, "POST");
      assert.equal(r.request.url, `${sink.url}/v1/items`);
      assert.equal(r.request.headers.Authorization, "Bearer [[SENSITIVE]]");
      assert.equal(r.request.body, '{"n":1}');
      assert.deepEqual(r.response.body, { id: 1 });
      assert.deepEqual(r.output, { status: 200, headers: r.response.headers, body: { id: 1 } });
      // The installation's own secrets, resolved as a run of the installation (last accessed names it).
      assert.deepEqual(asked[0]?.names, ["API_TOKEN"]);
      assert.equal(asked[0]?.consumer.kind, "installation");
      assert.equal(asked[0]?.consumer.name, "api");
    });

    it("fails with installation_not_found, action_not_found and invalid_input before anything is sent", async () => {
      await fails(actions.invoke(args({ installation: "nobody" })), "installation_not_found");
      await fails(actions.invoke(args({ action: "explode" })), "action_not_found");
      await fails(actions.invoke(args({ input: { method: "GET" } })), "invalid_input");
      await fails(actions.invoke(args({ input: { method: "GET", path: "//evil.test/" } })), "invalid_input");
      assert.equal(sink.requests.length, 0);
      assert.equal(asked.length, 0, "no secret was resolved");
    });

    it("a 5xx answer fails with http_status, retryable; a 4xx is not retryable", async () => {
      sink.respond(() => ({ status: 503, body: "busy" }));
      await fails(actions.invoke(args()), "http_status", true);
      sink.respond(() => ({ status: 404, body: "no" }));
      await fails(actions.invoke(args()), "http_status", false);
    });

    it("exists tells whether the project has an installation of that name", async () => {
      assert.equal(await actions.exists(projectId, "api"), true);
      assert.equal(await actions.exists(projectId, "nobody"), false);
      assert.equal(await actions.exists(newId(), "api"), false);
    });
  });
}
