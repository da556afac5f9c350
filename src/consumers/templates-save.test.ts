/**
 * What saving a message template refuses (SPEC X5, "Bad input"), through a real server on SQLite and
 * PostgreSQL that does not allow private targets: each case a 400 `invalid_request` naming the field or
 * the secrets, and nothing stored. A host only known at send time meets the SSRF guard then.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type RuntimeFixture, runtimeFixture } from "../runtime/runner/testing/fixture.js";
import { testDatabases } from "../store/testing.js";
import { startTestServer, type TestServer } from "../testing/server.js";

const VALUE = "s3cr3t-save-rules-0001";

const webhook = (over: Record<string, unknown> = {}) => ({
  name: "notify",
  secrets: ["API_KEY"],
  subject: "Hello {{event.data.who}}",
  body: "key {{secrets.API_KEY}}",
  channel: { type: "webhook", url: "https://hooks.example.test/notify", headers: {} },
  ...over,
});
const email = (smtp: Record<string, unknown>, over: Record<string, unknown> = {}) => ({
  name: "mail",
  secrets: ["SMTP"],
  subject: "Hi",
  body: "Hello",
  channel: {
    type: "email",
    smtp: {
      host: "smtp.example.test",
      port: 587,
      username: "{{SMTP.username}}",
      password: "{{SMTP.password}}",
      ...smtp,
    },
    from: "a@example.test",
    to: ["b@example.test"],
  },
  ...over,
});

for (const database of testDatabases()) {
  describe(`saving message templates on ${database.name}`, () => {
    let server: TestServer;
    let f: RuntimeFixture;

    before(async () => {
      server = await startTestServer(database, { CLOAKROOM_ALLOW_PRIVATE_TARGETS: "false" });
      f = await runtimeFixture(server);
      await f.secret("API_KEY", "token", VALUE);
      await f.secret("SMTP", "username_password", { username: "mailer", password: VALUE });
    });
    after(async () => {
      await server.close();
      for (const text of f.seen) assert.ok(!text.includes(VALUE), `an answer leaked a value: ${text}`);
    });

    const stored = async () =>
      (
        await server.cloakroom.store.db
          .selectFrom("consumers")
          .select("id")
          .where("kind", "=", "template")
          .execute()
      ).length;

    /** Posts `body`, expects 400 naming `field` (or matching `message`), and that nothing was stored. */
    const refused = async (body: unknown, expect: { field?: string; message?: RegExp }) => {
      const before = await stored();
      const res = await f.call("POST", f.p("/templates"), f.owner, body);
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.code, "invalid_request");
      if (expect.field) {
        const fields = (res.body.error.details?.fields ?? []).map((x: { field: string }) => x.field);
        assert.ok(fields.includes(expect.field), `${expect.field} not in ${JSON.stringify(fields)}`);
      }
      if (expect.message)
        assert.match(res.body.error.message + JSON.stringify(res.body.error.details), expect.message);
      assert.equal(await stored(), before, "nothing was stored");
      return res;
    };

    it("a template over 64 KiB is refused", async () => {
      await refused(webhook({ body: "x".repeat(64 * 1024 + 1) }), { field: "body.body" });
      // The limit is the whole template's, subject and channel included.
      await refused(webhook({ body: "x".repeat(60 * 1024), subject: "y".repeat(4096) }), {
        field: "body.body",
      });
    });

    it("unknown macros are refused, naming them", async () => {
      await refused(webhook({ body: "{{event.nope}}" }), {
        field: "body.body",
        message: /unknown macros \{\{event\.nope\}\}/,
      });
      await refused(webhook({ subject: "{{secrets}}" }), {
        field: "body.subject",
        message: /\{\{secrets\}\}/,
      });
      await refused(webhook({ body: "all of it: {{.}}" }), { field: "body.body", message: /\{\{\.\}\}/ });
      await refused(webhook({ body: "{{not a name}}" }), { field: "body.body" });
    });

    it("unbalanced Mustache tags are refused", async () => {
      await refused(webhook({ body: "{{#event.data}}never closed" }), {
        field: "body.body",
        message: /unbalanced/,
      });
      await refused(webhook({ subject: "{{secrets.API_KEY" }), {
        field: "body.subject",
        message: /unbalanced/,
      });
      await refused(webhook({ body: "{{/event.data}}" }), { field: "body.body" });
      await refused(email({ password: "{{{SMTP.password}}" }), { field: "body.channel.smtp.password" });
    });

    it("a secret macro the template does not declare, or one that does not exist, is refused by name", async () => {
      const undeclared = await refused(webhook({ secrets: [] }), {
        field: "body.secrets",
        message: /API_KEY/,
      });
      assert.deepEqual(undeclared.body.error.details.undeclared, ["API_KEY"]);
      // Names are exact under the default policy: a case variant is another name.
      await refused(webhook({ body: "{{secrets.api_key}}" }), { message: /api_key/ });
      const missing = await refused(webhook({ secrets: ["API_KEY", "NO_SUCH"] }), { message: /NO_SUCH/ });
      assert.deepEqual(missing.body.error.details.missing, ["NO_SUCH"]);
    });

    it("a typed part the secret's type does not have is refused, naming it", async () => {
      await refused(webhook({ body: "{{API_KEY.username}}" }), {
        field: "body.body",
        message: /API_KEY\.username/,
      });
      await refused(email({ username: "{{SMTP.user}}" }), {
        field: "body.channel.smtp.username",
        message: /SMTP\.user/,
      });
    });

    it("a channel URL or SMTP host that the SSRF guard refuses is refused at save", async () => {
      for (const url of [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/x",
        "http://10.1.2.3/x",
      ]) {
        await refused(webhook({ channel: { type: "webhook", url, headers: {} } }), {
          field: "body.channel.url",
        });
      }
      await refused(webhook({ channel: { type: "webhook", url: "ftp://example.test/x" } }), {
        field: "body.channel.url",
      });
      for (const host of ["127.0.0.1", "localhost", "[::1]", "10.0.0.5", "169.254.169.254"]) {
        await refused(email({ host }), { field: "body.channel.smtp.host" });
      }
    });

    it("a malformed channel is refused: header names, methods, addresses, ports", async () => {
      const hook = (channel: Record<string, unknown>) =>
        webhook({ channel: { type: "webhook", url: "https://hooks.example.test/", ...channel } });
      await refused(hook({ headers: { "Bad Header": "x" } }), { field: "body.channel.headers.Bad Header" });
      await refused(hook({ method: "TRACE" }), { field: "body.channel.method" });
      await refused(
        email(
          {},
          { channel: { type: "email", smtp: { host: "smtp.example.test" }, from: "a@x.test", to: [] } },
        ),
        {
          field: "body.channel.to",
        },
      );
      await refused(email({ port: 70_000 }), { field: "body.channel.smtp.port" });
      await refused(webhook({ channel: { type: "carrier-pigeon" } }), { field: "body.channel.type" });
      await refused(email({ host: "smtp\r\nRCPT TO:<x>" }), { field: "body.channel.smtp.host" });
    });

    it("a replacement (PUT) with bad input is refused and the stored template stays as it was", async () => {
      const created = await f.call("POST", f.p("/templates"), f.owner, webhook({ name: "kept" }));
      assert.equal(created.status, 201, created.text);
      const path = f.p(`/templates/${created.body.id}`);
      for (const body of [
        webhook({ body: "{{event.nope}}" }),
        webhook({ secrets: [] }),
        webhook({ body: "{{#x}}" }),
      ]) {
        const res = await f.call("PUT", path, f.owner, body);
        assert.equal(res.status, 400, res.text);
        assert.deepEqual((await f.call("GET", path)).body, created.body);
      }
      const replaced = await f.call(
        "PUT",
        path,
        f.owner,
        webhook({ name: "kept", body: "now {{event.name}}", secrets: [] }),
      );
      assert.equal(replaced.status, 200, replaced.text);
      assert.equal(replaced.body.body, "now {{event.name}}");
      assert.deepEqual(replaced.body.secrets, []);
      assert.equal((await f.call("DELETE", path)).status, 204);
      assert.equal((await f.call("GET", path)).status, 404);
    });

    it("an email channel on port 465 defaults to implicit TLS, on other ports to STARTTLS", async () => {
      for (const [port, secure] of [
        [465, true],
        [587, false],
      ] as const) {
        const res = await f.call("POST", f.p("/templates"), f.owner, email({ port, secure: undefined }));
        assert.equal(res.status, 201, res.text);
        assert.equal(res.body.channel.smtp.secure, secure);
        await f.call("DELETE", f.p(`/templates/${res.body.id}`));
      }
    });

    it("a secret bound to other hosts (S12) is not sent through either channel", async () => {
      const bound = await f.call("POST", `/v1/orgs/${f.org}/secrets`, f.owner, {
        name: "BOUND",
        type: "token",
        value: "s3cr3t-bound-value",
        allowedHosts: ["api.example.com"],
      });
      assert.equal(bound.status, 201, bound.text);
      const uses = { secrets: ["BOUND", "SMTP"], body: "key {{secrets.BOUND}}" };
      const mail = await f.call("POST", f.p("/templates"), f.owner, email({}, uses));
      const hook = await f.call("POST", f.p("/templates"), f.owner, webhook({ ...uses, name: "bound-hook" }));
      for (const res of [mail, hook]) {
        assert.equal(res.status, 201, res.text);
        const run = await f.call("POST", f.p(`/templates/${res.body.id}/test`), f.owner, {});
        assert.equal(run.body.status, "failure");
        assert.equal(run.body.error.code, "destination_not_allowed", run.text);
        assert.match(run.body.error.message, /BOUND may only be sent to api\.example\.com/);
        assert.ok(!run.text.includes("s3cr3t-bound-value"));
        await f.call("DELETE", f.p(`/templates/${res.body.id}`));
      }
    });

    it("a host known only at send time is checked then: the run fails target_forbidden and nothing connects", async () => {
      const mail = await f.call("POST", f.p("/templates"), f.owner, email({ host: "{{event.data.host}}" }));
      assert.equal(mail.status, 201, mail.text);
      const hook = await f.call(
        "POST",
        f.p("/templates"),
        f.owner,
        webhook({ channel: { type: "webhook", url: "http://{{event.data.host}}:9/x", headers: {} } }),
      );
      assert.equal(hook.status, 201, hook.text);
      for (const id of [mail.body.id, hook.body.id]) {
        const run = await f.call("POST", f.p(`/templates/${id}/test`), f.owner, {
          event: { data: { host: "127.0.0.1" } },
        });
        assert.equal(run.status, 200, run.text);
        assert.equal(run.body.status, "failure");
        assert.equal(run.body.error.code, "target_forbidden", run.text);
        assert.equal(run.body.attempts, 1);
      }
    });
  });
}
