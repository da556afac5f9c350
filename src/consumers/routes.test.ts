/**
 * Integrations and logic functions through a real listening server, on SQLite and on PostgreSQL: their
 * shapes, the save-time checks of X2 and X3, usage counts (X7, S5, S6), audit (A1) and roles (S11).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "../testing/databases.js";
import { type RuntimeFixture, runtimeFixture } from "../testing/runtime.js";
import { startTestServer, type TestServer } from "../testing/server.js";

const hook = (over: Record<string, unknown> = {}) => ({
  name: "Order hook",
  event: "order",
  secrets: ["API_KEY"],
  request: {
    method: "POST",
    url: "https://hooks.example.test/orders",
    headers: { Authorization: "Bearer {{{API_KEY}}}" },
    body: '{"id":"{{event.id}}"}',
  },
  ...over,
});

const fn = (over: Record<string, unknown> = {}) => ({
  name: "Enrich",
  secrets: ["API_KEY"],
  code: "export default function process({ event, secrets }) { return { n: secrets.API_KEY.length }; }",
  ...over,
});

for (const database of testDatabases()) {
  describe(`consumers API on ${database.name}`, () => {
    let server: TestServer;
    let f: RuntimeFixture;

    before(async () => {
      server = await startTestServer(database);
      f = await runtimeFixture(server);
      await f.secret("API_KEY", "token", "s3cr3t-api-key-value");
      await f.secret("CREDS", "username_password", { username: "s3cr3t-user", password: "s3cr3t-password" });
    });
    after(async () => {
      for (const text of f.seen)
        assert.ok(!text.includes("s3cr3t-"), `an answer leaked a value: ${text.slice(0, 200)}`);
      for (const line of server.logs) assert.ok(!line.includes("s3cr3t-"), "the server log holds a value");
      await server.close();
    });

    const usage = async (name: string) => {
      const res = await f.call("GET", `/v1/orgs/${f.org}/secrets/${name}`);
      assert.equal(res.status, 200, res.text);
      return { count: res.body.usageCount as number, usedBy: (res.body.usedBy ?? []) as { id: string }[] };
    };

    it("an integration is created with defaults, read, listed, replaced and deleted", async () => {
      const created = await f.call("POST", f.p("/integrations"), f.owner, hook());
      assert.equal(created.status, 201, created.text);
      const id = created.body.id as string;
      assert.deepEqual(created.body, {
        id,
        name: "Order hook",
        event: "order",
        enabled: true,
        secrets: ["API_KEY"],
        request: {
          method: "POST",
          url: "https://hooks.example.test/orders",
          headers: { Authorization: "Bearer {{{API_KEY}}}" },
          query: {},
          body: '{"id":"{{event.id}}"}',
          basicAuth: null,
        },
        timeoutMs: 10000,
      });
      assert.deepEqual((await f.call("GET", f.p(`/integrations/${id}`))).body, created.body);
      const list = await f.call("GET", f.p("/integrations"));
      assert.ok(list.body.integrations.some((i: { id: string }) => i.id === id));

      const replaced = await f.call(
        "PUT",
        f.p(`/integrations/${id}`),
        f.owner,
        hook({ name: "Renamed", enabled: false, timeoutMs: 500 }),
      );
      assert.equal(replaced.status, 200, replaced.text);
      assert.equal(replaced.body.name, "Renamed");
      assert.equal(replaced.body.enabled, false);
      assert.equal(replaced.body.timeoutMs, 500);

      assert.equal((await f.call("DELETE", f.p(`/integrations/${id}`))).status, 204);
      assert.equal((await f.call("GET", f.p(`/integrations/${id}`))).status, 404);
    });

    it("a logic function is created with its default limits and listed apart from integrations", async () => {
      const created = await f.call("POST", f.p("/logic"), f.owner, fn());
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.timeoutMs, 1000);
      assert.equal(created.body.memoryMb, 64);
      assert.equal(created.body.event, "");
      const id = created.body.id as string;
      assert.equal(
        (await f.call("GET", f.p(`/integrations/${id}`))).status,
        404,
        "a logic id is no integration",
      );
      const list = await f.call("GET", f.p("/logic"));
      assert.ok(list.body.logic.some((l: { id: string }) => l.id === id));
      assert.equal((await f.call("DELETE", f.p(`/logic/${id}`))).status, 204);
    });

    it("saving refuses templates that use a secret the integration does not declare, naming it", async () => {
      const res = await f.call(
        "POST",
        f.p("/integrations"),
        f.owner,
        hook({
          secrets: [],
          request: { url: "https://x.test/?k={{API_KEY}}", headers: { "X-U": "{{{CREDS.username}}}" } },
        }),
      );
      assert.equal(res.status, 400, res.text);
      assert.equal(res.body.error.code, "invalid_request");
      assert.deepEqual(res.body.error.details.undeclared, ["API_KEY", "CREDS"]);
    });

    it("saving refuses a declared secret that does not exist, naming it", async () => {
      const res = await f.call(
        "POST",
        f.p("/integrations"),
        f.owner,
        hook({ secrets: ["API_KEY", "NOPE_ONE"] }),
      );
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(res.body.error.details.missing, ["NOPE_ONE"]);
      assert.match(res.body.error.message, /NOPE_ONE/);
    });

    it("a template syntax error is refused naming its field", async () => {
      const res = await f.call(
        "POST",
        f.p("/integrations"),
        f.owner,
        hook({ request: { url: "https://x.test/", headers: { "X-A": "{{#API_KEY}}unclosed" } } }),
      );
      assert.equal(res.status, 400, res.text);
      const fields = res.body.error.details.fields.map((x: { field: string }) => x.field);
      assert.deepEqual(fields, ["body.request.headers.X-A"]);
    });

    it("a logic function that does not parse is refused naming the code field", async () => {
      const res = await f.call("POST", f.p("/logic"), f.owner, fn({ code: "export default function ( {" }));
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(
        res.body.error.details.fields.map((x: { field: string }) => x.field),
        ["body.code"],
      );
    });

    it("a logic function whose code reads an undeclared secret is refused, naming it", async () => {
      const res = await f.call(
        "POST",
        f.p("/logic"),
        f.owner,
        fn({ secrets: [], code: "export default ({ secrets }) => secrets.CREDS.password" }),
      );
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(res.body.error.details.undeclared, ["CREDS"]);
    });

    it("limits are enforced: timeouts, memory, name length, code size", async () => {
      const bad: [string, Record<string, unknown>, string][] = [
        ["/integrations", hook({ timeoutMs: 0 }), "body.timeoutMs"],
        ["/integrations", hook({ timeoutMs: 30_001 }), "body.timeoutMs"],
        ["/integrations", hook({ name: "" }), "body.name"],
        ["/integrations", hook({ name: "n".repeat(201) }), "body.name"],
        ["/logic", fn({ memoryMb: 4 }), "body.memoryMb"],
        ["/logic", fn({ memoryMb: 257 }), "body.memoryMb"],
        ["/logic", fn({ code: `export default () => 1;//${"x".repeat(256 * 1024)}` }), "body.code"],
        ["/logic", fn({ secrets: ["API_KEY", "api_key"] }), "body.secrets"],
      ];
      for (const [path, body, field] of bad) {
        const res = await f.call("POST", f.p(path), f.owner, body);
        assert.equal(res.status, 400, `${field}: ${res.text}`);
        const fields = res.body.error.details.fields.map((x: { field: string }) => x.field);
        assert.ok(fields.includes(field), `${field} not named in ${JSON.stringify(fields)}`);
      }
      const ok = await f.call("POST", f.p("/integrations"), f.owner, hook({ timeoutMs: 30_000 }));
      assert.equal(ok.status, 201, ok.text);
      await f.call("DELETE", f.p(`/integrations/${ok.body.id}`));
    });

    it("a secret's usage count follows the consumers that declare it, and is 0 again when they are gone", async () => {
      const before = (await usage("CREDS")).count;
      const a = await f.integration(
        hook({ secrets: ["CREDS"], request: { url: "https://x.test/{{CREDS.username}}" } }),
      );
      assert.equal((await usage("CREDS")).count, before + 1);
      const b = await f.logic(fn({ secrets: ["CREDS", "API_KEY"] }));
      const after2 = await usage("CREDS");
      assert.equal(after2.count, before + 2);
      assert.deepEqual(after2.usedBy.map((u) => u.id).sort(), [a.id, b.id].sort());

      const res = await f.call("PUT", f.p(`/logic/${b.id}`), f.owner, fn({ secrets: ["API_KEY"] }));
      assert.equal(res.status, 200, res.text);
      assert.equal((await usage("CREDS")).count, before + 1);

      assert.equal((await f.call("DELETE", f.p(`/integrations/${a.id}`))).status, 204);
      assert.equal((await usage("CREDS")).count, before);
      await f.call("DELETE", f.p(`/logic/${b.id}`));
    });

    it("a secret in use cannot be deleted until its consumers are gone", async () => {
      await f.secret("TEMP_KEY", "token", "s3cr3t-temp-key");
      const c = await f.integration(
        hook({ secrets: ["TEMP_KEY"], request: { url: "https://x.test/{{TEMP_KEY}}" } }),
      );
      const refused = await f.call("DELETE", `/v1/orgs/${f.org}/secrets/TEMP_KEY`);
      assert.equal(refused.status, 409, refused.text);
      assert.equal(refused.body.error.code, "secret_in_use");
      assert.equal((await f.call("DELETE", f.p(`/integrations/${c.id}`))).status, 204);
      assert.equal((await f.call("DELETE", `/v1/orgs/${f.org}/secrets/TEMP_KEY`)).status, 204);
    });

    it("a failed save changes nothing: no consumer, no usage", async () => {
      const before = await usage("API_KEY");
      const list = (await f.call("GET", f.p("/integrations"))).body.integrations.length;
      await f.call("POST", f.p("/integrations"), f.owner, hook({ secrets: ["API_KEY", "MISSING_ONE"] }));
      assert.equal((await usage("API_KEY")).count, before.count);
      assert.equal((await f.call("GET", f.p("/integrations"))).body.integrations.length, list);
    });

    it("every create, update and delete of a consumer is audited with its target", async () => {
      const c = await f.integration(hook({ name: "Audited hook" }));
      await f.call("PUT", f.p(`/integrations/${c.id}`), f.owner, hook({ name: "Audited hook 2" }));
      await f.call("DELETE", f.p(`/integrations/${c.id}`));
      const res = await f.call("GET", `/v1/orgs/${f.org}/audit?limit=50`);
      assert.equal(res.status, 200, res.text);
      const mine = res.body.entries.filter((e: { target: { id: string } | null }) => e.target?.id === c.id);
      assert.deepEqual(mine.map((e: { action: string }) => e.action).sort(), [
        "consumer.create",
        "consumer.delete",
        "consumer.update",
      ]);
      for (const e of mine) assert.equal(e.target.type, "integration");
    });

    it("a viewer reads consumers but cannot write them; an editor can", async () => {
      const viewer = await f.tokenFor("viewer");
      const editor = await f.tokenFor("editor");
      assert.equal((await f.call("GET", f.p("/integrations"), viewer)).status, 200);
      const denied = await f.call("POST", f.p("/integrations"), viewer, hook());
      assert.equal(denied.status, 403, denied.text);
      const made = await f.call("POST", f.p("/integrations"), editor, hook());
      assert.equal(made.status, 201, made.text);
      assert.equal((await f.call("DELETE", f.p(`/integrations/${made.body.id}`), viewer)).status, 403);
      assert.equal((await f.call("DELETE", f.p(`/integrations/${made.body.id}`), editor)).status, 204);
    });

    it("a consumer of another project is not found through this one", async () => {
      assert.equal(
        (await f.call("POST", `/v1/orgs/${f.org}/projects`, f.owner, { slug: "other", name: "o" })).status,
        201,
      );
      const c = await f.integration(hook());
      const res = await f.call("GET", `/v1/orgs/${f.org}/projects/other/integrations/${c.id}`);
      assert.equal(res.status, 404, res.text);
      await f.call("DELETE", f.p(`/integrations/${c.id}`));
    });
  });
}
