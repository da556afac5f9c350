import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";

const PASSWORD = "correct horse battery staple";
const CONSOLE = { "x-cloakroom-console": "1" };

for (const database of testDatabases()) {
  describe(`console sessions: cookie and CSRF rules (${database.name})`, () => {
    let server: TestServer;
    let cookie: string;
    let origin: string;

    before(async () => {
      server = await startTestServer(database);
      origin = server.url;
      const res = await server.request("POST", "/v1/setup", {
        headers: { ...CONSOLE, origin, "sec-fetch-site": "same-origin" },
        body: { org: "acme", email: "owner@example.com", password: PASSWORD },
      });
      assert.equal(res.status, 201, res.text);
      const set = res.headers.get("set-cookie") ?? "";
      assert.match(set, /HttpOnly; SameSite=Strict; Path=\//);
      assert.doesNotMatch(set, /Secure/, "plain HTTP gets no Secure flag");
      cookie = set.split(";")[0]!;
    });
    after(() => server.close());

    it("sign-in sets no cookie for an API client, and sets one when the console asks", async () => {
      const plain = await server.request("POST", "/v1/auth/login", {
        body: { email: "owner@example.com", password: PASSWORD },
      });
      assert.equal(plain.status, 200);
      assert.equal(plain.headers.get("set-cookie"), null);
      const consoleLogin = await server.request("POST", "/v1/auth/login", {
        headers: { ...CONSOLE, origin },
        body: { email: "owner@example.com", password: PASSWORD },
      });
      assert.equal(consoleLogin.status, 200);
      assert.match(consoleLogin.headers.get("set-cookie") ?? "", /^cloakroom_session=crk_s_.*HttpOnly/);
    });

    it("a cookie authenticates reads without any extra header", async () => {
      const res = await server.request("GET", "/v1/orgs", { headers: { cookie } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.orgs[0].slug, "acme");
    });

    it("a state-changing cookie request without the console header is refused and changes nothing", async () => {
      const res = await server.request("POST", "/v1/orgs/acme/secrets", {
        headers: { cookie },
        body: { name: "FORGED", type: "token", value: "forged-value-123" },
      });
      assert.equal(res.status, 403);
      assert.equal(res.body.error.code, "forbidden");
      const list = await server.request("GET", "/v1/orgs/acme/secrets", { headers: { cookie } });
      assert.equal(list.body.secrets.length, 0);
    });

    it("a cookie request from another site is refused even with the console header", async () => {
      const crossSite = await server.request("POST", "/v1/orgs/acme/projects", {
        headers: { cookie, ...CONSOLE, "sec-fetch-site": "cross-site" },
        body: { slug: "evil", name: "Evil" },
      });
      assert.equal(crossSite.status, 403);
      const foreignOrigin = await server.request("POST", "/v1/orgs/acme/projects", {
        headers: { cookie, ...CONSOLE, origin: "https://attacker.example" },
        body: { slug: "evil", name: "Evil" },
      });
      assert.equal(foreignOrigin.status, 403);
      const forgedLogin = await server.request("POST", "/v1/auth/login", {
        headers: { ...CONSOLE, origin: "https://attacker.example" },
        body: { email: "owner@example.com", password: PASSWORD },
      });
      assert.equal(forgedLogin.status, 403, "login CSRF: another site cannot plant a session");
      const projects = await server.request("GET", "/v1/orgs/acme/projects", { headers: { cookie } });
      assert.deepEqual(projects.body.projects, []);
    });

    it("the console's own same-origin cookie request goes through", async () => {
      const res = await server.request("POST", "/v1/orgs/acme/projects", {
        headers: { cookie, ...CONSOLE, origin, "sec-fetch-site": "same-origin" },
        body: { slug: "web", name: "Web" },
      });
      assert.equal(res.status, 201, res.text);
    });

    it("bearer tokens keep working without any console header", async () => {
      const login = await server.request("POST", "/v1/auth/login", {
        body: { email: "owner@example.com", password: PASSWORD },
      });
      const res = await server.request("POST", "/v1/orgs/acme/projects", {
        token: login.body.token,
        headers: { "sec-fetch-site": "cross-site" },
        body: { slug: "api", name: "API" },
      });
      assert.equal(res.status, 201, res.text);
    });

    it("sign-out ends the cookie's session on the server and clears the cookie", async () => {
      const login = await server.request("POST", "/v1/auth/login", {
        headers: { ...CONSOLE, origin },
        body: { email: "owner@example.com", password: PASSWORD },
      });
      const mine = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
      const out = await server.request("POST", "/v1/auth/logout", {
        headers: { cookie: mine, ...CONSOLE, origin },
      });
      assert.equal(out.status, 204);
      assert.match(out.headers.get("set-cookie") ?? "", /Max-Age=0/);
      const after = await server.request("GET", "/v1/orgs", { headers: { cookie: mine } });
      assert.equal(after.status, 401, "the old cookie no longer works");
    });
  });
}
