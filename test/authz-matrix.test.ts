/**
 * Authorization matrix (S11): every route of the core API × each role × a member of another organization.
 * The expected column is written out here, independent of src/auth/policy.ts, so a change to the policy
 * table that this matrix does not also state fails.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "../src/testing/databases.js";
import { startTestServer, type TestServer } from "../src/testing/server.js";

type Role = "owner" | "admin" | "editor" | "viewer";
const roles: Role[] = ["owner", "admin", "editor", "viewer"];

interface Case {
  name: string;
  allowed: Role[];
  /** Builds a fresh request (the owner prepares whatever must exist first). */
  prepare(n: number): Promise<{ method: string; path: string; body?: unknown }>;
}

const database = testDatabases()[0]!; // the matrix is about policy, not storage: SQLite is enough

describe("authorization matrix", () => {
  let server: TestServer;
  const tokens = {} as Record<Role | "outsider", string>;
  const o = "/v1/orgs/acme";
  let outsiderUserId = "";

  const asOwner = async (method: string, path: string, body?: unknown) => {
    const res = await server.request(method, path, {
      token: tokens.owner,
      ...(body !== undefined ? { body } : {}),
    });
    assert.ok(res.status < 300, `fixture ${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const secret = async (n: number, visibility = "restricted") => {
    const name = `S_${n}`;
    await asOwner("POST", `${o}/secrets`, { name, type: "token", value: `matrix-value-${n}`, visibility });
    return name;
  };

  before(async () => {
    server = await startTestServer(database);
    tokens.owner = (await server.setup()).token;
    for (const role of ["admin", "editor", "viewer"] as const) {
      tokens[role] = (await asOwner("POST", `${o}/tokens`, { name: role, role })).token;
    }
    await asOwner("POST", "/v1/orgs", { slug: "other", name: "Other" });
    const outsider = await server.addMember({
      token: tokens.owner,
      org: "other",
      email: "outsider@example.com",
      role: "owner",
    });
    outsiderUserId = outsider.userId;
    tokens.outsider = outsider.token;
    await asOwner("POST", `${o}/projects`, { slug: "web", name: "Web" });
  });
  after(() => server.close());

  const all = roles;
  const admins: Role[] = ["owner", "admin"];
  const cases: Case[] = [
    { name: "GET settings", allowed: all, prepare: async () => ({ method: "GET", path: `${o}/settings` }) },
    {
      name: "PATCH settings",
      allowed: admins,
      prepare: async () => ({
        method: "PATCH",
        path: `${o}/settings`,
        body: { editorsManageSecrets: false },
      }),
    },
    { name: "GET members", allowed: admins, prepare: async () => ({ method: "GET", path: `${o}/members` }) },
    {
      name: "POST members",
      allowed: admins,
      prepare: async (n) => ({
        method: "POST",
        path: `${o}/members`,
        body: { email: `m${n}@example.com`, role: "viewer" },
      }),
    },
    {
      name: "POST members (owner role)",
      allowed: ["owner"],
      prepare: async (n) => ({
        method: "POST",
        path: `${o}/members`,
        body: { email: `mo${n}@example.com`, role: "owner" },
      }),
    },
    {
      name: "GET invitations",
      allowed: admins,
      prepare: async () => ({ method: "GET", path: `${o}/invitations` }),
    },
    {
      name: "DELETE invitation",
      allowed: admins,
      prepare: async (n) => {
        const i = await asOwner("POST", `${o}/members`, { email: `i${n}@example.com`, role: "viewer" });
        return { method: "DELETE", path: `${o}/invitations/${i.invitation.id}` };
      },
    },
    {
      name: "PATCH member",
      allowed: admins,
      prepare: async (n) => {
        const m = await server.addMember({
          token: tokens.owner,
          org: "acme",
          email: `p${n}@example.com`,
          role: "viewer",
        });
        return { method: "PATCH", path: `${o}/members/${m.userId}`, body: { role: "editor" } };
      },
    },
    {
      name: "DELETE member",
      allowed: admins,
      prepare: async (n) => {
        const m = await server.addMember({
          token: tokens.owner,
          org: "acme",
          email: `d${n}@example.com`,
          role: "viewer",
        });
        return { method: "DELETE", path: `${o}/members/${m.userId}` };
      },
    },
    { name: "GET tokens", allowed: admins, prepare: async () => ({ method: "GET", path: `${o}/tokens` }) },
    {
      name: "POST tokens",
      allowed: admins,
      prepare: async (n) => ({
        method: "POST",
        path: `${o}/tokens`,
        body: { name: `t${n}`, role: "viewer" },
      }),
    },
    {
      name: "DELETE token",
      allowed: admins,
      prepare: async (n) => {
        const t = await asOwner("POST", `${o}/tokens`, { name: `del${n}`, role: "viewer" });
        return { method: "DELETE", path: `${o}/tokens/${t.id}` };
      },
    },
    { name: "GET projects", allowed: all, prepare: async () => ({ method: "GET", path: `${o}/projects` }) },
    {
      name: "POST projects",
      allowed: admins,
      prepare: async (n) => ({ method: "POST", path: `${o}/projects`, body: { slug: `p${n}`, name: "P" } }),
    },
    { name: "GET audit", allowed: admins, prepare: async () => ({ method: "GET", path: `${o}/audit` }) },
    ...(["org", "project"] as const).flatMap((scope): Case[] => {
      const s = scope === "org" ? `${o}/secrets` : `${o}/projects/web/secrets`;
      const make = async (n: number, visibility = "restricted") => {
        const name = `S_${scope.toUpperCase()}_${n}`;
        await asOwner("POST", s, { name, type: "token", value: `matrix-value-${n}`, visibility });
        return name;
      };
      return [
        { name: `${scope}: list secrets`, allowed: all, prepare: async () => ({ method: "GET", path: s }) },
        {
          name: `${scope}: create secret`,
          allowed: admins,
          prepare: async (n) => ({
            method: "POST",
            path: s,
            body: { name: `NEW_${n}`, type: "token", value: "matrix-new" },
          }),
        },
        {
          name: `${scope}: get secret`,
          allowed: all,
          prepare: async (n) => ({ method: "GET", path: `${s}/${await make(n)}` }),
        },
        {
          name: `${scope}: update value`,
          allowed: admins,
          prepare: async (n) => ({
            method: "PUT",
            path: `${s}/${await make(n)}/value`,
            body: { value: "matrix-next" },
          }),
        },
        {
          name: `${scope}: patch description`,
          allowed: admins,
          prepare: async (n) => ({
            method: "PATCH",
            path: `${s}/${await make(n)}`,
            body: { description: "d" },
          }),
        },
        {
          name: `${scope}: delete`,
          allowed: admins,
          prepare: async (n) => ({ method: "DELETE", path: `${s}/${await make(n)}` }),
        },
        {
          name: `${scope}: archive`,
          allowed: admins,
          prepare: async (n) => ({ method: "POST", path: `${s}/${await make(n)}/archive` }),
        },
        {
          name: `${scope}: restore`,
          allowed: admins,
          prepare: async (n) => {
            const name = await make(n);
            await asOwner("POST", `${s}/${name}/archive`);
            return { method: "POST", path: `${s}/${name}/restore` };
          },
        },
        {
          name: `${scope}: reveal masked`,
          allowed: admins,
          prepare: async (n) => ({ method: "POST", path: `${s}/${await make(n, "masked")}/reveal` }),
        },
        {
          name: `${scope}: versions`,
          allowed: all,
          prepare: async (n) => ({ method: "GET", path: `${s}/${await make(n)}/versions` }),
        },
        {
          name: `${scope}: rollback`,
          allowed: admins,
          prepare: async (n) => {
            const name = await make(n);
            await asOwner("PUT", `${s}/${name}/value`, { value: "matrix-v2" });
            return { method: "POST", path: `${s}/${name}/rollback`, body: { version: 1 } };
          },
        },
      ];
    }),
  ];

  let n = 0;
  for (const c of cases) {
    it(`${c.name}: allowed for ${c.allowed.join(", ")}; 403 for the rest; 404 for another organization's member`, async () => {
      for (const who of [...roles, "outsider"] as const) {
        const req = await c.prepare(++n);
        const res = await server.request(req.method, req.path, {
          token: tokens[who],
          ...(req.body !== undefined ? { body: req.body } : {}),
        });
        const expected = who === "outsider" ? 404 : c.allowed.includes(who) ? "2xx" : 403;
        if (expected === "2xx")
          assert.ok(res.status >= 200 && res.status < 300, `${who}: ${res.status} ${res.text}`);
        else assert.equal(res.status, expected, `${who}: ${res.status} ${res.text}`);
        if (res.status >= 400) assert.ok(res.body?.error?.code, "error shape");
      }
    });
  }

  it("every refusal is in the audit log as denied", async () => {
    const res = await server.request("GET", `${o}/audit?limit=200`, { token: tokens.owner });
    const denied = res.body.entries.filter((e: { outcome: string }) => e.outcome === "denied");
    assert.ok(denied.length >= 20, `only ${denied.length} denied entries`);
    assert.ok(!res.text.includes("matrix-value"));
  });

  it("another organization's member cannot see that the organization exists", async () => {
    const mine = await server.request("GET", "/v1/orgs", { token: tokens.outsider });
    assert.deepEqual(
      mine.body.orgs.map((x: { slug: string }) => x.slug),
      ["other"],
    );
    assert.ok(outsiderUserId);
    void secret;
  });
});
