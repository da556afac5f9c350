/**
 * Installation actions run now, through a real server and a real HTTP sink on 127.0.0.1 (`baseUrl`), on
 * SQLite and on PostgreSQL (SPEC X8, X6, X7, S7, S12): each app's request as the service receives it, the
 * answer and the stored run log redacted, the access recorded, and the rules of the delivery path.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { installApp, useAppSuite } from "../testing/apps.js";
import { testDatabases } from "../testing/databases.js";
import { eventually } from "../testing/runtime.js";
import type { TestResponse } from "../testing/server.js";

/** Each installation's secret value, by the secret's name. */
const VALUES = {
  SLACK_BOT_TOKEN: "s3cr3t-xoxb-slack-token",
  ZENDESK_TOKEN: "s3cr3t-zendesk-api-token",
  TWILIO_TOKEN: "s3cr3t-twilio-auth-token",
  API_TOKEN: "s3cr3t-bearer-token",
  API_PASSWORD: "s3cr3t-basic-password",
};
const { SLACK_BOT_TOKEN: SLACK, ZENDESK_TOKEN: ZENDESK, TWILIO_TOKEN: TWILIO } = VALUES;
const { API_TOKEN: BEARER, API_PASSWORD: PASSWORD } = VALUES;
const SID = "AC0123456789abcdef0123456789abcdef";
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

for (const database of testDatabases()) {
  describe(`installation actions on ${database.name}`, () => {
    const suite = useAppSuite(database, {
      marker: "s3cr3t-",
      forms: () => Object.values(VALUES).map((v) => b64(v).slice(0, 16)),
      answer: '{"ok":true}',
      async setup({ f, sink }) {
        await f.secret("SLACK_BOT_TOKEN", "token", SLACK);
        await f.secret("ZENDESK_TOKEN", "token", ZENDESK);
        await f.secret("TWILIO_TOKEN", "token", TWILIO);
        await f.secret("API_TOKEN", "token", BEARER);
        await f.secret("API_PASSWORD", "token", PASSWORD);
        const install = (body: Record<string, unknown>) => installApp(f, body);
        await install({
          name: "slack",
          app: "slack",
          baseUrl: sink.url,
          secrets: ["SLACK_BOT_TOKEN"],
          config: { bot_token: { expr: "secrets.SLACK_BOT_TOKEN" } },
        });
        await install({
          name: "zendesk",
          app: "zendesk",
          baseUrl: `${sink.url}/zd`,
          secrets: ["ZENDESK_TOKEN"],
          config: {
            subdomain: "acme",
            email: "agent@acme.test",
            api_token: { expr: 'secrets["ZENDESK_TOKEN"]' },
          },
        });
        await install({
          name: "twilio",
          app: "twilio",
          baseUrl: sink.url,
          secrets: ["TWILIO_TOKEN"],
          config: { account_sid: SID, auth_token: { expr: "secrets.TWILIO_TOKEN" }, from: "+15550001111" },
        });
        await install({
          name: "api",
          app: "http_bearer",
          secrets: ["API_TOKEN"],
          config: { base_url: `${sink.url}/v2`, token: { expr: "secrets.API_TOKEN" } },
        });
        await install({
          name: "basic",
          app: "http_basic",
          secrets: ["API_PASSWORD"],
          config: { base_url: sink.url, username: "robot", password: { expr: "secrets.API_PASSWORD" } },
        });
      },
    });

    const act = async (name: string, action: string, input: Record<string, string>, token?: string) => {
      const { f } = suite();
      return f.call("POST", f.p(`/installations/${name}/actions/${action}`), token ?? f.owner, { input });
    };

    const answerJson = (status: number, body: string) =>
      suite().sink.respond(() => ({ status, headers: { "content-type": "application/json" }, body }));
    /** The one request a successful action sent, checked for its method, URL and Authorization header. */
    const sent = (res: TestResponse, method: string, url: string, authorization: string) => {
      assert.equal(res.body.status, "success", res.text);
      const [got] = suite().sink.requests;
      assert.deepEqual([got?.method, got?.url, got?.headers.authorization], [method, url, authorization]);
      return got;
    };

    it("slack posts the message with the bot token as a bearer token; the answer shows neither", async () => {
      const { f, sink } = suite();
      answerJson(200, '{"ok":true,"channel":"C1","ts":"1.2"}');
      const res = await act("slack", "post_message", { channel: "#general", text: "Deployed" });
      const got = sent(res, "POST", "/api/chat.postMessage", `Bearer ${SLACK}`);
      assert.match(String(got?.headers["content-type"]), /^application\/json/);
      assert.deepEqual(JSON.parse(got?.body ?? ""), { channel: "#general", text: "Deployed" });

      const entry = res.body;
      assert.equal(entry.status, "success");
      assert.deepEqual(entry.consumer.kind, "installation");
      assert.equal(entry.consumer.name, "slack");
      assert.deepEqual(entry.event.data, { channel: "#general", text: "Deployed" });
      assert.equal(entry.request.headers.Authorization, "Bearer [[SENSITIVE]]");
      assert.equal(entry.request.url, `${sink.url}/api/chat.postMessage`);
      assert.deepEqual(entry.output, { ok: true, channel: "C1", ts: "1.2" });
      const logged = (await f.logs(`?consumer=${entry.consumer.id}`)).find(
        (e: { id: string }) => e.id === entry.id,
      );
      assert.deepEqual(logged, entry);
    });

    it("slack's ok: false in a 200 answer fails the action with Slack's error code", async () => {
      answerJson(200, '{"ok":false,"error":"channel_not_found"}');
      const res = await act("slack", "post_message", { channel: "#nope", text: "x" });
      assert.equal(res.body.status, "failure");
      assert.equal(res.body.error.code, "app_error");
      assert.match(res.body.error.message, /channel_not_found/);
    });

    it("zendesk creates a ticket with basic auth email/token:api_token", async () => {
      const res = await act("zendesk", "create_ticket", { subject: "Help", body: "It broke" });
      const got = sent(
        res,
        "POST",
        "/zd/api/v2/tickets.json",
        `Basic ${b64(`agent@acme.test/token:${ZENDESK}`)}`,
      );
      assert.deepEqual(JSON.parse(got?.body ?? ""), {
        ticket: { subject: "Help", comment: { body: "It broke" } },
      });
      assert.equal(res.body.request.headers.Authorization, "Basic [[SENSITIVE]]");
    });

    it("twilio sends the SMS form-encoded with basic auth sid:token", async () => {
      const res = await act("twilio", "send_sms", { to: "+15559990000", body: "Code 1234 & more" });
      const got = sent(
        res,
        "POST",
        `/2010-04-01/Accounts/${SID}/Messages.json`,
        `Basic ${b64(`${SID}:${TWILIO}`)}`,
      );
      assert.equal(got?.headers["content-type"], "application/x-www-form-urlencoded");
      assert.deepEqual(Object.fromEntries(new URLSearchParams(got?.body ?? "")), {
        To: "+15559990000",
        From: "+15550001111",
        Body: "Code 1234 & more",
      });
    });

    it("http_bearer sends the method, the path under base_url and the body as written; the output is the response", async () => {
      answerJson(201, '{"id":7}');
      const res = await act("api", "request", { method: "PUT", path: "/things/1?x=1", body: '{"a": 1}' });
      const got = sent(res, "PUT", "/v2/things/1?x=1", `Bearer ${BEARER}`);
      assert.equal(got?.body, '{"a": 1}');
      assert.equal(res.body.output.status, 201);
      assert.deepEqual(res.body.output.body, { id: 7 });
    });

    it("http_basic sends basic auth username:password", async () => {
      const res = await act("basic", "request", { method: "GET", path: "/ping" });
      const _got = sent(res, "GET", "/ping", `Basic ${b64(`robot:${PASSWORD}`)}`);
    });

    it("an action's failure is its entry: a 5xx answer, a value echoed back redacted", async () => {
      const { sink } = suite();
      sink.respond((r) => ({ status: 502, body: `upstream saw ${r.headers.authorization}` }));
      const res = await act("api", "request", { method: "POST", path: "/x", body: "plain" });
      assert.equal(res.status, 200);
      assert.equal(res.body.status, "failure");
      assert.equal(res.body.error.code, "http_status");
      assert.equal(res.body.response.status, 502);
      assert.equal(res.body.response.body, "upstream saw Bearer [[SENSITIVE]]");
      assert.equal(sink.requests[0]?.headers["content-type"], "text/plain; charset=utf-8");
    });

    it("a redirect is not followed: the action fails with redirect_refused", async () => {
      const { sink } = suite();
      sink.respond(() => ({ status: 302, headers: { location: "http://169.254.169.254/" }, body: "" }));
      const res = await act("basic", "request", { method: "GET", path: "/moved" });
      assert.equal(res.body.status, "failure");
      assert.equal(res.body.error.code, "redirect_refused");
      assert.equal(sink.requests.length, 1);
    });

    it("bad action input is a 400 naming the field; an unknown action or installation is a 404", async () => {
      const { f, sink } = suite();
      const missing = await act("slack", "post_message", { text: "no channel" });
      assert.equal(missing.status, 400, missing.text);
      assert.deepEqual(
        missing.body.error.details.fields.map((x: { field: string }) => x.field),
        ["body.input.channel"],
      );
      const extra = await act("slack", "post_message", { channel: "c", text: "t", nope: "x" });
      assert.equal(extra.status, 400);
      for (const path of ["/x", "//evil.test/x", "http://evil.test/"]) {
        const bad = await act("api", "request", { method: "GET", path: path === "/x" ? "x" : path });
        assert.equal(bad.status, 400, `${path}: ${bad.text}`);
      }
      assert.equal((await act("api", "request", { method: "TRACE", path: "/" })).status, 400);
      assert.equal((await act("slack", "nope", {})).status, 404);
      assert.equal((await act("nobody", "post_message", {})).status, 404);
      const notJson = await f.call("POST", f.p("/installations/slack/actions/post_message"), f.owner, {
        input: { channel: 1 },
      });
      assert.equal(notJson.status, 400);
      assert.equal(sink.requests.length, 0, "nothing was sent");
    });

    it("viewers may not run an action; editors may", async () => {
      const { f } = suite();
      const viewer = await f.tokenFor("viewer");
      assert.equal((await act("basic", "request", { method: "GET", path: "/" }, viewer)).status, 403);
      const editor = await f.tokenFor("editor");
      assert.equal(
        (await act("basic", "request", { method: "GET", path: "/" }, editor)).body.status,
        "success",
      );
    });

    it("a run records the access: last accessed by the installation (X7)", async () => {
      const { f } = suite();
      await act("zendesk", "create_ticket", { subject: "a", body: "b" });
      await eventually(
        async () => {
          const meta = await f.call("GET", `/v1/orgs/${f.org}/secrets/ZENDESK_TOKEN`);
          return (
            meta.body.lastAccessedBy?.kind === "installation" && meta.body.lastAccessedBy.name === "zendesk"
          );
        },
        15_000,
        "ZENDESK_TOKEN's last access by the installation",
      );
    });

    it("an archived secret fails the action with secret_archived, naming it, and nothing is sent", async () => {
      const { f, sink } = suite();
      assert.equal((await f.call("POST", `/v1/orgs/${f.org}/secrets/TWILIO_TOKEN/archive`)).status, 200);
      const res = await act("twilio", "send_sms", { to: "+1", body: "x" });
      assert.equal(res.body.status, "failure");
      assert.equal(res.body.error.code, "secret_archived");
      assert.match(res.body.error.message, /TWILIO_TOKEN/);
      assert.equal(sink.requests.length, 0);
      assert.equal((await f.call("POST", `/v1/orgs/${f.org}/secrets/TWILIO_TOKEN/restore`)).status, 200);
    });

    it("a secret bound to other hosts (S12) is not sent: destination_not_allowed before connecting", async () => {
      const { f, sink } = suite();
      const bind = await f.call("PATCH", `/v1/orgs/${f.org}/secrets/SLACK_BOT_TOKEN`, f.owner, {
        allowedHosts: ["slack.com"],
      });
      assert.equal(bind.status, 200, bind.text);
      const res = await act("slack", "post_message", { channel: "c", text: "t" });
      assert.equal(res.body.status, "failure");
      assert.equal(res.body.error.code, "destination_not_allowed");
      assert.equal(sink.requests.length, 0);
      await f.call("PATCH", `/v1/orgs/${f.org}/secrets/SLACK_BOT_TOKEN`, f.owner, { allowedHosts: [] });
    });
  });
}
