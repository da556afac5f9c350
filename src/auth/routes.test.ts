import assert from "node:assert/strict";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { testDatabases } from "../testing/databases.js";
import { startTestServer, type TestResponse, type TestServer } from "../testing/server.js";

const PASSWORD = "correct horse battery staple";

for (const database of testDatabases()) {
  describe(`auth over HTTP (${database.name})`, () => {
    let server: TestServer;
    /** Every answer this suite received, to search for what must never be in one. */
    const answers: string[] = [];
    const call = async (
      method: string,
      path: string,
      options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
    ): Promise<TestResponse> => {
      const res = await server.request(method, path, options);
      answers.push(res.text, [...res.headers.entries()].join("\n"));
      return res;
    };
    let ownerToken: string;
    /** Setup as a test's first step: the owner of acme signs up, so the test needs no other test before it. */
    const signUp = async () => {
      ownerToken = (await server.setup({ org: "acme", email: "owner@example.com", password: PASSWORD }))
        .token;
    };

    // A server of its own per test: each starts from an empty database and a fresh sign-in limit.
    beforeEach(async () => {
      server = await startTestServer(database);
      answers.length = 0;
    });
    afterEach(async () => {
      try {
        await assertNoAnswerHoldsASecret(server, answers);
      } finally {
        await server.close();
      }
    });

    it("setup answers 201 with token, org and user and sets the session cookie the console asks for; then 409 already_set_up", async () => {
      const res = await call("POST", "/v1/setup", {
        headers: { "x-cloakroom-console": "1" },
        body: { org: "acme", email: "Owner@Example.com", password: PASSWORD },
      });
      assert.equal(res.status, 201, res.text);
      assert.match(res.body.token, /^crk_s_/);
      assert.equal(res.body.org.slug, "acme");
      assert.equal(res.body.org.role, "owner");
      assert.equal(res.body.user.email, "owner@example.com");
      const cookie = res.headers.get("set-cookie") ?? "";
      assert.match(cookie, /^cloakroom_session=crk_s_/);
      assert.match(cookie, /HttpOnly/);
      assert.match(cookie, /SameSite=Strict/);
      assert.match(cookie, /Path=\//);
      ownerToken = res.body.token;
      const again = await call("POST", "/v1/setup", {
        body: { org: "other", email: "x@example.com", password: PASSWORD },
      });
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, "already_set_up");
    });

    it("bad setup input is a 400 naming each bad field", async () => {
      const res = await call("POST", "/v1/setup", {
        body: { org: "Not A Slug", email: "nope", password: "short" },
      });
      assert.equal(res.status, 400);
      assert.equal(res.body.error.code, "invalid_request");
      assert.deepEqual(res.body.error.details.fields.map((f: { field: string }) => f.field).sort(), [
        "body.email",
        "body.org",
        "body.password",
      ]);
      assert.ok(!res.text.includes("short"), "the error does not echo the password");
    });

    it("login answers 200 {token} with the cookie the console asks for; a wrong password and an unknown email get the same 401", async () => {
      await signUp();
      const ok = await call("POST", "/v1/auth/login", {
        headers: { "x-cloakroom-console": "1" },
        body: { email: "owner@example.com", password: PASSWORD },
      });
      assert.equal(ok.status, 200);
      assert.match(ok.body.token, /^crk_s_/);
      assert.match(ok.headers.get("set-cookie") ?? "", /cloakroom_session=.*HttpOnly.*SameSite=Strict/);
      const wrong = await call("POST", "/v1/auth/login", {
        body: { email: "owner@example.com", password: "not the password" },
      });
      const unknown = await call("POST", "/v1/auth/login", {
        body: { email: "ghost@example.com", password: PASSWORD },
      });
      assert.equal(wrong.status, 401);
      assert.equal(unknown.status, 401);
      assert.deepEqual(unknown.body, wrong.body);
      assert.equal(wrong.headers.get("set-cookie"), null);
    });

    it("the session cookie signs the console in, and logout ends it", async () => {
      await signUp();
      const login = await call("POST", "/v1/auth/login", {
        body: { email: "owner@example.com", password: PASSWORD },
      });
      const cookie = `cloakroom_session=${login.body.token}`;
      const me = await call("GET", "/v1/me", { headers: { cookie } });
      assert.equal(me.status, 200);
      assert.equal(me.body.user.email, "owner@example.com");
      assert.deepEqual(
        me.body.orgs.map((o: { slug: string; role: string }) => [o.slug, o.role]),
        [["acme", "owner"]],
      );
      const out = await call("POST", "/v1/auth/logout", { headers: { cookie, "x-cloakroom-console": "1" } });
      assert.equal(out.status, 204);
      assert.match(out.headers.get("set-cookie") ?? "", /Max-Age=0/);
      assert.equal((await call("GET", "/v1/me", { headers: { cookie } })).status, 401);
    });

    it("members, tokens, settings and projects follow the contract", async () => {
      await signUp();
      const t = ownerToken;
      const invited = await call("POST", "/v1/orgs/acme/members", {
        token: t,
        body: { email: "ed@example.com", role: "editor" },
      });
      assert.equal(invited.status, 201, invited.text);
      assert.deepEqual(Object.keys(invited.body).sort(), [
        "invitation",
        "inviteToken",
        "inviteUrl",
        "mailed",
      ]);
      assert.deepEqual(Object.keys(invited.body.invitation).sort(), [
        "createdAt",
        "createdBy",
        "email",
        "expiresAt",
        "id",
        "role",
      ]);
      assert.equal(invited.body.mailed, false);
      const withPassword = await call("POST", "/v1/orgs/acme/members", {
        token: t,
        body: { email: "ed2@example.com", password: "chosen by the admin", role: "editor" },
      });
      assert.equal(withPassword.status, 400, "nobody sets another person's password");
      const accepted = await call("POST", "/v1/invitations/accept", {
        body: { token: invited.body.inviteToken, password: "editor password" },
      });
      assert.equal(accepted.status, 200, accepted.text);
      assert.deepEqual(Object.keys(accepted.body).sort(), ["expiresAt", "org", "token"]);
      // An API client gets its session in the body; the cookie is for the console, which asks for it.
      assert.equal(accepted.headers.get("set-cookie"), null);
      const member = { body: (await call("GET", "/v1/me", { token: accepted.body.token })).body.user };
      member.body.userId = member.body.id;
      const patched = await call("PATCH", `/v1/orgs/acme/members/${member.body.userId}`, {
        token: t,
        body: { role: "viewer" },
      });
      assert.equal(patched.status, 200);
      assert.equal(patched.body.role, "viewer");
      const list = await call("GET", "/v1/orgs/acme/members", { token: t });
      assert.equal(list.status, 200);
      assert.equal(list.body.members.length, 2);
      const me = await call("GET", "/v1/me", { token: t });
      const lastOwner = await call("DELETE", `/v1/orgs/acme/members/${me.body.user.id}`, { token: t });
      assert.equal(lastOwner.status, 409);
      assert.equal(lastOwner.body.error.code, "conflict");
      assert.equal(
        (await call("DELETE", `/v1/orgs/acme/members/${member.body.userId}`, { token: t })).status,
        204,
      );

      const token = await call("POST", "/v1/orgs/acme/tokens", {
        token: t,
        body: { name: "ci", role: "editor" },
      });
      assert.equal(token.status, 201);
      assert.match(token.body.token, /^crk_t_/);
      assert.equal(typeof token.body.id, "string");
      const tokens = await call("GET", "/v1/orgs/acme/tokens", { token: t });
      assert.equal(tokens.status, 200);
      assert.ok(!tokens.text.includes(token.body.token));
      assert.equal((await call("GET", "/v1/orgs/acme/projects", { token: token.body.token })).status, 200);
      assert.equal((await call("DELETE", `/v1/orgs/acme/tokens/${token.body.id}`, { token: t })).status, 204);
      assert.equal((await call("GET", "/v1/orgs/acme/projects", { token: token.body.token })).status, 401);

      const settings = await call("PATCH", "/v1/orgs/acme/settings", {
        token: t,
        body: { editorsManageSecrets: true, versionsKept: 20 },
      });
      assert.deepEqual(settings.body, {
        namingPolicy: "upper_snake",
        editorsManageSecrets: true,
        editorsComputeWithRestricted: false,
        versionsKept: 20,
      });
      assert.deepEqual((await call("GET", "/v1/orgs/acme/settings", { token: t })).body, settings.body);
      assert.equal(
        (await call("PATCH", "/v1/orgs/acme/settings", { token: t, body: { versionsKept: 0 } })).status,
        400,
      );
      assert.equal(
        (await call("PATCH", "/v1/orgs/acme/settings", { token: t, body: { name: "x" } })).status,
        400,
      );

      const project = await call("POST", "/v1/orgs/acme/projects", {
        token: t,
        body: { slug: "web", name: "Web" },
      });
      assert.equal(project.status, 201);
      assert.deepEqual(Object.keys(project.body).sort(), ["createdAt", "id", "name", "slug"]);
      const dup = await call("POST", "/v1/orgs/acme/projects", {
        token: t,
        body: { slug: "web", name: "Web 2" },
      });
      assert.equal(dup.status, 409);
      assert.equal(dup.body.error.code, "name_taken");
      assert.equal((await call("GET", "/v1/orgs/acme/projects/web", { token: t })).body.id, project.body.id);
      assert.equal((await call("GET", "/v1/orgs/acme/projects/nope", { token: t })).status, 404);

      const org = await call("POST", "/v1/orgs", { token: t, body: { slug: "sandbox", name: "My sandbox" } });
      assert.equal(org.status, 201);
      assert.equal(org.body.role, "owner");
      const orgs = await call("GET", "/v1/orgs", { token: t });
      assert.deepEqual(
        orgs.body.orgs.map((o: { slug: string }) => o.slug),
        ["acme", "sandbox"],
      );
    });

    it("a viewer is refused with 403 what the table keeps from viewers", async () => {
      await signUp();
      const v = (
        await server.addMember({
          token: ownerToken,
          org: "acme",
          email: "vi@example.com",
          role: "viewer",
          password: "viewer password",
        })
      ).token;
      assert.equal((await call("GET", "/v1/orgs/acme/projects", { token: v })).status, 200);
      for (const [method, path, body] of [
        ["GET", "/v1/orgs/acme/members", undefined],
        ["GET", "/v1/orgs/acme/tokens", undefined],
        ["POST", "/v1/orgs/acme/tokens", { name: "x", role: "viewer" }],
        ["POST", "/v1/orgs/acme/projects", { slug: "viewer-made", name: "x" }],
        ["PATCH", "/v1/orgs/acme/settings", { versionsKept: 3 }],
        ["GET", "/v1/orgs/acme/audit", undefined],
      ] as const) {
        const res = await call(method, path, { token: v, body });
        assert.equal(res.status, 403, `${method} ${path}`);
        assert.equal(res.body.error.code, "forbidden");
      }
    });

    it("sign-in is rate limited per address", async () => {
      await signUp();
      const statuses: number[] = [];
      for (let i = 0; i < 25 && !statuses.includes(429); i++) {
        // An unreadable body counts against the limit too, and costs no scrypt: the test stays fast.
        statuses.push((await call("POST", "/v1/auth/login", { body: {} })).status);
      }
      const last = await call("POST", "/v1/auth/login", {
        body: { email: "owner@example.com", password: PASSWORD },
      });
      assert.equal(last.status, 429);
      assert.equal(last.body.error.code, "rate_limited");
      assert.ok(statuses.filter((s) => s !== 429).length <= 20);
    });
  });

  describe(`tenant isolation over HTTP (${database.name})`, () => {
    let server: TestServer;
    let ann: string; // owner of acme
    let annApiToken: string;
    let bobToken: string; // owner of bobco
    const ids: Record<string, string> = {};

    before(async () => {
      server = await startTestServer(database);
      ann = (await server.setup({ org: "acme", email: "ann@example.com" })).token;
      bobToken = (
        await server.addMember({ token: ann, org: "acme", email: "bob@example.com", role: "viewer" })
      ).token;
      assert.equal(
        (await server.request("POST", "/v1/orgs", { token: bobToken, body: { slug: "bobco", name: "Bob" } }))
          .status,
        201,
      );
      const bobId = (await server.request("GET", "/v1/me", { token: bobToken })).body.user.id;
      assert.equal(
        (await server.request("DELETE", `/v1/orgs/acme/members/${bobId}`, { token: ann })).status,
        204,
      );
      ids.userId = bobId;
      ids.id = (
        await server.request("POST", "/v1/orgs/bobco/tokens", {
          token: bobToken,
          body: { name: "bob ci", role: "admin" },
        })
      ).body.id;
      for (const org of ["acme", "bobco"]) {
        const token = org === "acme" ? ann : bobToken;
        assert.equal(
          (
            await server.request("POST", `/v1/orgs/${org}/projects`, {
              token,
              body: { slug: "web", name: "Web" },
            })
          ).status,
          201,
        );
      }
      annApiToken = (
        await server.request("POST", "/v1/orgs/acme/tokens", {
          token: ann,
          body: { name: "ann ci", role: "owner" },
        })
      ).body.token;
    });
    after(() => server.close());

    /** A plausible valid body per route, so that the request reaches the handler where possible. */
    function bodyFor(method: string, path: string): unknown {
      if (method === "GET" || method === "DELETE") return undefined;
      if (path.endsWith("/members")) return { email: "eve@example.com", role: "owner" };
      if (path.endsWith("/members/{userId}")) return { role: "viewer" };
      if (path.endsWith("/tokens")) return { name: "eve", role: "owner" };
      if (path.endsWith("/projects")) return { slug: "eve", name: "Eve" };
      if (path.endsWith("/settings")) return { editorsManageSecrets: true };
      if (path.endsWith("/secrets")) return { name: "EVE_KEY", type: "token", value: "eve-secret-value" };
      if (path.endsWith("/value")) return { value: "eve-secret-value" };
      if (path.endsWith("/secrets/{name}")) return { description: "eve" };
      if (path.endsWith("/rollback")) return { version: 1 };
      if (path.endsWith("/events")) return { name: "eve.event" };
      return {};
    }

    it("every organization route answers a non-member as if the organization did not exist", async () => {
      const openapi = (await server.request("GET", "/v1/openapi.json")).body as {
        paths: Record<string, Record<string, unknown>>;
      };
      const bobBefore = await snapshotOf(server, bobToken);
      let checked = 0;
      for (const [template, operations] of Object.entries(openapi.paths)) {
        if (!template.includes("{org}")) continue;
        for (const method of Object.keys(operations).map((m) => m.toUpperCase())) {
          for (const [who, token] of [
            ["session", ann],
            ["api token", annApiToken],
          ] as const) {
            const fill = (org: string) =>
              template
                .replace("{org}", org)
                .replace("{project}", "web")
                .replace("{name}", "API_KEY")
                .replace(/\{(\w+)\}/g, (_, k: string) => ids[k] ?? "00000000-0000-7000-8000-000000000000");
            const body = bodyFor(method, template);
            const foreign = await server.request(method, fill("bobco"), { token, body });
            const missing = await server.request(method, fill("no-such-org"), { token, body });
            const label = `${who} ${method} ${template}`;
            assert.ok(![200, 201, 202, 204, 403].includes(foreign.status), `${label}: ${foreign.status}`);
            assert.equal(foreign.status, missing.status, label);
            assert.equal(
              foreign.text.replaceAll("bobco", "X"),
              missing.text.replaceAll("no-such-org", "X"),
              label,
            );
            if (foreign.status === 404) checked += 1;
          }
        }
      }
      assert.ok(checked >= 40, `only ${checked} route checks reached the organization lookup`);
      assert.deepEqual(await snapshotOf(server, bobToken), bobBefore, "bobco changed");
    });
  });
}

/**
 * No answer a test received holds a password, a password hash or a token hash, and the server's log holds no
 * password (run after every test of "auth over HTTP", on that test's own server).
 */
async function assertNoAnswerHoldsASecret(server: TestServer, answers: string[]): Promise<void> {
  const db = server.cloakroom.store.db;
  const hashes = [
    ...(await db.selectFrom("users").select("password_hash").execute()).map((r) => r.password_hash),
    ...(await db.selectFrom("sessions").select("token_hash").execute()).map((r) => r.token_hash),
    ...(await db.selectFrom("api_tokens").select("token_hash").execute()).map((r) => r.token_hash),
  ];
  const all = answers.join("\n");
  for (const secret of [PASSWORD, "editor password", "viewer password", "scrypt$", ...hashes]) {
    assert.ok(!all.includes(secret), "an answer holds a password or hash");
  }
  assert.ok(!server.logs.join("\n").includes(PASSWORD), "the log holds a password");
}

async function snapshotOf(server: TestServer, token: string): Promise<unknown> {
  const get = async (path: string) => (await server.request("GET", path, { token })).body;
  return {
    members: await get("/v1/orgs/bobco/members"),
    tokens: ((await get("/v1/orgs/bobco/tokens")) as { tokens: { lastUsedAt: unknown }[] }).tokens.map(
      (t) => ({ ...t, lastUsedAt: null }),
    ),
    projects: await get("/v1/orgs/bobco/projects"),
    settings: await get("/v1/orgs/bobco/settings"),
    secrets: await get("/v1/orgs/bobco/secrets"),
  };
}
