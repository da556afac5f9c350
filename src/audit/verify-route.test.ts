/** GET /v1/orgs/:org/audit/verify: the console's view of A3 for one organization. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";

for (const database of testDatabases()) {
  describe(`audit chain verify over HTTP (${database.name})`, () => {
    let server: TestServer;
    let owner: string;
    before(async () => {
      server = await startTestServer(database);
      owner = (await server.setup({ org: "acme" })).token;
      await server.request("POST", "/v1/orgs/acme/projects", {
        token: owner,
        body: { slug: "web", name: "Web" },
      });
    });
    after(() => server.close());

    it("an untouched chain verifies, and a viewer may not ask", async () => {
      const res = await server.request("GET", "/v1/orgs/acme/audit/verify", { token: owner });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.ok, true);
      assert.ok(res.body.checked >= 2);
      const viewer = await server.request("POST", "/v1/orgs/acme/tokens", {
        token: owner,
        body: { name: "v", role: "viewer" },
      });
      const denied = await server.request("GET", "/v1/orgs/acme/audit/verify", { token: viewer.body.token });
      assert.equal(denied.status, 403);
    });

    it("an edited entry of the organization makes it fail, naming the entry", async () => {
      const org = await server.cloakroom.store.db
        .selectFrom("orgs")
        .select("id")
        .where("slug", "=", "acme")
        .executeTakeFirstOrThrow();
      await server.cloakroom.store.db
        .updateTable("audit_log")
        .set({ action: "project.delete" })
        .where("org_id", "=", org.id)
        .where("action", "=", "project.create")
        .execute();
      const res = await server.request("GET", "/v1/orgs/acme/audit/verify", { token: owner });
      assert.equal(res.status, 200);
      assert.equal(res.body.ok, false);
      assert.match(res.body.reason, /edited/);
      assert.equal(typeof res.body.seq, "number");
    });
  });
}
