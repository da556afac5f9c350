import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";

for (const database of testDatabases()) {
  describe(`audit log over HTTP (${database.name})`, () => {
    let server: TestServer;
    let owner: string;
    before(async () => {
      server = await startTestServer(database);
      owner = (await server.setup()).token;
      for (const slug of ["one", "two", "three"]) {
        await server.request("POST", "/v1/orgs/acme/projects", { token: owner, body: { slug, name: slug } });
      }
    });
    after(() => server.close());

    it("owners read their organization's entries newest first, paging with `before`", async () => {
      const page = await server.request("GET", "/v1/orgs/acme/audit?limit=2", { token: owner });
      assert.equal(page.status, 200, page.text);
      assert.deepEqual(
        page.body.entries.map((e: { action: string; target: { name: string } }) => [e.action, e.target.name]),
        [
          ["project.create", "three"],
          ["project.create", "two"],
        ],
      );
      const next = await server.request(
        "GET",
        `/v1/orgs/acme/audit?limit=2&before=${page.body.entries[1].id}`,
        {
          token: owner,
        },
      );
      assert.deepEqual(
        next.body.entries.map((e: { action: string }) => e.action),
        ["project.create", "setup"],
      );
      const entry = page.body.entries[0];
      assert.equal(entry.actor.type, "user");
      assert.equal(entry.actor.name, "owner@example.com");
      assert.equal(entry.outcome, "success");
      assert.equal(entry.sourceIp, "127.0.0.1");
      assert.ok(!page.text.includes(owner), "no token in the audit log");
    });

    it("bad paging input is a 400", async () => {
      for (const query of ["limit=0", "limit=501", "limit=abc", "before=nope", "other=1"]) {
        const res = await server.request("GET", `/v1/orgs/acme/audit?${query}`, { token: owner });
        assert.equal(res.status, 400, query);
        assert.equal(res.body.error.code, "invalid_request");
      }
    });

    it("a refused request appears in the log as denied", async () => {
      const viewer = (
        await server.addMember({ token: owner, org: "acme", email: "vi@example.com", role: "viewer" })
      ).token;
      assert.equal((await server.request("GET", "/v1/orgs/acme/audit", { token: viewer })).status, 403);
      const log = await server.request("GET", "/v1/orgs/acme/audit?limit=1", { token: owner });
      const [denied] = log.body.entries;
      assert.equal(denied.action, "audit.read");
      assert.equal(denied.outcome, "denied");
      assert.equal(denied.actor.name, "vi@example.com");
      assert.equal((await server.cloakroom.verifyAudit()).ok, true);
    });
  });
}
