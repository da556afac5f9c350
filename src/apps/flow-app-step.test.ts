/**
 * A flow with an `app` step end to end (SPEC X4, X8): the flow runner calls the apps domain's AppActions,
 * the installation's request reaches a real sink with its own secret, and the flow's entry shows the step
 * redacted; a step naming no installation is refused at save. SQLite and PostgreSQL.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { appStepFlow, closeWithoutLeaks, installApp, testFlow } from "../testing/apps.js";
import { testDatabases } from "../testing/databases.js";
import { type RuntimeFixture, type RuntimeSuite, startRuntimeSuite } from "../testing/runtime.js";
import type { Sink } from "../testing/sink.js";

const BOT_TOKEN = "s3cr3t-flow-slack-token";

for (const database of testDatabases()) {
  describe(`a flow's app step on ${database.name}`, () => {
    let suite: RuntimeSuite;
    let f: RuntimeFixture;
    let sink: Sink;
    const slack = (name: string) => ({
      name,
      app: "slack",
      baseUrl: sink.url,
      secrets: ["SLACK_BOT_TOKEN"],
      config: { bot_token: { expr: "secrets.SLACK_BOT_TOKEN" } },
    });

    before(async () => {
      suite = await startRuntimeSuite(database);
      ({ f, sink } = suite);
      await f.secret("SLACK_BOT_TOKEN", "token", BOT_TOKEN);
      await installApp(f, slack("team_slack"));
    });
    beforeEach(() => {
      sink.requests.length = 0;
      sink.respond(() => ({
        status: 200,
        headers: { "content-type": "application/json" },
        body: '{"ok":true,"ts":"1.5"}',
      }));
    });
    after(() => closeWithoutLeaks(suite, "s3cr3t-"));

    it("an app step posts through the installation and hands its output to the next step", async () => {
      const flow = await f.call("POST", f.p("/flows"), f.owner, {
        name: "announce",
        event: "deploy",
        secrets: [],
        steps: [
          {
            id: "post",
            type: "app",
            installation: "team_slack",
            action: "post_message",
            // biome-ignore lint/suspicious/noTemplateCurlyInString: sandbox source text
            input: { channel: "#ops", text: { expr: "`Deployed ${event.data.version}`" } },
          },
          {
            id: "after",
            type: "logic",
            code: "export default ({ steps }) => ({ ts: steps.post.output.ts })",
          },
        ],
      });
      assert.equal(flow.status, 201, flow.text);
      const res = await f.call("POST", f.p(`/flows/${flow.body.id}/test`), f.owner, {
        event: { name: "deploy", data: { version: "1.2.3" } },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, "success", res.text);
      const [got] = sink.requests;
      assert.equal(got?.url, "/api/chat.postMessage");
      assert.equal(got?.headers.authorization, `Bearer ${BOT_TOKEN}`);
      assert.deepEqual(JSON.parse(got?.body ?? ""), { channel: "#ops", text: "Deployed 1.2.3" });
      const [post, next] = res.body.steps;
      assert.equal(post.status, "success");
      assert.equal(post.request.headers.Authorization, "Bearer [[SENSITIVE]]");
      assert.deepEqual(post.output, { ok: true, ts: "1.5" });
      assert.deepEqual(next.output, { ts: "1.5" });
      // The installation resolved its own secret: its last access names it, not the flow.
      const meta = await f.call("GET", `/v1/orgs/${f.org}/secrets/SLACK_BOT_TOKEN`);
      assert.deepEqual(
        meta.body.usedBy.map((u: { kind: string; name: string }) => [u.kind, u.name]),
        [["installation", "team_slack"]],
      );
    });

    it("an app step's failure fails the flow with the action's code", async () => {
      sink.respond(() => ({
        status: 200,
        headers: { "content-type": "application/json" },
        body: '{"ok":false,"error":"not_in_channel"}',
      }));
      const input = { channel: "c", text: "t" };
      const flow = await appStepFlow(f, "fails", {
        installation: "team_slack",
        action: "post_message",
        input,
      });
      const run = await testFlow(f, flow.id);
      assert.equal(run.status, "failure");
      assert.equal(run.steps[0].error.code, "app_error");
    });

    it("an installation a flow's app step names shows the flow, and its delete is refused naming it", async () => {
      await installApp(f, slack("kept"));
      const step = {
        type: "app",
        installation: "kept",
        action: "post_message",
        input: { channel: "c", text: "t" },
      };
      const flow = await f.call("POST", f.p("/flows"), f.owner, {
        name: "uses_kept",
        steps: [
          { id: "first", ...step },
          { id: "again", ...step },
        ],
      });
      assert.equal(flow.status, 201, flow.text);
      const other = await f.call("POST", f.p("/flows"), f.owner, {
        name: "unrelated",
        steps: [{ id: "s", type: "logic", code: "export default () => 'kept'" }],
      });
      assert.equal(other.status, 201, other.text);
      const usedBy = [{ kind: "flow", id: flow.body.id, name: "uses_kept" }];
      assert.deepEqual((await f.call("GET", f.p("/installations/kept"))).body.usedBy, usedBy);

      const refused = await f.call("DELETE", f.p("/installations/kept"));
      assert.equal(refused.status, 409, refused.text);
      assert.equal(refused.body.error.code, "installation_in_use");
      assert.match(refused.body.error.message, /uses_kept/);
      assert.deepEqual(refused.body.error.details.usedBy, usedBy);
      assert.equal((await f.call("GET", f.p("/installations/kept"))).status, 200, "it is still there");
      // `_` is a LIKE wildcard: "k_pt" matches the text "kept", but no step names k_pt.
      await installApp(f, slack("k_pt"));
      assert.equal((await f.call("DELETE", f.p("/installations/k_pt"))).status, 204);

      assert.equal((await f.call("DELETE", f.p(`/flows/${flow.body.id}`))).status, 204);
      assert.deepEqual((await f.call("GET", f.p("/installations/kept"))).body.usedBy, []);
      assert.equal((await f.call("DELETE", f.p("/installations/kept"))).status, 204);
    });

    // PostgreSQL only: on SQLite one write transaction at a time, so the two cannot interleave.
    const onPostgres = database.name === "postgres" ? it : () => {};
    onPostgres(
      "a flow saved while its installation's delete commits is refused, not saved naming nothing",
      async () => {
        await installApp(f, slack("racy_delete"));
        const schema = /schema (\w+)/.exec(suite.server.cloakroom.store.description)?.[1];
        assert.ok(schema, "the test database has its own schema");
        const pg = (await import("pg")).default;
        const other = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
        await other.connect();
        try {
          // Another node's delete, between its check and its commit.
          await other.query("begin");
          await other.query(`delete from ${schema}.consumers where kind = 'installation' and name = $1`, [
            "racy_delete",
          ]);
          const saving = f.call("POST", f.p("/flows"), f.owner, {
            name: "racing",
            steps: [{ id: "s", type: "app", installation: "racy_delete", action: "post_message", input: {} }],
          });
          let settled = false;
          void saving.then(() => {
            settled = true;
          });
          await new Promise((resolve) => setTimeout(resolve, 300));
          assert.equal(settled, false, "the save waits for the delete's transaction");
          await other.query("commit");
          const res = await saving;
          assert.equal(res.status, 400, res.text);
          assert.deepEqual(
            res.body.error.details.fields.map((x: { field: string }) => x.field),
            ["body.steps.0.installation"],
          );
        } finally {
          await other.end();
        }
        const flows = (await f.call("GET", f.p("/flows"))).text;
        assert.ok(!flows.includes('"racing"'), "no flow was saved");
      },
    );

    it("a step naming an installation the project does not have is refused at save", async () => {
      const res = await f.call("POST", f.p("/flows"), f.owner, {
        name: "nowhere",
        steps: [{ id: "post", type: "app", installation: "nobody", action: "post_message", input: {} }],
      });
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(
        res.body.error.details.fields.map((x: { field: string }) => x.field),
        ["body.steps.0.installation"],
      );
    });
  });
}
