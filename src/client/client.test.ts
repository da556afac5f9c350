/**
 * The typed client against a real server: every error answer becomes a CloakroomApiError carrying the
 * SPEC's status, code, message and details; an unreachable server is a CloakroomNetworkError; an answer
 * that is not Cloakroom's shape is reported by status, never by echoing its body.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { CloakroomApiError, type CloakroomClient, CloakroomNetworkError, createClient } from "./index.js";

const OWNER = { email: "owner@example.com", password: "correct horse battery staple" };

async function apiError(promise: Promise<unknown>): Promise<CloakroomApiError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CloakroomApiError, `expected CloakroomApiError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected the request to fail");
}

for (const database of testDatabases()) {
  describe(`the typed client against a real server (${database.name})`, () => {
    let server: TestServer;
    let client: CloakroomClient;

    before(async () => {
      server = await startTestServer(database);
      const anonymous = createClient({ baseUrl: server.url });
      const setup = await anonymous.setup({ org: "acme", ...OWNER });
      assert.equal(setup.org.slug, "acme");
      client = anonymous.withToken(setup.token);
    });
    after(async () => {
      await server?.close();
    });

    test("setup a second time is refused with 409 already_set_up", async () => {
      const e = await apiError(createClient({ baseUrl: server.url }).setup({ org: "other", ...OWNER }));
      assert.equal(e.status, 409);
      assert.equal(e.code, "already_set_up");
    });

    test("login returns a token that works; a wrong password is 401 unauthenticated", async () => {
      const anonymous = createClient({ baseUrl: `${server.url}/v1/` });
      const { token } = await anonymous.login(OWNER);
      const me = await anonymous.withToken(token).me();
      assert.equal(me.user?.email, OWNER.email);
      assert.deepEqual(
        me.orgs.map((o) => [o.slug, o.role]),
        [["acme", "owner"]],
      );
      const e = await apiError(anonymous.login({ email: OWNER.email, password: "wrong password!" }));
      assert.equal(e.status, 401);
      assert.equal(e.code, "unauthenticated");
    });

    test("a request without a token is 401, and one outside the caller's organizations is not allowed", async () => {
      const e = await apiError(createClient({ baseUrl: server.url }).secrets.list({ org: "acme" }));
      assert.equal(e.status, 401);
      assert.equal(e.code, "unauthenticated");
      const other = await apiError(client.secrets.list({ org: "no-such-org" }));
      assert.ok(other.status === 403 || other.status === 404, String(other.status));
    });

    test("the secret lifecycle round-trips through the typed methods, in both scopes", async () => {
      await client.projects.create("acme", { slug: "web", name: "Web" });
      for (const scope of [{ org: "acme" }, { org: "acme", project: "web" }]) {
        const created = await client.secrets.create(scope, {
          name: "API_KEY",
          type: "token",
          value: "client-value-1",
          visibility: "masked",
        });
        assert.equal(created.version, 1);
        assert.equal(created.scope, scope.project ? "project" : "org");
        const updated = await client.secrets.updateValue(scope, "API_KEY", {
          value: "client-value-2",
          expectedVersion: 1,
        });
        assert.equal(updated.version, 2);
        assert.equal((await client.secrets.reveal(scope, "API_KEY")).value, "client-value-2");
        const patched = await client.secrets.patch(scope, "API_KEY", { description: "for tests" });
        assert.equal(patched.description, "for tests");
        const versions = await client.secrets.versions(scope, "API_KEY");
        assert.deepEqual(versions.map((v) => v.version).sort(), [1, 2]);
        assert.equal((await client.secrets.rollback(scope, "API_KEY", { version: 1 })).version, 3);
        assert.equal((await client.secrets.reveal(scope, "API_KEY")).value, "client-value-1");
        assert.equal((await client.secrets.archive(scope, "API_KEY")).archived, true);
        assert.equal((await client.secrets.list(scope, { archived: true })).length >= 1, true);
        assert.equal((await client.secrets.restore(scope, "API_KEY")).archived, false);
        assert.equal((await client.secrets.get(scope, "API_KEY")).usageCount, 0);
      }
      await client.secrets.delete({ org: "acme", project: "web" }, "API_KEY");
      // With the project's own secret gone, the organization's shows through again.
      assert.equal((await client.secrets.get({ org: "acme", project: "web" }, "API_KEY")).scope, "org");
      const gone = await apiError(client.secrets.get({ org: "acme", project: "web" }, "NEVER_CREATED"));
      assert.equal(gone.status, 404);
      assert.equal(gone.code, "not_found");
    });

    test("409 name_taken and version_conflict carry their codes; no message contains the value", async () => {
      const taken = await apiError(
        client.secrets.create({ org: "acme" }, { name: "API_KEY", type: "token", value: "dup-value-123456" }),
      );
      assert.equal(taken.status, 409);
      assert.equal(taken.code, "name_taken");
      assert.ok(!taken.message.includes("dup-value-123456"));
      const stale = await apiError(
        client.secrets.updateValue({ org: "acme" }, "API_KEY", {
          value: "stale-value-654321",
          expectedVersion: 1,
        }),
      );
      assert.equal(stale.status, 409);
      assert.equal(stale.code, "version_conflict");
      assert.ok(!JSON.stringify({ m: stale.message, d: stale.details }).includes("stale-value-654321"));
    });

    test("400 invalid_request names each bad field in details", async () => {
      const e = await apiError(
        client.secrets.create(
          { org: "acme" },
          { name: "OK_NAME", type: "nonsense" as "token", value: "v-1234" },
        ),
      );
      assert.equal(e.status, 400);
      assert.equal(e.code, "invalid_request");
      const fields = (e.details?.fields as { field: string }[] | undefined)?.map((f) => f.field) ?? [];
      assert.ok(
        fields.some((f) => f.includes("type")),
        JSON.stringify(e.details),
      );
    });

    test("tokens are created once with their value, listed without it, and revoked", async () => {
      const created = await client.tokens.create("acme", { name: "ci", role: "viewer" });
      assert.ok(created.token.length >= 20);
      const listed = await client.tokens.list("acme");
      assert.ok(listed.some((t) => t.id === created.id && t.role === "viewer"));
      assert.ok(!JSON.stringify(listed).includes(created.token));
      const viewer = client.withToken(created.token);
      const denied = await apiError(viewer.secrets.reveal({ org: "acme" }, "API_KEY"));
      assert.equal(denied.status, 403);
      assert.equal(denied.code, "forbidden");
      await client.tokens.delete("acme", created.id);
      assert.equal((await apiError(viewer.secrets.list({ org: "acme" }))).status, 401);
    });

    test("settings, members and organizations answer in the SPEC's shapes", async () => {
      const settings = await client.settings.update("acme", { editorsManageSecrets: true });
      assert.equal(settings.editorsManageSecrets, true);
      assert.equal((await client.settings.get("acme")).editorsManageSecrets, true);
      const invited = await client.members.invite("acme", { email: "editor@example.com", role: "editor" });
      assert.equal(invited.invitation.role, "editor");
      assert.match(invited.inviteToken, /^crk_i_/);
      assert.deepEqual(
        (await client.invitations.list("acme")).map((i) => i.email),
        ["editor@example.com"],
      );
      const joined = await createClient({ baseUrl: server.url }).invitations.accept({
        token: invited.inviteToken,
        password: "editor password 1",
      });
      assert.equal(joined.org.slug, "acme");
      const member = (await client.members.list("acme")).find((m) => m.email === "editor@example.com")!;
      assert.equal(member.role, "editor");
      const again = await client.members.invite("acme", { email: "later@example.com", role: "viewer" });
      await client.invitations.revoke("acme", again.invitation.id);
      assert.deepEqual(await client.invitations.list("acme"), []);
      assert.equal((await client.members.update("acme", member.userId, { role: "viewer" })).role, "viewer");
      assert.ok((await client.members.list("acme")).some((m) => m.email === "editor@example.com"));
      await client.members.remove("acme", member.userId);
      const org = await client.orgs.create({ slug: "second", name: "Second" });
      assert.equal(org.slug, "second");
      assert.deepEqual((await client.orgs.list()).map((o) => o.slug).sort(), ["acme", "second"]);
      const audit = await client.audit.list("acme", { limit: 5 });
      assert.ok(audit.length > 0 && audit.length <= 5);
      assert.equal(typeof audit[0]?.action, "string");
    });

    test("logout ends the session: the same token is then 401", async () => {
      const { token } = await createClient({ baseUrl: server.url }).login(OWNER);
      const session = createClient({ baseUrl: server.url, token });
      await session.logout();
      assert.equal((await apiError(session.me())).status, 401);
    });
  });
}

describe("the typed client's transport errors", () => {
  let foreign: Server;
  let foreignUrl: string;
  before(async () => {
    // Something that is not Cloakroom: an HTML error page, and a 200 that is not JSON.
    foreign = createServer((req, res) => {
      if (req.url?.startsWith("/v1/orgs")) {
        res.writeHead(502, { "content-type": "text/html" }).end("<h1>Bad gateway: secret-in-page-body</h1>");
      } else {
        res.writeHead(200, { "content-type": "text/plain" }).end("hello");
      }
    });
    await new Promise<void>((resolve) => foreign.listen(0, "127.0.0.1", resolve));
    foreignUrl = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => foreign.close(() => resolve())));

  test("an unreachable server is a CloakroomNetworkError naming the address and the cause", async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await assert.rejects(createClient({ baseUrl: `http://127.0.0.1:${port}` }).orgs.list(), (e: Error) => {
      assert.ok(e instanceof CloakroomNetworkError);
      assert.match(e.message, new RegExp(`cannot reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
      return true;
    });
  });

  test("an error answer that is not Cloakroom's shape keeps its status and never echoes the body", async () => {
    const e = await apiError(createClient({ baseUrl: foreignUrl, token: "t" }).orgs.list());
    assert.equal(e.status, 502);
    assert.equal(e.code, "server_error");
    assert.ok(!e.message.includes("secret-in-page-body"));
  });

  test("a success answer that is not JSON is a CloakroomNetworkError", async () => {
    await assert.rejects(createClient({ baseUrl: foreignUrl }).me(), CloakroomNetworkError);
  });

  test("the base URL may end in / or /v1, and must be http(s)", () => {
    assert.equal(createClient({ baseUrl: "http://h:1/v1/" }).baseUrl, "http://h:1");
    assert.equal(createClient({ baseUrl: "https://h/prefix/" }).baseUrl, "https://h/prefix");
    assert.throws(() => createClient({ baseUrl: "ftp://h" }), CloakroomNetworkError);
  });

  test("the token is sent as a bearer token and path segments are encoded", async () => {
    const seen: { url: string; auth: string | null }[] = [];
    const fake: typeof fetch = async (input, init) => {
      const headers = new Headers(init?.headers);
      seen.push({ url: String(input), auth: headers.get("authorization") });
      return new Response(JSON.stringify({ name: "X" }), { status: 200 });
    };
    await createClient({ baseUrl: "http://h", token: "tok", fetch: fake }).secrets.get(
      { org: "a/b", project: "p?q" },
      "N#1",
    );
    assert.deepEqual(seen, [
      { url: "http://h/v1/orgs/a%2Fb/projects/p%3Fq/secrets/N%231", auth: "Bearer tok" },
    ]);
  });
});
