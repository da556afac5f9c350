/**
 * An installation's requests obey X2's SSRF rules (SPEC X8) on a server that does not allow private
 * targets: a private base URL is refused at save, and one that gets past the save (saved while the operator
 * allowed private targets, or a host name that resolves privately) is refused by the delivery path's guard,
 * after DNS, before anything is sent.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { useAppSuite } from "../testing/apps.js";
import { testDatabases } from "../testing/databases.js";

for (const database of testDatabases()) {
  describe(`installation requests and the SSRF guard on ${database.name}`, () => {
    const suite = useAppSuite(database, {
      env: { CLOAKROOM_ALLOW_PRIVATE_TARGETS: "false" },
      marker: "s3cr3t-",
      setup: ({ f }) => f.secret("API_TOKEN", "token", "s3cr3t-token-value"),
    });

    const bearer = (over: Record<string, unknown>) => ({
      name: "api",
      app: "http_bearer",
      baseUrl: null,
      secrets: ["API_TOKEN"],
      config: { base_url: "https://api.example.test", token: { expr: "secrets.API_TOKEN" } },
      ...over,
    });

    it("a private or loopback base URL is refused at save", async () => {
      const { f, sink } = suite();
      for (const [body, field] of [
        [bearer({ baseUrl: sink.url }), "body.baseUrl"],
        [bearer({ baseUrl: "http://169.254.169.254" }), "body.baseUrl"],
        [
          bearer({ config: { ...bearer({}).config, base_url: "http://localhost:8080" } }),
          "body.config.base_url",
        ],
        [
          bearer({ config: { ...bearer({}).config, base_url: "http://10.0.0.1/api" } }),
          "body.config.base_url",
        ],
      ] as const) {
        const res = await f.call("POST", f.p("/installations"), f.owner, body);
        assert.equal(res.status, 400, res.text);
        assert.deepEqual(
          res.body.error.details.fields.map((x: { field: string }) => x.field),
          [field],
        );
      }
    });

    it("a private target that got past the save is refused when the action runs, and nothing is sent", async () => {
      const { f, sink, server } = suite();
      const made = await f.call("POST", f.p("/installations"), f.owner, bearer({}));
      assert.equal(made.status, 201, made.text);
      // As if saved while private targets were allowed: point it at the sink behind the API's back.
      const db = server.cloakroom.store.db;
      const row = await db
        .selectFrom("consumers")
        .select(["id", "config"])
        .where("kind", "=", "installation")
        .where("name", "=", "api")
        .executeTakeFirstOrThrow();
      const config = JSON.parse(row.config);
      config.baseUrl = `${sink.url}/internal`;
      await db
        .updateTable("consumers")
        .set({ config: JSON.stringify(config) })
        .where("id", "=", row.id)
        .execute();

      const res = await f.call("POST", f.p("/installations/api/actions/request"), f.owner, {
        input: { method: "GET", path: "/admin" },
      });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.status, "failure");
      assert.equal(res.body.error.code, "target_forbidden");
      assert.equal(res.body.response, undefined);
      assert.equal(sink.requests.length, 0, "the guard refused before sending");
    });
  });
}
