/**
 * How secrets behave in real runs, through a real server and a real local HTTP sink, on SQLite and
 * PostgreSQL: destination binding (S12), alias names (S1), an override's delete and archive falling back
 * to the organization's secret (S6, S7), the redactor as an oracle (X6, X7) and the per-organization
 * rate limit of publishing and manual runs.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "../../testing/databases.js";
import { eventually, type RuntimeFixture, runtimeFixture, startRuntimeSuite } from "../../testing/runtime.js";
import { startTestServer, type TestServer } from "../../testing/server.js";
import type { Sink } from "../../testing/sink.js";

const STRIPE = "s3cr3t-sk_live_4eC39HqLyjWDarjtT1";

for (const database of testDatabases()) {
  describe(`secrets in runs on ${database.name}`, () => {
    let server: TestServer;
    let f: RuntimeFixture;
    let sink: Sink;

    before(async () => {
      ({ server, f, sink } = await startRuntimeSuite(database));
      const bound = await f.call("POST", `/v1/orgs/${f.org}/secrets`, f.owner, {
        name: "STRIPE_KEY",
        type: "token",
        value: STRIPE,
        allowedHosts: ["api.stripe.com", "*.stripe.com"],
      });
      assert.equal(bound.status, 201, bound.text);
    });
    after(async () => {
      await sink.close();
      await server.close();
      for (const text of f.seen) assert.ok(!text.includes("s3cr3t-"), `an answer leaked a value: ${text}`);
      for (const line of server.logs) assert.ok(!line.includes("s3cr3t-"), "the server log holds a value");
    });

    const test = async (id: string, data: unknown = {}) => {
      const res = await f.call("POST", f.p(`/integrations/${id}/test`), f.owner, { event: { data } });
      assert.equal(res.status, 200, res.text);
      return res.body;
    };

    it("a run that would send a bound secret, in any form and any part of the request, to another host fails before connecting", async () => {
      const requests: Record<string, unknown>[] = [
        { headers: { Authorization: "Bearer {{{STRIPE_KEY}}}" } },
        { url: `${sink.url}/charge?key={{STRIPE_KEY}}` },
        { url: `${sink.url}/charge/{{STRIPE_KEY}}` },
        { query: { k: "{{{STRIPE_KEY}}}" } },
        { body: '{"key":"{{STRIPE_KEY}}"}' },
        { basicAuth: { username: "{{{STRIPE_KEY}}}", password: "" } },
        { basicAuth: { username: "user", password: "{{{STRIPE_KEY}}}" } },
      ];
      for (const [i, over] of requests.entries()) {
        const integration = await f.integration({
          name: `Bound ${i}`,
          secrets: ["STRIPE_KEY"],
          request: { method: "POST", url: `${sink.url}/charge`, ...over },
        });
        const entry = await test(integration.id);
        assert.equal(entry.status, "failure", JSON.stringify(over));
        assert.equal(entry.error.code, "destination_not_allowed", JSON.stringify(over));
        assert.match(entry.error.message, /STRIPE_KEY/);
      }
      assert.equal(sink.requests.length, 0, "the sink received a request");
    });

    it("a run whose request holds the bound secret only when its own host is allowed is delivered", async () => {
      const allowed = await f.call("POST", `/v1/orgs/${f.org}/secrets`, f.owner, {
        name: "LOCAL_KEY",
        type: "username_password",
        value: { username: "s3cr3t-local-user", password: "s3cr3t-local-password" },
        allowedHosts: ["127.0.0.1"],
      });
      assert.equal(allowed.status, 201, allowed.text);
      const integration = await f.integration({
        name: "Local",
        secrets: ["LOCAL_KEY", "STRIPE_KEY"],
        request: {
          method: "POST",
          url: `${sink.url}/ok`,
          basicAuth: { username: "{{{LOCAL_KEY.username}}}", password: "{{{LOCAL_KEY.password}}}" },
          // STRIPE_KEY is declared but not sent: nothing to refuse.
          body: "{{#STRIPE_KEY}}has a key{{/STRIPE_KEY}}",
        },
      });
      const entry = await test(integration.id);
      assert.equal(entry.status, "success", JSON.stringify(entry));
      assert.equal(sink.requests.length, 1);
      const auth = sink.requests[0]!.headers.authorization ?? "";
      assert.equal(
        Buffer.from(auth.replace(/^Basic /, ""), "base64").toString(),
        "s3cr3t-local-user:s3cr3t-local-password",
      );
      sink.requests.length = 0;
      // Rebinding the secret elsewhere takes effect on the next run.
      await f.call("PATCH", `/v1/orgs/${f.org}/secrets/LOCAL_KEY`, f.owner, {
        allowedHosts: ["*.example.com"],
      });
      const refused = await test(integration.id);
      assert.equal(refused.error?.code, "destination_not_allowed", JSON.stringify(refused));
      assert.equal(sink.requests.length, 0);
    });

    it("under the alias policy a run finds a secret by any spelling of its name, in templates and code", async () => {
      const res = await f.call("POST", "/v1/orgs", f.owner, { slug: "aliases", name: "Aliases" });
      assert.equal(res.status, 201, res.text);
      await f.call("PATCH", "/v1/orgs/aliases/settings", f.owner, { namingPolicy: "alias" });
      await f.call("POST", "/v1/orgs/aliases/projects", f.owner, { slug: "w", name: "w" });
      const secret = await f.call("POST", "/v1/orgs/aliases/secrets", f.owner, {
        name: "weather_fx",
        type: "token",
        value: "s3cr3t-weather-fx",
      });
      assert.equal(secret.status, 201, secret.text);
      const hook = await f.call("POST", "/v1/orgs/aliases/projects/w/integrations", f.owner, {
        name: "Weather",
        secrets: ["Weather_FX"],
        request: { method: "GET", url: `${sink.url}/weather`, headers: { "X-Key": "{{{WEATHER_FX}}}" } },
      });
      assert.equal(hook.status, 201, hook.text);
      const entry = await f.call("POST", `/v1/orgs/aliases/projects/w/integrations/${hook.body.id}/test`);
      assert.equal(entry.body.status, "success", entry.text);
      assert.equal(sink.requests.at(-1)?.headers["x-key"], "s3cr3t-weather-fx");
      const fn = await f.call("POST", "/v1/orgs/aliases/projects/w/logic", f.owner, {
        name: "Length",
        secrets: ["weather_FX"],
        code: "export default function process({ secrets }) { return secrets.Weather_Fx.length; }",
      });
      assert.equal(fn.status, 201, fn.text);
      const run = await f.call("POST", `/v1/orgs/aliases/projects/w/logic/${fn.body.id}/run`);
      assert.equal(run.body.status, "success", run.text);
      assert.equal(run.body.output, "s3cr3t-weather-fx".length);
      sink.requests.length = 0;
    });

    it("deleting a project secret that overrides an organization secret in use falls back to the organization's value", async () => {
      await f.secret("API_KEY", "token", "s3cr3t-org-value");
      const project = await f.call("POST", f.p("/secrets"), f.owner, {
        name: "API_KEY",
        type: "token",
        value: "s3cr3t-project-value",
      });
      assert.equal(project.status, 201, project.text);
      const integration = await f.integration({
        name: "Uses API_KEY",
        secrets: ["API_KEY"],
        request: { method: "POST", url: `${sink.url}/api`, headers: { "X-Key": "{{{API_KEY}}}" } },
      });
      await test(integration.id);
      assert.equal(sink.requests.at(-1)?.headers["x-key"], "s3cr3t-project-value");

      const del = await f.call("DELETE", f.p("/secrets/API_KEY"));
      assert.equal(del.status, 204, del.text);
      assert.equal(del.headers.get("cloakroom-fallback"), "org");
      const entry = await test(integration.id);
      assert.equal(entry.status, "success", JSON.stringify(entry));
      assert.equal(sink.requests.at(-1)?.headers["x-key"], "s3cr3t-org-value");
      const org = await f.call("GET", `/v1/orgs/${f.org}/secrets/API_KEY`);
      assert.deepEqual(
        org.body.usedBy.map((c: { name: string }) => c.name),
        ["Uses API_KEY"],
      );
      // The organization's secret itself is still guarded.
      assert.equal((await f.call("DELETE", `/v1/orgs/${f.org}/secrets/API_KEY`)).status, 409);
    });

    it("archiving a project secret that overrides an organization secret makes runs use the organization's value", async () => {
      // Its own names: an organization secret and the project secret that overrides it.
      await f.secret("ARCHIVE_KEY", "token", "s3cr3t-archive-org-value");
      const override = await f.call("POST", f.p("/secrets"), f.owner, {
        name: "ARCHIVE_KEY",
        type: "token",
        value: "s3cr3t-archive-project-value",
      });
      assert.equal(override.status, 201, override.text);
      const integration = await f.integration({
        name: "Archive fallback",
        secrets: ["ARCHIVE_KEY"],
        request: { method: "POST", url: `${sink.url}/api`, headers: { "X-Key": "{{{ARCHIVE_KEY}}}" } },
      });
      await test(integration.id);
      assert.equal(sink.requests.at(-1)?.headers["x-key"], "s3cr3t-archive-project-value");
      const archived = await f.call("POST", f.p("/secrets/ARCHIVE_KEY/archive"));
      assert.equal(archived.status, 200, archived.text);
      const entry = await test(integration.id);
      assert.equal(entry.status, "success", JSON.stringify(entry));
      assert.equal(sink.requests.at(-1)?.headers["x-key"], "s3cr3t-archive-org-value");
      // Without an organization secret to fall back to, archive still stops the run (S7).
      await f.call("POST", f.p("/secrets"), f.owner, {
        name: "ONLY_HERE",
        type: "token",
        value: "s3cr3t-only",
      });
      const lone = await f.integration({
        name: "Lone",
        secrets: ["ONLY_HERE"],
        request: { method: "POST", url: `${sink.url}/api`, headers: { "X-Key": "{{{ONLY_HERE}}}" } },
      });
      await f.call("POST", f.p("/secrets/ONLY_HERE/archive"));
      assert.equal((await test(lone.id)).error?.code, "secret_archived");
    });

    it("a run whose log reveals a secret it does not declare is flagged, audited and counted as an access", async () => {
      await f.secret("PIN", "token", "PIN=493817");
      const echo = await f.logic({
        name: "Echo",
        secrets: [],
        code: "export default function process({ event }) { return event.data.guess; }",
      });
      const miss = await f.call("POST", f.p(`/logic/${echo.id}/run`), f.owner, {
        event: { data: { guess: "PIN=493816" } },
      });
      assert.equal(miss.body.output, "PIN=493816");
      assert.equal(miss.body.warnings, undefined);

      const hit = await f.call("POST", f.p(`/logic/${echo.id}/run`), f.owner, {
        event: { data: { guess: "PIN=493817" } },
      });
      assert.equal(hit.body.output, "[[SENSITIVE]]");
      assert.deepEqual(hit.body.warnings, [{ code: "undeclared_secret_matched", secrets: ["PIN"] }]);
      const logged = (await f.logs()).find((e: { id: string }) => e.id === hit.body.id);
      assert.deepEqual(logged.warnings, hit.body.warnings);
      const audit = await f.call("GET", `/v1/orgs/${f.org}/audit?limit=20`);
      const access = audit.body.entries.find(
        (e: { action: string; target: { name: string } }) =>
          e.action === "secret.access" && e.target.name === "PIN",
      );
      assert.equal(access?.details.undeclared, true);
      assert.equal(access?.details.consumer.name, "Echo");
      await eventually(
        async () => {
          const meta = await f.call("GET", `/v1/orgs/${f.org}/secrets/PIN`);
          return meta.body.lastAccessedBy?.name === "Echo";
        },
        15_000,
        "PIN's last access by Echo",
      );

      // A consumer showing a secret it declares is redacted as ever, and not flagged.
      const own = await f.logic({
        name: "Own",
        secrets: ["PIN"],
        code: "export default function process({ secrets }) { return secrets.PIN; }",
      });
      const mine = await f.call("POST", f.p(`/logic/${own.id}/run`));
      assert.equal(mine.body.output, "[[SENSITIVE]]");
      assert.equal(mine.body.warnings, undefined);
    });
  });

  describe(`per-organization run rate limit on ${database.name}`, () => {
    let server: TestServer;
    let f: RuntimeFixture;

    before(async () => {
      server = await startTestServer(database, { CLOAKROOM_ORG_RUN_RATE: "4" });
      f = await runtimeFixture(server);
    });
    after(() => server.close());

    it("publishing and manual runs beyond the organization's rate get 429 rate_limited; another organization is unaffected", async () => {
      const fn = await f.logic({ name: "Noop", code: "export default function process() { return 1; }" });
      for (let i = 0; i < 2; i++) await f.publish("tick");
      for (let i = 0; i < 2; i++) {
        assert.equal((await f.call("POST", f.p(`/logic/${fn.id}/run`))).status, 200);
      }
      const publish = await f.call("POST", f.p("/events"), f.owner, { name: "tick" });
      assert.equal(publish.status, 429, publish.text);
      assert.equal(publish.body.error.code, "rate_limited");
      const run = await f.call("POST", f.p(`/logic/${fn.id}/run`));
      assert.equal(run.status, 429, run.text);

      assert.equal((await f.call("POST", "/v1/orgs", f.owner, { slug: "other", name: "Other" })).status, 201);
      await f.call("POST", "/v1/orgs/other/projects", f.owner, { slug: "p", name: "p" });
      const other = await f.call("POST", "/v1/orgs/other/projects/p/events", f.owner, { name: "tick" });
      assert.equal(other.status, 202, other.text);
    });
  });
}
