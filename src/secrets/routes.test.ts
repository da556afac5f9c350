/**
 * The secrets API through a real listening server, on SQLite and on PostgreSQL: the promises of S1-S9 and
 * of "Bad input", named after the property each protects.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "../store/testing.js";
import { startTestServer, type TestServer } from "../testing/server.js";

for (const database of testDatabases()) {
  describe(`secrets API on ${database.name}`, () => {
    let server: TestServer;
    let owner: string;
    let viewer: string;
    let editor: string;
    const org = "acme";
    const base = `/v1/orgs/${org}/secrets`;
    const seen: string[] = [];

    const call = async (method: string, path: string, token: string | undefined, body?: unknown) => {
      const res = await server.request(method, path, {
        ...(token ? { token } : {}),
        ...(body !== undefined ? { body } : {}),
      });
      // A reveal's answer is the one place a value may be (S8); every other answer is searched for values.
      if (!(path.endsWith("/reveal") && res.status === 200)) seen.push(res.text);
      return res;
    };
    const tokenFor = async (role: string) => {
      const res = await call("POST", `/v1/orgs/${org}/tokens`, owner, { name: `${role}-token`, role });
      assert.equal(res.status, 201, res.text);
      return res.body.token as string;
    };

    /**
     * Creates a token secret for one test (201 or the test fails). Each test creates the secrets it uses
     * under its own names, so none depends on another having run first.
     */
    const create = async (name: string, over: Record<string, unknown> = {}, at = base) => {
      const res = await call("POST", at, owner, { name, type: "token", value: `s3cr3t-${name}`, ...over });
      assert.equal(res.status, 201, res.text);
      return res.body;
    };

    before(async () => {
      server = await startTestServer(database);
      owner = (await server.setup({ org })).token;
      viewer = await tokenFor("viewer");
      editor = await tokenFor("editor");
      assert.equal(
        (await call("POST", `/v1/orgs/${org}/projects`, owner, { slug: "web", name: "Web" })).status,
        201,
      );
    });
    after(async () => {
      // No answer of the whole suite carried a value: every value used below starts with "s3cr3t-".
      for (const text of seen)
        assert.ok(!text.includes("s3cr3t-"), `a response leaked a value: ${text.slice(0, 200)}`);
      for (const line of server.logs) assert.ok(!line.includes("s3cr3t-"), "the server log holds a value");
      await server.close();
    });

    it("a created secret answers with metadata and never its value", async () => {
      const res = await call("POST", base, owner, {
        name: "CREATED",
        type: "token",
        value: "s3cr3t-created",
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.name, "CREATED");
      assert.equal(res.body.type, "token");
      assert.equal(res.body.visibility, "restricted");
      assert.equal(res.body.version, 1);
      assert.equal(res.body.usageCount, 0);
      assert.equal(res.body.scope, "org");
      assert.equal(res.body.lastAccessedAt, null);
      assert.equal(res.body.archived, false);
      assert.ok(!("value" in res.body));
      const list = await call("GET", base, viewer);
      assert.equal(list.status, 200);
      const listed = list.body.secrets.find((s: { name: string }) => s.name === "CREATED");
      assert.equal(listed?.version, 1);
      assert.equal("value" in listed, false);
    });

    it("names are unique in a scope ignoring case: a second create is 409 name_taken", async () => {
      await create("TAKEN");
      const res = await call("POST", base, owner, { name: "TAKEN", type: "token", value: "s3cr3t-other" });
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, "name_taken");
    });

    it("concurrent creates of one name: exactly one wins, the database decides", async () => {
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          call("POST", base, owner, { name: "RACE", type: "token", value: `s3cr3t-race-${i}` }),
        ),
      );
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409, 409, 409]);
    });

    it("the three types validate their value shape (S2)", async () => {
      const ok1 = await call("POST", base, owner, {
        name: "CREDS",
        type: "username_password",
        value: { username: "s3cr3t-user", password: "s3cr3t-pass" },
      });
      assert.equal(ok1.status, 201, ok1.text);
      const ok2 = await call("POST", base, owner, {
        name: "CFG",
        type: "json",
        value: { region: "eu", key: "s3cr3t-cfg" },
      });
      assert.equal(ok2.status, 201, ok2.text);
      for (const [type, value] of [
        ["token", ""],
        ["token", 42],
        ["username_password", { username: "u" }],
        ["json", ["s3cr3t-array"]],
        ["json", "s3cr3t-string"],
      ] as const) {
        const res = await call("POST", base, owner, { name: "BAD_VALUE", type, value });
        assert.equal(res.status, 400, `${type} ${JSON.stringify(value)}`);
        assert.equal(res.body.error.code, "invalid_request");
      }
    });

    it("an update writes a new version; a stale expectedVersion is 409 version_conflict (S4)", async () => {
      await create("VERSIONED");
      const stale = await call("PUT", `${base}/VERSIONED/value`, owner, {
        value: "s3cr3t-versioned-2",
        expectedVersion: 7,
      });
      assert.equal(stale.status, 409);
      assert.equal(stale.body.error.code, "version_conflict");
      const res = await call("PUT", `${base}/VERSIONED/value`, owner, {
        value: "s3cr3t-versioned-2",
        expectedVersion: 1,
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.version, 2);
      assert.equal(res.body.updatedBy, "owner@example.com");
      const wrongType = await call("PUT", `${base}/VERSIONED/value`, owner, {
        value: { username: "a", password: "b" },
      });
      assert.equal(wrongType.status, 400);
    });

    it("concurrent updates without expectedVersion all succeed, each with its own version", async () => {
      await call("POST", base, owner, { name: "BUSY", type: "token", value: "s3cr3t-busy-0" });
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          call("PUT", `${base}/BUSY/value`, owner, { value: `s3cr3t-busy-${i + 1}` }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        [200, 200, 200, 200, 200, 200],
      );
      assert.deepEqual(results.map((r) => r.body.version).sort(), [2, 3, 4, 5, 6, 7]);
    });

    it("name, type and visibility cannot be changed after creation", async () => {
      await create("FIXED");
      for (const body of [
        { name: "OTHER" },
        { type: "json" },
        { visibility: "masked" },
        { description: "x", name: "Y" },
      ]) {
        const res = await call("PATCH", `${base}/FIXED`, owner, body);
        assert.equal(res.status, 400, JSON.stringify(body));
      }
      const res = await call("PATCH", `${base}/FIXED`, owner, { description: "Payment provider key" });
      assert.equal(res.status, 200);
      assert.equal(res.body.description, "Payment provider key");
      const after = (await call("GET", `${base}/FIXED`, owner)).body;
      assert.deepEqual([after.name, after.type, after.visibility], ["FIXED", "token", "restricted"]);
    });

    it("viewers and editors see names and metadata but cannot write (S11)", async () => {
      await create("READ_ONLY");
      assert.equal((await call("GET", `${base}/READ_ONLY`, viewer)).status, 200);
      assert.equal((await call("GET", `${base}/READ_ONLY`, editor)).status, 200);
      for (const token of [viewer, editor]) {
        assert.equal(
          (await call("POST", base, token, { name: "NOPE", type: "token", value: "s3cr3t-nope" })).status,
          403,
        );
        assert.equal(
          (await call("PUT", `${base}/READ_ONLY/value`, token, { value: "s3cr3t-nope" })).status,
          403,
        );
        assert.equal((await call("POST", `${base}/READ_ONLY/archive`, token)).status, 403);
        assert.equal((await call("DELETE", `${base}/READ_ONLY`, token)).status, 403);
      }
      const unchanged = (await call("GET", `${base}/READ_ONLY`, owner)).body;
      assert.deepEqual([unchanged.version, unchanged.archived], [1, false]);
    });

    it("the organization setting lets editors manage secrets, never reveal them", async () => {
      const on = await call("PATCH", `/v1/orgs/${org}/settings`, owner, { editorsManageSecrets: true });
      assert.equal(on.status, 200, on.text);
      const res = await call("POST", base, editor, {
        name: "EDITOR_MADE",
        type: "token",
        value: "s3cr3t-editor",
        visibility: "masked",
      });
      assert.equal(res.status, 201, res.text);
      assert.equal((await call("POST", `${base}/EDITOR_MADE/reveal`, editor)).status, 403);
      await call("PATCH", `/v1/orgs/${org}/settings`, owner, { editorsManageSecrets: false });
      assert.equal((await call("DELETE", `${base}/EDITOR_MADE`, editor)).status, 403);
    });

    it("a restricted secret can never be revealed, a masked one by owners and admins, audited (S8)", async () => {
      await create("RESTRICTED");
      const restricted = await call("POST", `${base}/RESTRICTED/reveal`, owner);
      assert.equal(restricted.status, 403);
      assert.equal(restricted.body.error.code, "forbidden");
      await call("POST", base, owner, {
        name: "MASKED",
        type: "token",
        value: "s3cr3t-reveal-me",
        visibility: "masked",
      });
      const res = await call("POST", `${base}/MASKED/reveal`, owner);
      assert.equal(res.status, 200);
      assert.equal(res.body.value, "s3cr3t-reveal-me");
      assert.equal(res.headers.get("cache-control"), "no-store");
      assert.equal((await call("POST", `${base}/MASKED/reveal`, viewer)).status, 403);
      const audit = await call("GET", `/v1/orgs/${org}/audit?limit=50`, owner);
      const reveals = audit.body.entries.filter((e: { action: string }) => e.action === "secret.reveal");
      assert.ok(reveals.some((e: { outcome: string }) => e.outcome === "success"));
      assert.ok(reveals.some((e: { outcome: string }) => e.outcome === "denied"));
      assert.ok(!audit.text.includes("s3cr3t-"));
    });

    it("archive hides a secret from the default list and restore brings it back (S7)", async () => {
      await create("ARCHIVED");
      const res = await call("POST", `${base}/ARCHIVED/archive`, owner);
      assert.equal(res.status, 200);
      assert.equal(res.body.archived, true);
      const names = async (archived: string) =>
        (await call("GET", `${base}?archived=${archived}`, owner)).body.secrets.map(
          (s: { name: string }) => s.name,
        );
      assert.ok(!(await names("false")).includes("ARCHIVED"));
      assert.ok((await names("true")).includes("ARCHIVED"));
      assert.equal((await call("POST", `${base}/ARCHIVED/restore`, owner)).body.archived, false);
      assert.ok((await names("false")).includes("ARCHIVED"));
    });

    it("the last 10 versions are kept and a rollback writes a new version with the old value (S9)", async () => {
      await call("POST", base, owner, {
        name: "ROLLED",
        type: "token",
        value: "s3cr3t-v1",
        visibility: "masked",
      });
      for (let v = 2; v <= 12; v++) {
        assert.equal(
          (await call("PUT", `${base}/ROLLED/value`, owner, { value: `s3cr3t-v${v}` })).status,
          200,
        );
      }
      const versions = await call("GET", `${base}/ROLLED/versions`, viewer);
      assert.deepEqual(
        versions.body.versions.map((v: { version: number }) => v.version),
        [12, 11, 10, 9, 8, 7, 6, 5, 4, 3],
      );
      assert.equal((await call("POST", `${base}/ROLLED/rollback`, owner, { version: 2 })).status, 404);
      const rolled = await call("POST", `${base}/ROLLED/rollback`, owner, { version: 5 });
      assert.equal(rolled.status, 200, rolled.text);
      assert.equal(rolled.body.version, 13);
      assert.equal((await call("POST", `${base}/ROLLED/reveal`, owner)).body.value, "s3cr3t-v5");
      assert.equal((await call("POST", `${base}/ROLLED/rollback`, editor, { version: 6 })).status, 403);
    });

    it("a project secret overrides the organization's of the same name, and says so", async () => {
      const p = `/v1/orgs/${org}/projects/web/secrets`;
      await create("OVERRIDDEN");
      await create("ORG_ONLY");
      const res = await call("POST", p, owner, {
        name: "OVERRIDDEN",
        type: "token",
        value: "s3cr3t-project-key",
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.scope, "project");
      assert.equal(res.body.overrides, true);
      const list = (await call("GET", p, viewer)).body.secrets;
      const overridden = list.filter((s: { name: string }) => s.name === "OVERRIDDEN");
      assert.equal(overridden.length, 1);
      assert.equal(overridden[0].scope, "project");
      assert.ok(
        list.some((s: { name: string; scope: string }) => s.name === "ORG_ONLY" && s.scope === "org"),
      );
      assert.equal((await call("GET", `${p}/ORG_ONLY`, viewer)).body.scope, "org");
      assert.equal((await call("GET", `${base}/OVERRIDDEN`, viewer)).body.scope, "org");
    });

    it("delete answers 204, destroys the secret, and a deleted name can be created again", async () => {
      await create("DELETED");
      assert.equal((await call("DELETE", `${base}/DELETED`, owner)).status, 204);
      assert.equal((await call("GET", `${base}/DELETED`, owner)).status, 404);
      assert.equal((await call("DELETE", `${base}/DELETED`, owner)).status, 404);
      assert.equal(
        (await call("POST", base, owner, { name: "DELETED", type: "token", value: "s3cr3t-again" })).status,
        201,
      );
    });

    it("a value over 64 KiB is 413 and a body over 1 MiB is 413 payload_too_large", async () => {
      const big = await call("POST", base, owner, {
        name: "BIG",
        type: "token",
        value: `s3cr3t-${"x".repeat(70_000)}`,
      });
      assert.equal(big.status, 413);
      assert.equal(big.body.error.code, "payload_too_large");
      const huge = await call("POST", base, owner, {
        name: "HUGE",
        type: "token",
        value: `s3cr3t-${"x".repeat(1_100_000)}`,
      });
      assert.equal(huge.status, 413);
      assert.equal(huge.body.error.code, "payload_too_large");
    });

    it("hostile and malformed bodies get 400 invalid_request naming the fields, never a 500", async () => {
      const cases: { body?: unknown; raw?: string; type?: string }[] = [
        { body: { name: 1, type: "token", value: "s3cr3t-x" } },
        { body: { name: "A", type: "password", value: "s3cr3t-x" } },
        { body: { name: "A".repeat(129), type: "token", value: "s3cr3t-x" } },
        { body: { name: "../../etc", type: "token", value: "s3cr3t-x" } },
        { body: { name: "A\u0000B", type: "token", value: "s3cr3t-x" } },
        { body: { name: "lower", type: "token", value: "s3cr3t-x" } },
        { body: { name: "OK_NAME", type: "token", value: "s3cr3t-x", description: "a\u0007b" } },
        { body: { name: "OK_NAME", type: "token", value: "s3cr3t-x", extra: true } },
        { body: null },
        { body: [] },
        { body: "s3cr3t-string-body" },
        { raw: '{"name": "A", "type": "token", "value": "s3cr3t-x"' },
        { raw: '{"__proto__": {"admin": true}, "name": "PROTO", "type": "token", "value": "s3cr3t-x"}' },
        {
          raw: '{"constructor": {"prototype": {"x": 1}}, "name": "PROTO", "type": "token", "value": "s3cr3t-x"}',
        },
        { raw: "name=A&type=token", type: "application/x-www-form-urlencoded" },
        { raw: '{"name":"A","type":"token","value":"s3cr3t-x"}', type: "text/plain" },
      ];
      for (const c of cases) {
        const res = await server.request("POST", base, {
          token: owner,
          ...(c.raw !== undefined
            ? { rawBody: c.raw, headers: { "content-type": c.type ?? "application/json" } }
            : { body: c.body }),
        });
        seen.push(res.text);
        assert.equal(res.status, 400, `${JSON.stringify(c)} → ${res.status} ${res.text}`);
        assert.equal(res.body.error.code, "invalid_request");
        assert.equal(typeof res.body.error.message, "string");
      }
      const fields = await call("POST", base, owner, { name: 5, type: "nope" });
      assert.deepEqual(fields.body.error.details.fields.map((f: { field: string }) => f.field).sort(), [
        "body.name",
        "body.type",
        "body.value",
      ]);
      assert.equal((await call("GET", `${base}?archived=maybe`, owner)).status, 400);
      assert.equal((await call("GET", `${base}/${"A".repeat(300)}`, owner)).status, 400);
      assert.equal((await call("GET", `${base}/NOPE_NOT_HERE`, owner)).status, 404);
    });

    it("unknown routes, other organizations and missing tokens answer in the error shape", async () => {
      const unknown = await call("GET", "/v1/nothing-here", owner);
      assert.equal(unknown.status, 404);
      assert.equal(unknown.body.error.code, "not_found");
      assert.equal((await call("GET", "/v1/orgs/other-org/secrets", owner)).status, 404);
      const anon = await call("GET", base, undefined);
      assert.equal(anon.status, 401);
      assert.equal(anon.body.error.code, "unauthenticated");
      assert.equal((await call("GET", base, "crk_t_not-a-real-token")).status, 401);
    });

    it("no value is found in the bytes of the database", async () => {
      // Every type, a second version and a project secret, each with a value no other test uses.
      await create("AT_REST", { value: "s3cr3t-at-rest-1" });
      assert.equal(
        (await call("PUT", `${base}/AT_REST/value`, owner, { value: "s3cr3t-at-rest-2" })).status,
        200,
      );
      await create("AT_REST_CREDS", {
        type: "username_password",
        value: { username: "s3cr3t-at-rest-user", password: "s3cr3t-at-rest-pass" },
      });
      await create("AT_REST_CFG", { type: "json", value: { key: "s3cr3t-at-rest-cfg" } });
      await create("AT_REST", { value: "s3cr3t-at-rest-project" }, `/v1/orgs/${org}/projects/web/secrets`);
      const needles = [
        "s3cr3t-at-rest-1",
        "s3cr3t-at-rest-2",
        "s3cr3t-at-rest-user",
        "s3cr3t-at-rest-pass",
        "s3cr3t-at-rest-cfg",
        "s3cr3t-at-rest-project",
      ];
      if (database.name === "sqlite") {
        const dir = server.config.dataDir;
        for (const file of readdirSync(dir)) {
          const bytes = readFileSync(join(dir, file));
          for (const needle of needles) {
            assert.equal(bytes.indexOf(needle), -1, `${needle} found in ${file}`);
            assert.equal(bytes.indexOf(Buffer.from(needle).toString("base64").slice(0, 16)), -1);
          }
        }
      } else {
        const pg = (await import("pg")).default;
        const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
        await client.connect();
        try {
          const schema = (server.cloakroom.store.description.match(/schema (\w+)/) ?? [])[1];
          const tables = await client.query(
            "select table_name from information_schema.tables where table_schema = $1",
            [schema],
          );
          for (const { table_name } of tables.rows) {
            const rows = await client.query(`select * from ${schema}.${table_name}`);
            const text = JSON.stringify(rows.rows);
            for (const needle of needles) assert.ok(!text.includes(needle), `${needle} in ${table_name}`);
          }
        } finally {
          await client.end();
        }
      }
    });
  });
}
