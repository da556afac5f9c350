/**
 * An installation's options through a real server and real local HTTP servers, on SQLite and PostgreSQL
 * (SPEC X8, S2, X2; decision 0255): the parts of typed secrets a field may name (a username and password,
 * a JSON secret's values) and the request timeout, for an action run directly and from a flow's step.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { appStepFlow, testFlow, useAppSuite } from "../testing/apps.js";
import { testDatabases } from "../testing/databases.js";

const USER = "s3cr3t-basic-user";
const PASS = "s3cr3t-basic-pass";
const JSON_TOKEN = "s3cr3t-json-token";
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
/** The suite's secrets: a username and password, one whose user name breaks basic auth, JSON, a token. */
const SECRETS: [string, "token" | "username_password" | "json", unknown][] = [
  ["CREDS", "username_password", { username: USER, password: PASS }],
  ["COLON", "username_password", { username: "s3cr3t-a:b", password: PASS }],
  ["CFG", "json", { api: { token: JSON_TOKEN }, port: 8443 }],
  ["PLAIN", "token", "s3cr3t-plain-token"],
];

for (const database of testDatabases()) {
  describe(`installation options on ${database.name}`, () => {
    const suite = useAppSuite(database, {
      marker: "s3cr3t-",
      forms: () => [b64(`${USER}:${PASS}`).slice(0, 16)],
      async setup({ f }) {
        for (const [name, type, value] of SECRETS) await f.secret(name, type, value);
      },
    });

    const post = (path: string, body: unknown) => {
      const { f } = suite();
      return f.call("POST", f.p(path), f.owner, body);
    };
    const install = (body: Record<string, unknown>) => post("/installations", body);
    const act = (name: string, input: Record<string, string>) =>
      post(`/installations/${name}/actions/request`, { input });
    const basic = (name: string, secret: string, over: Record<string, unknown> = {}) => ({
      name,
      app: "http_basic",
      secrets: [secret],
      config: {
        base_url: suite().sink.url,
        username: { expr: `secrets.${secret}.username` },
        password: { expr: `secrets["${secret}"].password` },
      },
      ...over,
    });

    it("http_basic takes a username and password secret's two parts; the service gets both", async () => {
      const { sink } = suite();
      const made = await install(basic("creds", "CREDS"));
      assert.equal(made.status, 201, made.text);
      assert.deepEqual(made.body.config.username, { expr: "secrets.CREDS.username" });
      const res = await act("creds", { method: "GET", path: "/who" });
      assert.equal(res.body.status, "success", res.text);
      assert.equal(sink.requests[0]?.headers.authorization, `Basic ${b64(`${USER}:${PASS}`)}`);
      assert.equal(res.body.request.headers.Authorization, "Basic [[SENSITIVE]]");
    });

    it("a JSON secret's string value fills a field; a value that is not a string fails the action", async () => {
      const { sink } = suite();
      const bearer = (name: string, expr: string) => ({
        name,
        app: "http_bearer",
        secrets: ["CFG"],
        config: { base_url: sink.url, token: { expr } },
      });
      assert.equal((await install(bearer("json_ok", "secrets.CFG.api.token"))).status, 201);
      const ok = await act("json_ok", { method: "GET", path: "/" });
      assert.equal(ok.body.status, "success", ok.text);
      assert.equal(sink.requests[0]?.headers.authorization, `Bearer ${JSON_TOKEN}`);

      assert.equal((await install(bearer("json_num", "secrets.CFG.port"))).status, 201);
      const bad = await act("json_num", { method: "GET", path: "/" });
      assert.equal(bad.body.error.code, "invalid_secret_type");
      assert.match(bad.body.error.message, /field token takes a string; secrets\.CFG\.port is not one/);
      assert.equal(sink.requests.length, 1, "nothing more was sent");
    });

    it("a part that does not fit the secret's type is refused at save, naming the field", async () => {
      const { sink } = suite();
      const cases: [Record<string, unknown>, string, RegExp][] = [
        [{ token: { expr: "secrets.PLAIN.username" } }, "PLAIN", /PLAIN is a token/],
        [{ token: { expr: "secrets.CREDS" } }, "CREDS", /CREDS\.username or \.password/],
        [{ token: { expr: "secrets.CREDS.pin" } }, "CREDS", /CREDS\.username or \.password/],
        [{ token: { expr: "secrets.CFG" } }, "CFG", /CFG is a JSON secret/],
      ];
      for (const [config, secret, message] of cases) {
        const res = await install({
          name: "wrong",
          app: "http_bearer",
          secrets: [secret],
          config: { base_url: sink.url, ...config },
        });
        assert.equal(res.status, 400, res.text);
        assert.deepEqual(res.body.error.details.fields[0].field, "body.config.token");
        assert.match(res.body.error.details.fields[0].message, message);
      }
      const creds = basic("url", "CREDS");
      const url = await install({
        ...creds,
        config: { ...creds.config, base_url: { expr: "secrets.CFG.url" } },
      });
      assert.equal(url.status, 400, url.text);
      assert.deepEqual(
        url.body.error.details.fields.map((x: { field: string }) => x.field),
        ["body.config.base_url"],
      );
    });

    it("a field's pattern is checked on a secret's value when the action runs, never quoting it", async () => {
      const { sink } = suite();
      assert.equal((await install(basic("colon", "COLON"))).status, 201);
      const res = await act("colon", { method: "GET", path: "/" });
      assert.equal(res.body.error.code, "invalid_config");
      assert.match(
        res.body.error.message,
        /field username \(secrets\.COLON\.username\) must not contain a colon/,
      );
      assert.equal(sink.requests.length, 0);
    });

    it("timeoutMs is 10 s by default and refused outside 1 ms to 30 s", async () => {
      const made = await install(basic("default_timeout", "CREDS"));
      assert.equal(made.body.timeoutMs, 10_000);
      for (const timeoutMs of [0, 30_001, 1.5, "1000"]) {
        const res = await install(basic("bad_timeout", "CREDS", { timeoutMs }));
        assert.equal(res.status, 400, `${timeoutMs}: ${res.text}`);
        assert.deepEqual(
          res.body.error.details.fields.map((x: { field: string }) => x.field),
          ["body.timeoutMs"],
        );
      }
    });

    it("a slow service fails the action with timeout after the installation's timeoutMs, directly and in a flow", async () => {
      const { f, sink } = suite();
      sink.respond(() => ({ status: 200, body: "late", delayMs: 2_000 }));
      const made = await install(basic("hasty", "CREDS", { timeoutMs: 300 }));
      assert.equal(made.status, 201, made.text);
      assert.equal(made.body.timeoutMs, 300);
      const started = Date.now();
      const res = await act("hasty", { method: "GET", path: "/slow" });
      const took = Date.now() - started;
      assert.equal(res.body.error.code, "timeout", res.text);
      assert.ok(took >= 300 && took < 1_500, `answered after ${took} ms`);

      const input = { method: "GET", path: "/slow" };
      const flow = await appStepFlow(f, "slow_call", { installation: "hasty", action: "request", input });
      const run = await testFlow(f, flow.id);
      assert.equal(run.status, "failure");
      assert.equal(run.steps[0].error.code, "timeout");
      assert.ok(run.steps[0].durationMs < 1_500, `the step took ${run.steps[0].durationMs} ms`);

      const patient = await f.call(
        "PUT",
        f.p("/installations/hasty"),
        f.owner,
        basic("hasty", "CREDS", { timeoutMs: 5_000 }),
      );
      assert.equal(patient.status, 200, patient.text);
      const late = await act("hasty", { method: "GET", path: "/slow" });
      assert.equal(late.body.status, "success", late.text);
      assert.equal(late.body.output.body, "late");
    });
  });
}
