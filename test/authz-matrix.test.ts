/**
 * Authorization matrix (S11): every route the server registers × each role × a member of another
 * organization, with the organization's `editorsManageSecrets` setting off and on. The expected column is
 * written out here, independent of src/auth/policy.ts, so a change to the policy table that this matrix
 * does not also state fails. Each refusal must be in the audit log as "denied", naming the action, the
 * caller and the target.
 *
 * The route list comes from the running server's OpenAPI document, which http/server.ts builds from the
 * same RouteDef list it registers: a new route without a row in ROWS fails "every route has a row".
 * Adding a route = adding one row (or one exemption, with the reason it is not role-governed).
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "../src/testing/databases.js";
import { startTestServer, type TestServer } from "../src/testing/server.js";

type Role = "owner" | "admin" | "editor" | "viewer";
const roles: Role[] = ["owner", "admin", "editor", "viewer"];
const all = roles;
const admins: Role[] = ["owner", "admin"];
const editors: Role[] = ["owner", "admin", "editor"];

interface Request {
  path: string;
  body?: unknown;
  /** The refusal's audit target (the keys given are compared), when it is not the organization itself. */
  target?: { type: string; id?: string; name?: string };
}

/** What one row needs: the organization's slug and a fresh number for unique names. */
interface Fixture {
  org: string;
  n: number;
  /** Sends a request as the organization's owner, failing the test unless it succeeds. */
  owner(method: string, path: string, body?: unknown): Promise<Record<string, unknown>>;
}

interface Row {
  /** "METHOD /v1/path/{param}", exactly as the OpenAPI document names the route. */
  route: string;
  allowed: Role[];
  /** Editors are allowed too while the organization's editorsManageSecrets is on. */
  editorsManageSecrets?: true;
  /** The action a refusal is audited under: the refused change's own name (AuditAction), or the read's permission. */
  action: string;
  /** Builds a fresh request (the owner prepares whatever must exist first). */
  prepare(f: Fixture): Promise<Request>;
}

/** A route no role decides, with the reason. */
interface Exempt {
  route: string;
  exempt: string;
}

const hook = (n: number) => ({
  name: `Hook ${n}`,
  event: "order",
  secrets: [],
  // Nothing listens on port 9: a test delivery fails fast, and is still answered 200 with its entry.
  request: { method: "POST", url: "http://127.0.0.1:9/hook", headers: {}, body: null },
});
const template = (n: number) => ({
  name: `Template ${n}`,
  event: "order",
  secrets: [],
  body: "hello {{event.name}}",
  channel: { type: "webhook", method: "POST", url: "http://127.0.0.1:9/matrix", headers: {} },
});

const flow = (n: number) => ({
  name: `Flow ${n}`,
  event: "order",
  secrets: [],
  steps: [{ id: "shape", type: "logic", code: "export default ({ event }) => ({ name: event.name })" }],
});
const fn = (n: number) => ({ name: `Fn ${n}`, secrets: [], code: "export default () => ({ ok: true })" });

const secretRows = (scope: "org" | "project"): Row[] => {
  const base = scope === "org" ? "/v1/orgs/{org}/secrets" : "/v1/orgs/{org}/projects/{project}/secrets";
  const at = (f: Fixture) => base.replace("{org}", f.org).replace("{project}", "web");
  const make = async (f: Fixture, visibility = "restricted") => {
    const name = `S_${scope.toUpperCase()}_${f.n}`;
    await f.owner("POST", at(f), { name, type: "token", value: `matrix-value-${f.n}`, visibility });
    return { name, target: { type: "secret", name } };
  };
  const write = (action: string) => ({ editorsManageSecrets: true as const, allowed: admins, action });
  return [
    { route: `GET ${base}`, allowed: all, action: "secret.read", prepare: async (f) => ({ path: at(f) }) },
    {
      route: `POST ${base}`,
      ...write("secret.create"),
      prepare: async (f) => ({
        path: at(f),
        body: { name: `NEW_${f.n}`, type: "token", value: "matrix-new" },
        target: { type: "secret", name: `NEW_${f.n}` },
      }),
    },
    {
      route: `GET ${base}/{name}`,
      allowed: all,
      action: "secret.read",
      prepare: async (f) => ({ path: `${at(f)}/${(await make(f)).name}` }),
    },
    {
      route: `PUT ${base}/{name}/value`,
      ...write("secret.update"),
      prepare: async (f) => {
        const { name, target } = await make(f);
        return { path: `${at(f)}/${name}/value`, body: { value: "matrix-next" }, target };
      },
    },
    {
      route: `PATCH ${base}/{name}`,
      ...write("secret.describe"),
      prepare: async (f) => {
        const { name, target } = await make(f);
        return { path: `${at(f)}/${name}`, body: { description: "d" }, target };
      },
    },
    {
      route: `DELETE ${base}/{name}`,
      ...write("secret.delete"),
      prepare: async (f) => {
        const { name, target } = await make(f);
        return { path: `${at(f)}/${name}`, target };
      },
    },
    {
      route: `POST ${base}/{name}/archive`,
      ...write("secret.archive"),
      prepare: async (f) => {
        const { name, target } = await make(f);
        return { path: `${at(f)}/${name}/archive`, target };
      },
    },
    {
      route: `POST ${base}/{name}/restore`,
      ...write("secret.restore"),
      prepare: async (f) => {
        const { name, target } = await make(f);
        await f.owner("POST", `${at(f)}/${name}/archive`);
        return { path: `${at(f)}/${name}/restore`, target };
      },
    },
    {
      // Never editors, whatever the setting: managing secrets does not include reading them.
      route: `POST ${base}/{name}/reveal`,
      allowed: admins,
      action: "secret.reveal",
      prepare: async (f) => {
        const { name, target } = await make(f, "masked");
        return { path: `${at(f)}/${name}/reveal`, target };
      },
    },
    {
      route: `GET ${base}/{name}/versions`,
      allowed: all,
      action: "secret.read",
      prepare: async (f) => ({ path: `${at(f)}/${(await make(f)).name}/versions` }),
    },
    {
      route: `POST ${base}/{name}/rollback`,
      ...write("secret.rollback"),
      prepare: async (f) => {
        const { name, target } = await make(f);
        await f.owner("PUT", `${at(f)}/${name}/value`, { value: "matrix-v2" });
        return { path: `${at(f)}/${name}/rollback`, body: { version: 1 }, target };
      },
    },
  ];
};

/** The routes of one consumer kind; each kind has a run-once route (`test` or `run`). */
const consumerRows = (kind: "integrations" | "logic" | "flows" | "templates"): Row[] => {
  const base = `/v1/orgs/{org}/projects/{project}/${kind}`;
  const type = { integrations: "integration", logic: "logic", flows: "flow", templates: "template" }[kind];
  const once = kind === "logic" ? "run" : "test";
  const at = (f: Fixture) => `/v1/orgs/${f.org}/projects/web/${kind}`;
  const body = (n: number) => ({ integrations: hook, logic: fn, flows: flow, templates: template })[kind](n);
  const make = async (f: Fixture) => {
    const id = (await f.owner("POST", at(f), body(f.n))).id as string;
    return { id, path: `${at(f)}/${id}`, target: { type, id } };
  };
  const write = (action: string) => ({ allowed: editors, action });
  return [
    { route: `GET ${base}`, allowed: all, action: "consumer.read", prepare: async (f) => ({ path: at(f) }) },
    {
      route: `POST ${base}`,
      ...write("consumer.create"),
      prepare: async (f) => ({ path: at(f), body: body(f.n), target: { type, name: body(f.n).name } }),
    },
    {
      route: `GET ${base}/{id}`,
      allowed: all,
      action: "consumer.read",
      prepare: async (f) => ({ path: (await make(f)).path }),
    },
    {
      route: `PUT ${base}/{id}`,
      ...write("consumer.update"),
      prepare: async (f) => {
        const { path, target } = await make(f);
        return { path, body: body(f.n), target };
      },
    },
    { route: `DELETE ${base}/{id}`, ...write("consumer.delete"), prepare: make },
    {
      route: `POST ${base}/{id}/${once}`,
      allowed: editors,
      action: "consumer.run",
      prepare: async (f) => {
        const { path, target } = await make(f);
        const body = { event: { name: "order", data: {} } };
        return { path: `${path}/${once}`, body, target };
      },
    },
  ];
};

/** Installations (X8): keyed by name; an action runs against a closed local port and is answered 200. */
const installationRows = (): Row[] => {
  const base = "/v1/orgs/{org}/projects/{project}/installations";
  const at = (f: Fixture) => `/v1/orgs/${f.org}/projects/web/installations`;
  const body = async (f: Fixture) => {
    const secret = `INST_${f.n}`;
    await f.owner("POST", `/v1/orgs/${f.org}/projects/web/secrets`, {
      name: secret,
      type: "token",
      value: `matrix-installation-${f.n}`,
    });
    return {
      name: `i${f.n}`,
      app: "http_bearer",
      secrets: [secret],
      config: { base_url: "http://127.0.0.1:9", token: { expr: `secrets.${secret}` } },
    };
  };
  const make = async (f: Fixture) => {
    const saved = await body(f);
    await f.owner("POST", at(f), saved);
    return { saved, path: `${at(f)}/${saved.name}`, target: { type: "installation", name: saved.name } };
  };
  return [
    { route: `GET ${base}`, allowed: all, action: "consumer.read", prepare: async (f) => ({ path: at(f) }) },
    {
      route: `POST ${base}`,
      allowed: editors,
      action: "consumer.create",
      prepare: async (f) => {
        const b = await body(f);
        return { path: at(f), body: b, target: { type: "installation", name: b.name } };
      },
    },
    {
      route: `GET ${base}/{name}`,
      allowed: all,
      action: "consumer.read",
      prepare: async (f) => ({ path: (await make(f)).path }),
    },
    {
      route: `PUT ${base}/{name}`,
      allowed: editors,
      action: "consumer.update",
      prepare: async (f) => {
        const { saved, path, target } = await make(f);
        return { path, body: saved, target };
      },
    },
    {
      route: `DELETE ${base}/{name}`,
      allowed: editors,
      action: "consumer.delete",
      prepare: async (f) => {
        const { path, target } = await make(f);
        return { path, target };
      },
    },
    {
      route: `POST ${base}/{name}/actions/{action}`,
      allowed: editors,
      action: "consumer.run",
      prepare: async (f) => {
        const { path, target } = await make(f);
        return { path: `${path}/actions/request`, body: { input: { method: "GET", path: "/" } }, target };
      },
    },
  ];
};

/** A template's preview and the project's Macro Manager: reads any member may make (X5). */
const templateReadRows = (): Row[] => [
  {
    route: "POST /v1/orgs/{org}/projects/{project}/templates/{id}/preview",
    allowed: all,
    action: "consumer.read",
    prepare: async (f) => {
      const at = `/v1/orgs/${f.org}/projects/web/templates`;
      const id = (await f.owner("POST", at, template(f.n))).id as string;
      return { path: `${at}/${id}/preview`, body: {} };
    },
  },
  {
    route: "POST /v1/orgs/{org}/projects/{project}/templates/preview",
    allowed: all,
    action: "consumer.read",
    prepare: async (f) => ({
      path: `/v1/orgs/${f.org}/projects/web/templates/preview`,
      body: { template: template(f.n) },
    }),
  },
  {
    route: "GET /v1/orgs/{org}/projects/{project}/macros",
    allowed: all,
    action: "consumer.read",
    prepare: async (f) => ({ path: `/v1/orgs/${f.org}/projects/web/macros` }),
  },
];

const o = (f: Fixture) => `/v1/orgs/${f.org}`;
const orgRow = (route: string, allowed: Role[], action: string, tail: string): Row => ({
  route,
  allowed,
  action,
  prepare: async (f) => ({ path: `${o(f)}${tail}` }),
});

/** One row per route the server registers. */
const ROWS: (Row | Exempt)[] = [
  { route: "GET /v1/setup", exempt: "anonymous: whether first-run setup happened" },
  { route: "POST /v1/setup", exempt: "anonymous: first-run setup, refused once done" },
  { route: "POST /v1/auth/login", exempt: "anonymous: sign-in" },
  { route: "POST /v1/auth/logout", exempt: "ends the caller's own session" },
  { route: "GET /v1/me", exempt: "the caller's own identity" },
  { route: "GET /v1/orgs", exempt: "the caller's own organizations" },
  { route: "POST /v1/orgs", exempt: "any signed-in person may create an organization and own it" },
  { route: "POST /v1/invitations/accept", exempt: "anonymous: the invitation token is the credential" },
  orgRow("GET /v1/orgs/{org}/settings", all, "org.read", "/settings"),
  {
    route: "PATCH /v1/orgs/{org}/settings",
    allowed: admins,
    action: "org.settings.update",
    // Sets what the organization already has, so the matrix's setting stays as it is.
    prepare: async (f) => ({
      path: `${o(f)}/settings`,
      body: { editorsManageSecrets: (await f.owner("GET", `${o(f)}/settings`)).editorsManageSecrets },
    }),
  },
  orgRow("GET /v1/orgs/{org}/members", admins, "member.read", "/members"),
  {
    route: "POST /v1/orgs/{org}/members",
    allowed: admins,
    action: "invitation.create",
    prepare: async (f) => ({
      path: `${o(f)}/members`,
      body: { email: `m${f.n}@example.com`, role: "viewer" },
    }),
  },
  {
    route: "PATCH /v1/orgs/{org}/members/{userId}",
    allowed: admins,
    action: "member.update",
    prepare: async (f) => ({ path: `${o(f)}/members/${await spareMember(f)}`, body: { role: "viewer" } }),
  },
  {
    route: "DELETE /v1/orgs/{org}/members/{userId}",
    allowed: admins,
    action: "member.remove",
    prepare: async (f) => ({ path: `${o(f)}/members/${await spareMember(f)}` }),
  },
  orgRow("GET /v1/orgs/{org}/invitations", admins, "member.read", "/invitations"),
  {
    route: "DELETE /v1/orgs/{org}/invitations/{id}",
    allowed: admins,
    action: "invitation.revoke",
    prepare: async (f) => {
      const i = await f.owner("POST", `${o(f)}/members`, { email: `i${f.n}@example.com`, role: "viewer" });
      return { path: `${o(f)}/invitations/${(i.invitation as { id: string }).id}` };
    },
  },
  orgRow("GET /v1/orgs/{org}/tokens", admins, "token.read", "/tokens"),
  {
    route: "POST /v1/orgs/{org}/tokens",
    allowed: admins,
    action: "token.create",
    prepare: async (f) => ({ path: `${o(f)}/tokens`, body: { name: `t${f.n}`, role: "viewer" } }),
  },
  {
    route: "DELETE /v1/orgs/{org}/tokens/{id}",
    allowed: admins,
    action: "token.delete",
    prepare: async (f) => {
      const t = await f.owner("POST", `${o(f)}/tokens`, { name: `del${f.n}`, role: "viewer" });
      return { path: `${o(f)}/tokens/${t.id}` };
    },
  },
  orgRow("GET /v1/orgs/{org}/projects", all, "project.read", "/projects"),
  orgRow("GET /v1/orgs/{org}/projects/{project}", all, "project.read", "/projects/web"),
  {
    route: "POST /v1/orgs/{org}/projects",
    allowed: admins,
    action: "project.create",
    prepare: async (f) => ({ path: `${o(f)}/projects`, body: { slug: `p${f.n}`, name: "P" } }),
  },
  orgRow("GET /v1/orgs/{org}/audit", admins, "audit.read", "/audit"),
  orgRow("GET /v1/orgs/{org}/audit/verify", admins, "audit.read", "/audit/verify"),
  ...secretRows("org"),
  ...secretRows("project"),
  ...consumerRows("integrations"),
  ...consumerRows("logic"),
  ...consumerRows("flows"),
  ...installationRows(),
  ...consumerRows("templates"),
  ...templateReadRows(),
  { route: "GET /v1/apps", exempt: "the built-in app catalog: the same for every signed-in caller" },
  {
    route: "POST /v1/orgs/{org}/projects/{project}/events",
    allowed: editors,
    action: "event.publish",
    prepare: async (f) => ({
      path: `${o(f)}/projects/web/events`,
      body: { name: `nobody.${f.n}`, data: {} },
    }),
  },
  orgRow("GET /v1/orgs/{org}/projects/{project}/logs", all, "logs.read", "/projects/web/logs"),
];

let server: TestServer;

/**
 * A member to change or remove: one left by an earlier request when there is one. Accepting invitations is
 * rate-limited per source address, and a refused request leaves its member in place.
 */
async function spareMember(f: Fixture): Promise<string> {
  const { members } = (await f.owner("GET", `/v1/orgs/${f.org}/members`)) as {
    members: { userId: string; email: string }[];
  };
  const spare = members.find((m) => m.email.startsWith("spare-"));
  if (spare) return spare.userId;
  const invite = await f.owner("POST", `/v1/orgs/${f.org}/members`, {
    email: `spare-${f.n}@example.com`,
    role: "viewer",
  });
  const accepted = await server.request("POST", "/v1/invitations/accept", {
    body: { token: invite.inviteToken, password: "member password 1" },
  });
  assert.equal(accepted.status, 200, accepted.text);
  const me = await server.request("GET", "/v1/me", { token: accepted.body.token });
  return me.body.user.id as string;
}

/** `/v1/orgs/{org}/secrets/{name}` as a pattern that matches the paths of that route. */
const routePattern = (path: string) => new RegExp(`^${path.replace(/\{[^}]+\}/g, "[^/]+")}$`);

const database = testDatabases()[0]!; // the matrix is about policy, not storage: SQLite is enough

describe("authorization matrix", () => {
  const ownerEmail = "owner@example.com";
  let ownerToken = "";
  let outsider = "";
  const orgs: Record<string, { tokens: Record<Role, string>; tokenIds: Partial<Record<Role, string>> }> = {};
  let n = 0;

  const fixture = (org: string): Fixture => ({
    org,
    n: ++n,
    async owner(method, path, body) {
      const res = await server.request(method, path, {
        token: ownerToken,
        ...(body !== undefined ? { body } : {}),
      });
      assert.ok(res.status < 300, `fixture ${method} ${path}: ${res.status} ${res.text}`);
      return res.body;
    },
  });

  before(async () => {
    server = await startTestServer(database);
    ownerToken = (await server.setup({ org: "acme", email: ownerEmail })).token;
    const owner = fixture("acme");
    await owner.owner("POST", "/v1/orgs", { slug: "beta", name: "Beta" });
    for (const org of ["acme", "beta"]) {
      const tokens = { owner: ownerToken } as Record<Role, string>;
      const tokenIds: Partial<Record<Role, string>> = {};
      for (const role of ["admin", "editor", "viewer"] as const) {
        const t = await owner.owner("POST", `/v1/orgs/${org}/tokens`, { name: role, role });
        tokens[role] = t.token as string;
        tokenIds[role] = t.id as string;
      }
      await owner.owner("POST", `/v1/orgs/${org}/projects`, { slug: "web", name: "Web" });
      orgs[org] = { tokens, tokenIds };
    }
    await owner.owner("PATCH", "/v1/orgs/beta/settings", { editorsManageSecrets: true });
    await owner.owner("POST", "/v1/orgs", { slug: "other", name: "Other" });
    const invited = await server.addMember({
      token: ownerToken,
      org: "other",
      email: "out@example.com",
      role: "owner",
    });
    outsider = invited.token;
  });
  after(() => server.close());

  it("every route the server registers has exactly one row, and every row names a registered route", async () => {
    const doc = await server.request("GET", "/v1/openapi.json");
    const registered = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const rows = ROWS.map((row) => row.route);
    assert.deepEqual(
      registered.filter((route) => !rows.includes(route)),
      [],
      "routes without a row in ROWS",
    );
    assert.deepEqual(
      rows.filter((route) => !registered.includes(route)),
      [],
      "rows for routes the server does not register",
    );
    assert.equal(new Set(rows).size, rows.length, "a route with two rows");
  });

  /** The newest denied entry of `org`'s audit log. */
  const lastDenied = async (org: string) => {
    const res = await server.request("GET", `/v1/orgs/${org}/audit?limit=20`, { token: ownerToken });
    assert.equal(res.status, 200, res.text);
    return res.body.entries.find((e: { outcome: string }) => e.outcome === "denied");
  };

  const settings = [
    { org: "acme", label: "editorsManageSecrets off" },
    { org: "beta", label: "editorsManageSecrets on" },
  ];
  for (const { org, label } of settings) {
    for (const row of ROWS) {
      if ("exempt" in row) continue;
      const allowed = org === "beta" && row.editorsManageSecrets ? [...row.allowed, "editor"] : row.allowed;
      it(`${label}: ${row.route}: allowed for ${allowed.join(", ")}; 403 and audited for the rest; 404 for another organization's member`, async () => {
        const [method, pattern] = row.route.split(" ") as [string, string];
        for (const who of [...roles, "outsider"] as const) {
          const req: Request = await row.prepare(fixture(org));
          assert.match(req.path, routePattern(pattern), `the row's request is not to ${row.route}`);
          const token = who === "outsider" ? outsider : orgs[org]!.tokens[who];
          const res = await server.request(method, req.path, {
            token,
            ...(req.body !== undefined ? { body: req.body } : {}),
          });
          if (who === "outsider") {
            assert.equal(res.status, 404, `outsider: ${res.status} ${res.text}`);
            assert.equal(res.body.error.code, "not_found");
          } else if (allowed.includes(who)) {
            assert.ok(res.status >= 200 && res.status < 300, `${who}: ${res.status} ${res.text}`);
          } else {
            assert.equal(res.status, 403, `${who}: ${res.status} ${res.text}`);
            assert.equal(res.body.error.code, "forbidden");
            const entry = await lastDenied(org);
            assert.equal(entry?.action, row.action, `${who}: the refusal's audit action`);
            assert.deepEqual(
              { type: entry.actor.type, id: entry.actor.id },
              { type: "token", id: orgs[org]!.tokenIds[who as Exclude<Role, "owner">] },
              `${who}: the refusal's audit actor`,
            );
            const expected: Record<string, string> = req.target ?? { type: "org", name: org };
            const actual: Record<string, string> = entry.target ?? {};
            assert.deepEqual(
              Object.fromEntries(Object.keys(expected).map((key) => [key, actual[key]])),
              expected,
              `${who}: the refusal's audit target`,
            );
          }
        }
      });
    }
  }

  it("no refusal's audit entry holds a value", async () => {
    for (const org of ["acme", "beta"]) {
      // A refusal of its own that carries a value, so the search has one to find even when run alone.
      const refused = await server.request("POST", `/v1/orgs/${org}/secrets`, {
        token: orgs[org]!.tokens.viewer,
        body: { name: `REFUSED_${++n}`, type: "token", value: `matrix-value-refused-${n}` },
      });
      assert.equal(refused.status, 403, refused.text);
      const res = await server.request("GET", `/v1/orgs/${org}/audit?limit=200`, { token: ownerToken });
      assert.equal(res.status, 200);
      assert.ok(res.body.entries.some((e: { outcome: string }) => e.outcome === "denied"));
      assert.equal(res.text.includes("matrix-value"), false);
      assert.equal(res.text.includes("matrix-new"), false);
    }
  });

  it("only an owner may invite an owner: an admin's attempt is refused and audited as the owner rule", async () => {
    const body = { email: `owner-${++n}@example.com`, role: "owner" };
    const refused = await server.request("POST", "/v1/orgs/acme/members", {
      token: orgs.acme!.tokens.admin,
      body,
    });
    assert.equal(refused.status, 403, refused.text);
    const entry = await lastDenied("acme");
    assert.equal(entry.actor.id, orgs.acme!.tokenIds.admin);
    assert.equal(entry.details.reason, "owner_rule");
    const invited = await server.request("POST", "/v1/orgs/acme/members", { token: ownerToken, body });
    assert.equal(invited.status, 201, invited.text);
  });

  it("another organization's member cannot see that the organization exists", async () => {
    const mine = await server.request("GET", "/v1/orgs", { token: outsider });
    assert.deepEqual(
      mine.body.orgs.map((x: { slug: string }) => x.slug),
      ["other"],
    );
  });
});
