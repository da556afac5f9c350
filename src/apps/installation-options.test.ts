/**
 * An installation's options through a real server and real local HTTP servers, on SQLite and PostgreSQL
 * (SPEC X8, S2, X2; decision 0255): the parts of typed secrets a field may name (a username and password,
 * a JSON secret's values) and the request timeout, for an action run directly and from a flow's step.
 */
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { testDatabases } from "../testing/databases.js";
import { type RuntimeFixture, startRuntimeSuite } from "../testing/runtime.js";
import type { TestServer } from "../testing/server.js";
import type { Sink } from "../testing/sink.js";

const USER = "s3cr3t-basic-user";
const PASS = "s3cr3t-basic-pass";
const JSON_TOKEN = "s3cr3t-json-token";
const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

for (const database of testDatabases()) {
  describe(`installation options on ${database.name}`, () => {
    let server: TestServer;
    let f: RuntimeFixture;
    let sink: Sink;

    before(async () => {
      ({ server, f, sink } = await startRuntimeSuite(database));
      await f.secret("CREDS", "username_password", { username: USER, password: PASS });
      await f.secret("COLON", "username_password", { username: "s3cr3t-a:b", password: PASS });
      await f.secret("CFG", "json", { api: { token: JSON_TOKEN }, port: 8443 });
      await f.secret("PLAIN", "token", "s3cr3t-plain-token");
    });
    beforeEach(() => {
      sink.requests.length = 0;
      sink.respond(() => ({ status: 200, headers: { "content-type": "application/json" }, body: "{}" }));
    });
    after(async () => {
      const stored = await server.cloakroom.store.db.selectFrom("run_logs").select("entry").execute();
      await server.close();
      await sink.close();
      assert.ok(stored.length > 0);
      for (const row of stored) assert.ok(!row.entry.includes("s3cr3t-"), "a stored run log holds a value");
      for (const row of stored) assert.ok(!row.entry.includes(b64(`${USER}:${PASS}`).slice(0, 16)));
      for (const text of f.seen) assert.ok(!text.includes("s3cr3t-"), `an answer leaked a value: ${text}`);
      for (const line of server.logs) assert.ok(!line.includes("s3cr3t-"), "the server log holds a value");
    });

    const install = (body: Record<string, unknown>) => f.call("POST", f.p("/installations"), f.owner, body);
    const act = (name: string, input: Record<string, string>) =>
      f.call("POST", f.p(`/installations/${name}/actions/request`), f.owner, { input });
    const basic = (name: string, secret: string, over: Record<string, unknown> = {}) => ({
      name,
      app: "http_basic",
      secrets: [secret],
      config: {
        base_url: sink.url,
        username: { expr: `secrets.${secret}.username` },
        password: { expr: `secrets["${secret}"].password` },
      },
      ...over,
    });

    it("http_basic takes a username and password secret's two parts; the service gets both", async () => {
      const made = await install(basic("creds", "CREDS"));
      assert.equal(made.status, 201, made.text);
      assert.deepEqual(made.body.config.username, { expr: "secrets.CREDS.username" });
      const res = await act("creds", { method: "GET", path: "/who" });
      assert.equal(res.body.status, "success", res.text);
      assert.equal(sink.requests[0]?.headers.authorization, `Basic ${b64(`${USER}:${PASS}`)}`);
      assert.equal(res.body.request.headers.Authorization, "Basic [[SENSITIVE]]");
    });

    it("a JSON secret's string value fills a field; a value that is not a string fails the action", async () => {
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
      sink.respond(() => ({ status: 200, body: "late", delayMs: 2_000 }));
      const made = await install(basic("hasty", "CREDS", { timeoutMs: 300 }));
      assert.equal(made.status, 201, made.text);
      assert.equal(made.body.timeoutMs, 300);
      const started = Date.now();
      const res = await act("hasty", { method: "GET", path: "/slow" });
      const took = Date.now() - started;
      assert.equal(res.body.error.code, "timeout", res.text);
      assert.ok(took >= 300 && took < 1_500, `answered after ${took} ms`);

      const flow = await f.call("POST", f.p("/flows"), f.owner, {
        name: "slow_call",
        steps: [
          {
            id: "call",
            type: "app",
            installation: "hasty",
            action: "request",
            input: { method: "GET", path: "/slow" },
          },
        ],
      });
      assert.equal(flow.status, 201, flow.text);
      const run = await f.call("POST", f.p(`/flows/${flow.body.id}/test`), f.owner, {});
      assert.equal(run.body.status, "failure", run.text);
      assert.equal(run.body.steps[0].error.code, "timeout");
      assert.ok(run.body.steps[0].durationMs < 1_500, `the step took ${run.body.steps[0].durationMs} ms`);

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
