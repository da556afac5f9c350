/**
 * App installations through a real listening server, on SQLite and on PostgreSQL (SPEC X8): the catalog,
 * the shape, the save-time rules of secret fields, usage counts and the delete guard (S5, S6), roles (S11).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useAppSuite } from "../testing/apps.js";
import { testDatabases } from "../testing/databases.js";

const BOT_TOKEN = "s3cr3t-slack-bot-token";

const slack = (over: Record<string, unknown> = {}) => ({
  name: "demo_slack",
  app: "slack",
  baseUrl: "https://slack.example.test",
  secrets: ["SLACK_BOT_TOKEN"],
  config: { bot_token: { expr: "secrets.SLACK_BOT_TOKEN" } },
  ...over,
});

for (const database of testDatabases()) {
  describe(`installations API on ${database.name}`, () => {
    const suite = useAppSuite(database, {
      marker: "s3cr3t-",
      runs: false,
      async setup({ f }) {
        await f.secret("SLACK_BOT_TOKEN", "token", BOT_TOKEN);
        await f.secret("OTHER", "token", "s3cr3t-other-value");
      },
    });

    const refused = async (body: unknown, field: string, method = "POST", path = "/installations") => {
      const { f } = suite();
      const res = await f.call(method, f.p(path), f.owner, body);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.code, "invalid_request");
      const fields = (res.body.error.details?.fields ?? []).map((x: { field: string }) => x.field);
      assert.ok(fields.includes(field), `expected ${field} among ${fields.join(", ")}`);
      return res.body.error;
    };

    it("the catalog lists each app's fields and actions, secret fields marked, and nothing else", async () => {
      const { f, server } = suite();
      const res = await f.call("GET", "/v1/apps");
      assert.equal(res.status, 200, res.text);
      const ids = res.body.apps.map((a: { id: string }) => a.id);
      assert.deepEqual(ids, ["slack", "zendesk", "twilio", "http_bearer", "http_basic"]);
      const s = res.body.apps[0];
      assert.deepEqual(s, {
        id: "slack",
        name: "Slack",
        fields: [
          { key: "bot_token", label: "Bot token", secret: true, required: true },
          { key: "signing_secret", label: "Signing secret", secret: true, required: false },
        ],
        actions: [
          {
            id: "post_message",
            name: "Post a message",
            input: [
              { key: "channel", label: "Channel", required: true },
              { key: "text", label: "Text", required: true },
            ],
          },
        ],
      });
      const secretFields = res.body.apps.flatMap(
        (a: { id: string; fields: { key: string; secret: boolean }[] }) =>
          a.fields.filter((x) => x.secret).map((x) => `${a.id}.${x.key}`),
      );
      assert.deepEqual(secretFields, [
        "slack.bot_token",
        "slack.signing_secret",
        "zendesk.api_token",
        "twilio.auth_token",
        "http_bearer.token",
        "http_basic.password",
      ]);
      assert.equal((await server.request("GET", "/v1/apps")).status, 401, "the catalog needs a caller");
    });

    it("an installation is created, read, listed, replaced and deleted by name", async () => {
      const { f } = suite();
      const created = await f.call("POST", f.p("/installations"), f.owner, slack());
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body, { ...slack(), timeoutMs: 10_000 });
      assert.deepEqual((await f.call("GET", f.p("/installations/demo_slack"))).body, {
        ...created.body,
        usedBy: [],
      });
      const list = await f.call("GET", f.p("/installations"));
      assert.deepEqual(list.body, { installations: [created.body] });

      const again = await f.call("POST", f.p("/installations"), f.owner, slack());
      assert.equal(again.status, 409, again.text);
      assert.equal(again.body.error.code, "name_taken");

      const replaced = await f.call(
        "PUT",
        f.p("/installations/demo_slack"),
        f.owner,
        slack({ baseUrl: null }),
      );
      assert.equal(replaced.status, 200, replaced.text);
      assert.equal(replaced.body.baseUrl, null);
      await refused(slack({ name: "other_name" }), "body.name", "PUT", "/installations/demo_slack");

      assert.equal((await f.call("DELETE", f.p("/installations/demo_slack"))).status, 204);
      assert.equal((await f.call("GET", f.p("/installations/demo_slack"))).status, 404);
      assert.equal((await f.call("DELETE", f.p("/installations/demo_slack"))).status, 404);
    });

    it("a secret field refuses a literal and any expression but secrets.NAME", async () => {
      const { f } = suite();
      const literal = await refused(slack({ config: { bot_token: BOT_TOKEN } }), "body.config.bot_token");
      assert.equal(literal.message, "a secret field takes secrets.NAME");
      for (const expr of [
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an expression, as a user writes it
        "`Bearer ${secrets.SLACK_BOT_TOKEN}`",
        "secrets.SLACK_BOT_TOKEN + ''",
        "SLACK_BOT_TOKEN",
      ]) {
        const e = await refused(slack({ config: { bot_token: { expr } } }), "body.config.bot_token");
        assert.equal(e.message, "a secret field takes secrets.NAME");
      }
      const bracket = await f.call(
        "POST",
        f.p("/installations"),
        f.owner,
        slack({ name: "bracket", config: { bot_token: { expr: 'secrets["SLACK_BOT_TOKEN"]' } } }),
      );
      assert.equal(bracket.status, 201, bracket.text);
      await f.call("DELETE", f.p("/installations/bracket"));
    });

    it("undeclared and unknown secrets are refused with their names", async () => {
      const undeclared = await refused(
        slack({ secrets: [], config: { bot_token: { expr: "secrets.SLACK_BOT_TOKEN" } } }),
        "body.secrets",
      );
      assert.deepEqual(undeclared.details.undeclared, ["SLACK_BOT_TOKEN"]);
      assert.match(undeclared.message, /SLACK_BOT_TOKEN/);
      const unknown = await refused(
        slack({ secrets: ["NO_SUCH_TOKEN"], config: { bot_token: { expr: "secrets.NO_SUCH_TOKEN" } } }),
        "body.secrets",
      );
      assert.deepEqual(unknown.details.missing, ["NO_SUCH_TOKEN"]);
      assert.match(unknown.message, /NO_SUCH_TOKEN/);
    });

    it("bad input is a 400 naming the field", async () => {
      const { f, server } = suite();
      await refused(slack({ app: "nope" }), "body.app");
      await refused(slack({ name: "Not A Name" }), "body.name");
      await refused(slack({ config: {} }), "body.config.bot_token");
      await refused(slack({ config: { ...slack().config, nope: "x" } }), "body.config.nope");
      await refused(slack({ baseUrl: "ftp://x.test" }), "body.baseUrl");
      await refused(slack({ baseUrl: "https://x.test/?q=1" }), "body.baseUrl");
      await refused(slack({ config: { bot_token: 42 } }), "body.config.bot_token");
      const zendesk = {
        name: "zd",
        app: "zendesk",
        secrets: ["OTHER"],
        config: { subdomain: "acme", email: "agent@acme.test", api_token: { expr: "secrets.OTHER" } },
      };
      await refused(
        { ...zendesk, config: { ...zendesk.config, subdomain: "a.evil.test/" } },
        "body.config.subdomain",
      );
      await refused(
        { ...zendesk, config: { ...zendesk.config, email: { expr: "event.data.email" } } },
        "body.config.email",
      );
      await refused(
        {
          name: "tw",
          app: "twilio",
          secrets: ["OTHER"],
          config: { account_sid: "../x", auth_token: { expr: "secrets.OTHER" }, from: "+1" },
        },
        "body.config.account_sid",
      );
      const raw = await server.request("POST", f.p("/installations"), {
        token: f.owner,
        rawBody: "{not json",
        headers: { "content-type": "application/json" },
      });
      assert.equal(raw.status, 400);
    });

    it("a secret's usage count and usedBy name the installation, and its delete is refused while in use", async () => {
      const { f } = suite();
      const created = await f.call("POST", f.p("/installations"), f.owner, slack({ name: "guarded" }));
      assert.equal(created.status, 201, created.text);
      const meta = await f.call("GET", `/v1/orgs/${f.org}/secrets/SLACK_BOT_TOKEN`);
      assert.equal(meta.body.usageCount, 1);
      assert.deepEqual(
        meta.body.usedBy.map((u: { kind: string; name: string }) => [u.kind, u.name]),
        [["installation", "guarded"]],
      );
      const del = await f.call("DELETE", `/v1/orgs/${f.org}/secrets/SLACK_BOT_TOKEN`);
      assert.equal(del.status, 409, del.text);
      assert.equal(del.body.error.code, "secret_in_use");
      assert.deepEqual(
        del.body.error.details.usedBy.map((u: { kind: string; name: string }) => [u.kind, u.name]),
        [["installation", "guarded"]],
      );
      assert.equal((await f.call("DELETE", f.p("/installations/guarded"))).status, 204);
      const after = await f.call("GET", `/v1/orgs/${f.org}/secrets/SLACK_BOT_TOKEN`);
      assert.equal(after.body.usageCount, 0);
    });

    it("viewers read installations but may not change them; every change is audited", async () => {
      const { f } = suite();
      const viewer = await f.tokenFor("viewer");
      assert.equal((await f.call("GET", f.p("/installations"), viewer)).status, 200);
      assert.equal((await f.call("POST", f.p("/installations"), viewer, slack({ name: "v" }))).status, 403);
      const editor = await f.tokenFor("editor");
      const made = await f.call("POST", f.p("/installations"), editor, slack({ name: "by_editor" }));
      assert.equal(made.status, 201, made.text);
      assert.equal((await f.call("DELETE", f.p("/installations/by_editor"), editor)).status, 204);
      const audit = await f.call("GET", `/v1/orgs/${f.org}/audit?limit=50`);
      const mine = audit.body.entries.filter(
        (e: { target: { type: string; name: string } | null }) =>
          e.target?.type === "installation" && e.target.name === "by_editor",
      );
      assert.deepEqual(mine.map((e: { action: string }) => e.action).sort(), [
        "consumer.create",
        "consumer.delete",
      ]);
    });
  });
}
