/** The secrets list pages on the server (SPEC list row): order, search, limits, cursors, project overrides. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "../client/index.js";
import { insertSecretRows } from "../testing/bulk-secrets.js";
import { testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";

const names = (res: { body: { secrets: { name: string }[] } }) => res.body.secrets.map((s) => s.name);

for (const database of testDatabases()) {
  describe(`secrets list paging on ${database.name}`, () => {
    let server: TestServer;
    let token: string;
    const base = "/v1/orgs/acme/secrets";
    const all = Array.from({ length: 1203 }, (_, i) => `KEY_${String(i).padStart(4, "0")}`);

    before(async () => {
      server = await startTestServer(database);
      token = (await server.setup({ org: "acme" })).token;
      await server.request("POST", "/v1/orgs/acme/projects", { token, body: { slug: "web", name: "Web" } });
      // Inserted out of order: the answer's order is the server's doing.
      await insertSecretRows(server.cloakroom.store, { orgSlug: "acme", names: [...all].reverse() });
    });
    after(() => server.close());

    it("the first page has the default 500 secrets in name order and a cursor to the next", async () => {
      const res = await server.request("GET", base, { token });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(names(res), all.slice(0, 500));
      assert.equal(typeof res.body.nextCursor, "string");
    });

    it("following nextCursor visits every secret exactly once and ends with a null cursor", async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
        const res = await server.request("GET", `${base}?limit=400${q}`, { token });
        assert.equal(res.status, 200, res.text);
        seen.push(...names(res));
        cursor = res.body.nextCursor;
        pages += 1;
      } while (cursor !== null);
      assert.equal(pages, 4);
      assert.deepEqual(seen, all);
    });

    it("q matches a substring of the name ignoring case, and treats % and _ literally", async () => {
      const res = await server.request("GET", `${base}?q=ey_120`, { token });
      assert.deepEqual(names(res), ["KEY_1200", "KEY_1201", "KEY_1202"]);
      assert.equal(res.body.nextCursor, null);
      const percent = await server.request("GET", `${base}?q=%25`, { token });
      assert.deepEqual(names(percent), []);
    });

    it("limit outside 1-1000 and a cursor the server never gave are 400 invalid_request", async () => {
      for (const bad of ["limit=0", "limit=1001", "limit=abc", "cursor=not-a-cursor!!"]) {
        const res = await server.request("GET", `${base}?${bad}`, { token });
        assert.equal(res.status, 400, bad);
        assert.equal(res.body.error.code, "invalid_request");
      }
    });

    it("a project's pages merge its secrets with the organization's, the project's overriding", async () => {
      await insertSecretRows(server.cloakroom.store, {
        orgSlug: "acme",
        projectSlug: "web",
        names: ["KEY_0001", "KEY_0400", "AAA_PROJECT_ONLY"],
      });
      const seen: { name: string; scope: string }[] = [];
      let cursor: string | null = null;
      do {
        const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
        const res = await server.request("GET", `/v1/orgs/acme/projects/web/secrets?limit=250${q}`, {
          token,
        });
        assert.equal(res.status, 200, res.text);
        seen.push(
          ...res.body.secrets.map((s: { name: string; scope: string }) => ({ name: s.name, scope: s.scope })),
        );
        cursor = res.body.nextCursor;
      } while (cursor !== null);
      assert.equal(seen.length, all.length + 1);
      assert.deepEqual(
        seen.map((s) => s.name),
        ["AAA_PROJECT_ONLY", ...all],
      );
      assert.deepEqual(
        seen.filter((s) => s.scope === "project").map((s) => s.name),
        ["AAA_PROJECT_ONLY", "KEY_0001", "KEY_0400"],
      );
    });

    it("the typed client's list reads every page", async () => {
      const client = createClient({ baseUrl: server.url, token });
      const listed = await client.secrets.list({ org: "acme" });
      assert.equal(listed.length, all.length);
      assert.equal(listed[listed.length - 1]!.name, "KEY_1202");
    });

    // Last: it adds secrets to the organization the tests above count.
    it("each secret on a page reads as it does on its own: usage count, overrides, hosts (without usedBy)", async () => {
      const project = "/v1/orgs/acme/projects/web";
      const create = (path: string, body: unknown) => server.request("POST", path, { token, body });
      assert.equal((await create(base, { name: "ZZ_SHARED", type: "token", value: "v-1" })).status, 201);
      const bound = { name: "ZZ_BOUND", type: "token", value: "v-2", allowedHosts: ["api.example.com"] };
      assert.equal((await create(`${project}/secrets`, bound)).status, 201);
      assert.equal(
        (await create(`${project}/secrets`, { name: "ZZ_SHARED", type: "token", value: "v-3" })).status,
        201,
      );
      const hook = await create(`${project}/integrations`, {
        name: "sink",
        event: "order",
        secrets: ["ZZ_BOUND", "ZZ_SHARED"],
        request: {
          method: "POST",
          url: "https://api.example.com/hook",
          headers: { "X-Key": "{{{ZZ_BOUND}}}", "X-Other": "{{{ZZ_SHARED}}}" },
          query: {},
          body: "{}",
          basicAuth: null,
        },
      });
      assert.equal(hook.status, 201, hook.text);
      const pages: [string, string[]][] = [
        [base, ["ZZ_SHARED"]],
        [`${project}/secrets`, ["ZZ_BOUND", "ZZ_SHARED"]],
      ];
      for (const [scope, expected] of pages) {
        const page = await server.request("GET", `${scope}?q=zz_`, { token });
        assert.equal(page.status, 200, page.text);
        assert.deepEqual(names(page), expected);
        for (const listed of page.body.secrets as { name: string }[]) {
          const own = await server.request("GET", `${scope}/${listed.name}`, { token });
          const { usedBy, ...rest } = own.body;
          assert.deepEqual(listed, rest, listed.name);
          assert.equal(rest.usageCount, usedBy.length);
        }
      }
      const merged = await server.request("GET", `${project}/secrets?q=zz_`, { token });
      const byName = Object.fromEntries(merged.body.secrets.map((s: { name: string }) => [s.name, s]));
      assert.equal(byName.ZZ_BOUND.usageCount, 1);
      assert.equal(byName.ZZ_BOUND.overrides, false);
      assert.deepEqual(byName.ZZ_BOUND.allowedHosts, ["api.example.com"]);
      assert.equal(byName.ZZ_SHARED.usageCount, 1);
      assert.equal(byName.ZZ_SHARED.overrides, true);
      assert.deepEqual(byName.ZZ_SHARED.allowedHosts, []);
    });
  });
}
