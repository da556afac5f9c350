import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { auditActions as allAuditActions } from "../audit/actions.js";
import { TEST_AUDIT_KEY } from "../audit/testing.js";
import { verifyAuditChain } from "../audit/verify.js";
import { AppError, type ErrorCode } from "../errors.js";
import { testDatabases } from "../store/testing.js";
import { type Action, can, permissionsOf } from "./policy.js";
import { extractToken } from "./service.js";
import { type AuthFixture, openAuthFixture, PASSWORD } from "./testing.js";
import { type Actor, type OrgAccess, type Role, roles } from "./types.js";

const rejectsWith = (promise: Promise<unknown>, code: ErrorCode) =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });

async function auditActions(f: AuthFixture, outcome?: string): Promise<string[]> {
  let query = f.store.db.selectFrom("audit_log").select("action").orderBy("at").orderBy("chain_seq");
  if (outcome) query = query.where("outcome", "=", outcome as "success");
  return (await query.execute()).map((r) => r.action);
}

for (const database of testDatabases()) {
  describe(`setup (${database.name})`, () => {
    it("setup runs once: the first creates user, org and owner; the next gets already_set_up", async () => {
      const f = await openAuthFixture(database);
      try {
        const answer = await f.auth.setup(f.ctx(null), {
          org: "acme",
          email: "Owner@Example.com",
          password: PASSWORD,
        });
        assert.equal(answer.org.slug, "acme");
        assert.equal(answer.org.name, "acme");
        assert.equal(answer.org.role, "owner");
        assert.equal(answer.user.email, "owner@example.com");
        assert.match(answer.token, /^crk_s_/);
        await rejectsWith(
          f.auth.setup(f.ctx(null), { org: "other", email: "b@example.com", password: PASSWORD }),
          "already_set_up",
        );
        const users = await f.store.db.selectFrom("users").select("id").execute();
        assert.equal(users.length, 1);
        assert.equal((await f.store.db.selectFrom("orgs").select("id").execute()).length, 1);
      } finally {
        await f.close();
      }
    });

    it("of concurrent setups exactly one wins", async () => {
      const f = await openAuthFixture(database);
      try {
        const results = await Promise.allSettled(
          Array.from({ length: 6 }, (_, i) =>
            f.auth.setup(f.ctx(null), { org: `org-${i}`, email: `u${i}@example.com`, password: PASSWORD }),
          ),
        );
        const won = results.filter((r) => r.status === "fulfilled");
        const lost = results.filter((r) => r.status === "rejected");
        assert.equal(won.length, 1);
        for (const r of lost)
          assert.equal(((r as PromiseRejectedResult).reason as AppError).code, "already_set_up");
        assert.equal((await f.store.db.selectFrom("users").select("id").execute()).length, 1);
        assert.equal((await f.store.db.selectFrom("orgs").select("id").execute()).length, 1);
        assert.equal((await f.store.db.selectFrom("members").select("role").execute()).length, 1);
      } finally {
        await f.close();
      }
    });
  });

  describe(`sign-in, sessions and tokens (${database.name})`, () => {
    let f: AuthFixture;
    let owner: Actor;
    let ownerAccess: OrgAccess;
    before(async () => {
      f = await openAuthFixture(database, { sessionTtlMs: 60_000 });
      owner = (await f.setupOwner()).actor;
      ownerAccess = await f.access(owner, "acme");
    });
    after(() => f.close());

    it("the right password opens a session; a wrong one or an unknown email get the same 401", async () => {
      const session = await f.auth.login(f.ctx(null), { email: "OWNER@example.com", password: PASSWORD });
      const actor = await f.auth.authenticate({ authorization: `Bearer ${session.token}` });
      assert.deepEqual(actor, owner);
      const wrong = await f.auth
        .login(f.ctx(null), { email: "owner@example.com", password: "wrong password" })
        .catch((e) => e);
      const unknown = await f.auth
        .login(f.ctx(null), { email: "nobody@example.com", password: PASSWORD })
        .catch((e) => e);
      for (const error of [wrong, unknown]) assert.ok(error instanceof AppError);
      assert.equal(wrong.code, "unauthenticated");
      assert.equal(unknown.code, wrong.code);
      assert.equal(unknown.message, wrong.message);
    });

    it("the session cookie authenticates like the bearer token, and never carries an API token", async () => {
      const session = await f.auth.login(f.ctx(null), { email: "owner@example.com", password: PASSWORD });
      assert.deepEqual(
        await f.auth.authenticate({ cookie: `theme=dark; cloakroom_session=${session.token}` }),
        owner,
      );
      const created = await f.auth.createToken(ownerAccess, { name: "ci", role: "viewer" });
      assert.equal(await f.auth.authenticate({ cookie: `cloakroom_session=${created.token}` }), null);
    });

    it("unknown, malformed and foreign-prefixed tokens authenticate no one", async () => {
      const session = await f.auth.login(f.ctx(null), { email: "owner@example.com", password: PASSWORD });
      const flipped = session.token.slice(0, -1) + (session.token.endsWith("A") ? "B" : "A");
      for (const header of [
        `Bearer ${flipped}`,
        `Bearer ${session.token}x`,
        `Bearer crk_x_${session.token.slice(6)}`,
        `Basic ${session.token}`,
        "Bearer",
        `Bearer ${"a".repeat(10_000)}`,
      ]) {
        assert.equal(await f.auth.authenticate({ authorization: header }), null, header.slice(0, 40));
      }
      assert.equal(await f.auth.authenticate({}), null);
    });

    it("a session expires after its lifetime", async () => {
      const session = await f.auth.login(f.ctx(null), { email: "owner@example.com", password: PASSWORD });
      f.clock.ms += 59_000;
      assert.ok(await f.auth.authenticate({ authorization: `Bearer ${session.token}` }));
      f.clock.ms += 2_000;
      assert.equal(await f.auth.authenticate({ authorization: `Bearer ${session.token}` }), null);
      const { hashToken } = await import("../crypto/index.js");
      const row = await f.store.db
        .selectFrom("sessions")
        .select("id")
        .where("token_hash", "=", hashToken(session.token))
        .executeTakeFirst();
      assert.equal(row, undefined, "an expired session is deleted once seen");
    });

    it("logout ends the session at once", async () => {
      const session = await f.auth.login(f.ctx(null), { email: "owner@example.com", password: PASSWORD });
      const headers = { authorization: `Bearer ${session.token}` };
      await f.auth.logout(f.ctx(owner), headers);
      assert.equal(await f.auth.authenticate(headers), null);
    });

    it("an API token acts in its organization with its role and is revoked at once", async () => {
      const created = await f.auth.createToken(ownerAccess, { name: "deploy bot", role: "editor" });
      assert.match(created.token, /^crk_t_/);
      const actor = await f.auth.authenticate({ authorization: `bearer ${created.token}` });
      assert.ok(actor && actor.type === "token");
      assert.equal(actor.role, "editor");
      const access = await f.access(actor, "acme");
      assert.equal(access.role, "editor");
      await rejectsWith(f.auth.listMembers(access), "forbidden");
      await f.auth.deleteToken(ownerAccess, created.id);
      assert.equal(await f.auth.authenticate({ authorization: `Bearer ${created.token}` }), null);
    });

    it("token listings carry neither token values nor hashes", async () => {
      const created = await f.auth.createToken(ownerAccess, { name: "lister", role: "viewer" });
      const listed = await f.auth.listTokens(ownerAccess);
      const text = JSON.stringify(listed);
      assert.ok(listed.some((t) => t.id === created.id && t.name === "lister" && t.role === "viewer"));
      assert.ok(!text.includes(created.token));
      assert.ok(!/token_?hash|crk_/i.test(text));
      const row = await f.store.db
        .selectFrom("api_tokens")
        .select("token_hash")
        .where("id", "=", created.id)
        .executeTakeFirstOrThrow();
      assert.ok(!text.includes(row.token_hash));
    });

    it("the Authorization header wins over the cookie", () => {
      assert.equal(
        extractToken({ authorization: "Bearer crk_t_abc", cookie: "cloakroom_session=crk_s_def" }),
        "crk_t_abc",
      );
      assert.equal(extractToken({ cookie: "a=b; cloakroom_session=crk_s_def" }), "crk_s_def");
    });
  });

  describe(`tenancy (${database.name})`, () => {
    let f: AuthFixture;
    let ann: Actor; // owner of acme
    let bob: Actor; // owner of bobco, not in acme
    let annAccess: OrgAccess;
    let bobAccess: OrgAccess;
    before(async () => {
      f = await openAuthFixture(database);
      ann = (await f.setupOwner("acme", "ann@example.com")).actor;
      annAccess = await f.access(ann, "acme");
      const bobUser = await f.addUser(annAccess, "bob@example.com", "viewer");
      bob = bobUser.actor;
      await f.auth.createOrg(f.ctx(bob), { slug: "bobco", name: "Bob & Co" });
      bobAccess = await f.access(bob, "bobco");
      await f.auth.removeMember(annAccess, (bob as { userId: string }).userId);
      await f.auth.createProject(annAccess, { slug: "web", name: "Acme web" });
      await f.auth.createProject(bobAccess, { slug: "web", name: "Bob web" });
    });
    after(() => f.close());

    it("a member of one organization gets the same 404 for another as for one that does not exist", async () => {
      const other = await f.auth.orgAccess(f.ctx(ann), "bobco").catch((e) => e);
      const none = await f.auth.orgAccess(f.ctx(ann), "no-such-org").catch((e) => e);
      assert.ok(other instanceof AppError && none instanceof AppError);
      assert.equal(other.code, "not_found");
      assert.equal(none.code, "not_found");
      assert.equal(other.message.replace("bobco", "X"), none.message.replace("no-such-org", "X"));
      assert.equal(other.details, undefined);
    });

    it("an API token reaches its own organization only", async () => {
      const created = await f.auth.createToken(bobAccess, { name: "bob ci", role: "owner" });
      const token = await f.auth.authenticate({ authorization: `Bearer ${created.token}` });
      assert.ok(token);
      await rejectsWith(f.auth.orgAccess(f.ctx(token), "acme"), "not_found");
      assert.equal((await f.access(token, "bobco")).role, "owner");
      assert.deepEqual(
        (await f.auth.listOrgs(f.ctx(token))).map((o) => o.slug),
        ["bobco"],
      );
      await rejectsWith(f.auth.createOrg(f.ctx(token), { slug: "token-org", name: "x" }), "forbidden");
    });

    it("the org list shows only the caller's organizations with their role", async () => {
      assert.deepEqual(
        (await f.auth.listOrgs(f.ctx(ann))).map((o) => [o.slug, o.role]),
        [["acme", "owner"]],
      );
      assert.deepEqual(
        (await f.auth.listOrgs(f.ctx(bob))).map((o) => [o.slug, o.role]),
        [["bobco", "owner"]],
      );
    });

    it("projects with the same slug in two organizations stay apart", async () => {
      const a = await f.auth.project(annAccess, "web");
      const b = await f.auth.project(bobAccess, "web");
      assert.notEqual(a.id, b.id);
      assert.equal(a.name, "Acme web");
      assert.deepEqual(
        (await f.auth.listProjects(annAccess)).map((p) => p.name),
        ["Acme web"],
      );
      await rejectsWith(f.auth.project(annAccess, "nope"), "not_found");
    });

    it("an organization's audit log holds only its own entries", async () => {
      const entries = await f.audit.list(annAccess.org.id, { limit: 500 });
      assert.ok(entries.length > 0);
      assert.ok(entries.every((e) => e.orgId === annAccess.org.id));
      assert.ok(!JSON.stringify(entries).includes("bobco"));
    });

    it("probing another organization is recorded as denied outside both organizations", async () => {
      await f.auth.orgAccess(f.ctx(ann), "bobco").catch(() => {});
      const rows = await f.store.db
        .selectFrom("audit_log")
        .selectAll()
        .where("action", "=", "org.access")
        .where("target_name", "=", "bobco")
        .execute();
      assert.ok(rows.length > 0);
      assert.ok(rows.every((r) => r.chain === "_system" && r.org_id === null && r.outcome === "denied"));
    });
  });

  describe(`roles (${database.name})`, () => {
    let f: AuthFixture;
    const access = {} as Record<Role, OrgAccess>;
    before(async () => {
      f = await openAuthFixture(database);
      const owner = (await f.setupOwner()).actor;
      access.owner = await f.access(owner, "acme");
      for (const role of ["admin", "editor", "viewer"] as const) {
        const user = await f.addUser(access.owner, `${role}@example.com`, role);
        access[role] = await f.access(user.actor, "acme");
      }
    });
    after(() => f.close());

    it("authorize follows the policy table for every action and role, and audits each refusal under the action", async () => {
      const checked = allAuditActions.filter((action) => permissionsOf[action].length > 0);
      for (const role of roles) {
        for (const action of checked) {
          const before = (await auditActions(f, "denied")).length;
          const allowed = await f.auth.authorize(access[role], action).then(
            () => true,
            (e: AppError) => {
              assert.equal(e.code, "forbidden");
              return false;
            },
          );
          const expected = permissionsOf[action].every((p) => can(role, p, access[role].org));
          assert.equal(allowed, expected, `${role} ${action}`);
          const after = await auditActions(f, "denied");
          assert.equal(after.length, before + (allowed ? 0 : 1), `${role} ${action} audited`);
          if (!allowed) assert.equal(after.at(-1), action);
        }
      }
    });

    it("the service methods refuse what the table refuses", async () => {
      const calls: [Action, (a: OrgAccess) => Promise<unknown>][] = [
        ["member.read", (a) => f.auth.listMembers(a)],
        ["member.read", (a) => f.invitations.list(a)],
        ["member.write", (a) => f.invitations.revoke(a, "00000000-0000-7000-8000-000000000000")],
        ["member.write", (a) => f.invitations.create(a, { email: "x@example.com", role: "viewer" })],
        ["token.read", (a) => f.auth.listTokens(a)],
        ["token.write", (a) => f.auth.createToken(a, { name: "t", role: "viewer" })],
        ["project.write", (a) => f.auth.createProject(a, { slug: `p-${a.role}`, name: "p" })],
        ["org.settings.write", (a) => f.auth.updateSettings(a, { versionsKept: 5 })],
        ["project.read", (a) => f.auth.listProjects(a)],
        ["org.read", (a) => f.auth.getSettings(a)],
      ];
      for (const [action, call] of calls) {
        for (const role of ["editor", "viewer"] as const) {
          if (can(role, action, access[role].org)) await call(access[role]);
          else await rejectsWith(call(access[role]), "forbidden");
        }
      }
    });

    it("only owners grant, change or remove the owner role", async () => {
      const admin = access.admin;
      const deniedEntries = async () =>
        (await f.store.db.selectFrom("audit_log").select("id").where("outcome", "=", "denied").execute())
          .length;
      const deniedBefore = await deniedEntries();
      await rejectsWith(f.invitations.create(admin, { email: "o2@example.com", role: "owner" }), "forbidden");
      const ownerInvite = await f.invitations.create(access.owner, {
        email: "o3@example.com",
        role: "owner",
      });
      await rejectsWith(f.invitations.revoke(admin, ownerInvite.invitation.id), "forbidden");
      const ownerId = (access.owner.actor as { userId: string }).userId;
      await rejectsWith(f.auth.updateMember(admin, ownerId, "admin"), "forbidden");
      await rejectsWith(f.auth.removeMember(admin, ownerId), "forbidden");
      const viewerId = (access.viewer.actor as { userId: string }).userId;
      await rejectsWith(f.auth.updateMember(admin, viewerId, "owner"), "forbidden");
      assert.equal((await f.auth.updateMember(admin, viewerId, "editor")).role, "editor");
      assert.equal((await f.auth.updateMember(admin, viewerId, "viewer")).role, "viewer");
      // Each of the five refusals above, and nothing else, is audited as denied.
      assert.equal((await deniedEntries()) - deniedBefore, 5);
    });

    it("an admin cannot mint or revoke an owner token; an owner can", async () => {
      await rejectsWith(f.auth.createToken(access.admin, { name: "root", role: "owner" }), "forbidden");
      const created = await f.auth.createToken(access.owner, { name: "root", role: "owner" });
      await rejectsWith(f.auth.deleteToken(access.admin, created.id), "forbidden");
      assert.ok(await f.auth.authenticate({ authorization: `Bearer ${created.token}` }));
      const adminToken = await f.auth.createToken(access.admin, { name: "adm", role: "admin" });
      assert.equal(adminToken.role, "admin");
    });

    it("the last owner can be neither demoted nor removed; with two owners one may go", async () => {
      const ownerId = (access.owner.actor as { userId: string }).userId;
      await rejectsWith(f.auth.updateMember(access.owner, ownerId, "admin"), "conflict");
      await rejectsWith(f.auth.removeMember(access.owner, ownerId), "conflict");
      const second = await f.addUser(access.owner, "second-owner@example.com", "owner");
      const secondId = (second.actor as { userId: string }).userId;
      await f.auth.updateMember(access.owner, ownerId, "admin");
      const secondAccess = await f.access(second.actor, "acme");
      await rejectsWith(f.auth.removeMember(secondAccess, secondId), "conflict");
      await f.auth.updateMember(secondAccess, ownerId, "owner");
      access.owner = await f.access(access.owner.actor, "acme");
      await f.auth.removeMember(access.owner, secondId);
      const owners = await f.store.db
        .selectFrom("members")
        .select("user_id")
        .where("role", "=", "owner")
        .execute();
      assert.deepEqual(
        owners.map((o) => o.user_id),
        [ownerId],
      );
    });

    it("two owners demoting each other at once leave one owner", async () => {
      const a = await f.addUser(access.owner, "race-a@example.com", "owner");
      const b = await f.addUser(access.owner, "race-b@example.com", "owner");
      const ownerId = (access.owner.actor as { userId: string }).userId;
      await f.auth.removeMember(await f.access(a.actor, "acme"), ownerId);
      const aAccess = await f.access(a.actor, "acme");
      const bAccess = await f.access(b.actor, "acme");
      const aId = (a.actor as { userId: string }).userId;
      const bId = (b.actor as { userId: string }).userId;
      const results = await Promise.allSettled([
        f.auth.updateMember(aAccess, bId, "admin"),
        f.auth.updateMember(bAccess, aId, "admin"),
        f.auth.removeMember(aAccess, aId),
        f.auth.removeMember(bAccess, bId),
      ]);
      const owners = await f.store.db
        .selectFrom("members")
        .select("user_id")
        .where("org_id", "=", aAccess.org.id)
        .where("role", "=", "owner")
        .execute();
      assert.equal(owners.length, 1, JSON.stringify(results.map((r) => r.status)));
    });
  });

  describe(`members, settings and projects (${database.name})`, () => {
    let f: AuthFixture;
    let owner: OrgAccess;
    before(async () => {
      f = await openAuthFixture(database);
      owner = await f.access((await f.setupOwner()).actor, "acme");
    });
    after(() => f.close());

    it("a member joins by invitation, setting their own password, and can then sign in", async () => {
      const invited = await f.invitations.create(owner, { email: "New@Example.com", role: "editor" });
      assert.equal(invited.invitation.email, "new@example.com");
      assert.equal(invited.invitation.role, "editor");
      const joined = await f.invitations.accept(f.ctx(null), {
        token: invited.inviteToken,
        password: "a new password",
      });
      assert.equal(joined.org.slug, "acme");
      assert.equal(joined.org.role, "editor");
      const signedIn = await f.auth.login(f.ctx(null), {
        email: "new@example.com",
        password: "a new password",
      });
      await rejectsWith(
        f.invitations.create(owner, { email: "new@example.com", role: "viewer" }),
        "name_taken",
      );
      const other = await f.auth.createOrg(f.ctx(owner.actor), { slug: "second", name: "Second" });
      const otherAccess = await f.access(owner.actor, other.slug);
      const second = await f.invitations.create(otherAccess, { email: "new@example.com", role: "viewer" });
      const newcomer = await f.auth.authenticate({ authorization: `Bearer ${signedIn.token}` });
      await f.invitations.accept(f.ctx(newcomer), { token: second.inviteToken });
      const members = await f.auth.listMembers(owner);
      assert.deepEqual(
        members.map((m) => [m.email, m.role]),
        [
          ["new@example.com", "editor"],
          ["owner@example.com", "owner"],
        ],
      );
      assert.ok(!JSON.stringify(members).includes("scrypt"));
    });

    it("bad input to a service is refused with invalid_request naming the field", async () => {
      const error = await f.invitations
        .create(owner, { email: "not an email", role: "viewer" } as never)
        .catch((e) => e);
      assert.equal(error.code, "invalid_request");
      assert.deepEqual(
        error.details.fields.map((x: { field: string }) => x.field),
        ["body.email"],
      );
      await rejectsWith(f.auth.updateMember(owner, "x", "root" as Role), "invalid_request");
      await rejectsWith(f.auth.updateSettings(owner, { versionsKept: 0 }), "invalid_request");
      await rejectsWith(f.auth.updateSettings(owner, { versionsKept: 101 }), "invalid_request");
      await rejectsWith(f.auth.createProject(owner, { slug: "Bad Slug", name: "x" }), "invalid_request");
      await rejectsWith(
        f.auth.createToken(owner, { name: "line\nbreak", role: "viewer" }),
        "invalid_request",
      );
    });

    it("a missing member or token is not found", async () => {
      await rejectsWith(f.auth.updateMember(owner, "no-such-user", "viewer"), "not_found");
      await rejectsWith(f.auth.removeMember(owner, "no-such-user"), "not_found");
      await rejectsWith(f.auth.deleteToken(owner, "no-such-token"), "not_found");
    });

    it("settings change and read back; an unchanged patch writes no audit entry", async () => {
      assert.deepEqual(await f.auth.getSettings(owner), {
        namingPolicy: "upper_snake",
        editorsManageSecrets: false,
        editorsComputeWithRestricted: false,
        versionsKept: 10,
      });
      const changed = await f.auth.updateSettings(owner, {
        namingPolicy: "alias",
        editorsManageSecrets: true,
        editorsComputeWithRestricted: true,
        versionsKept: 25,
      });
      assert.deepEqual(changed, {
        namingPolicy: "alias",
        editorsManageSecrets: true,
        editorsComputeWithRestricted: true,
        versionsKept: 25,
      });
      const fresh = await f.access(owner.actor, "acme");
      assert.deepEqual(await f.auth.getSettings(fresh), changed);
      const count = (await auditActions(f)).length;
      await f.auth.updateSettings(fresh, { versionsKept: 25 });
      assert.equal((await auditActions(f)).length, count);
      await f.auth.updateSettings(fresh, {
        namingPolicy: "upper_snake",
        editorsManageSecrets: false,
        editorsComputeWithRestricted: false,
        versionsKept: 10,
      });
    });

    it("editors may write secrets only when the organization allows it", async () => {
      const editor = await f.addUser(owner, "ed@example.com", "editor");
      let edAccess = await f.access(editor.actor, "acme");
      await rejectsWith(f.auth.authorize(edAccess, "secret.create"), "forbidden");
      await f.auth.updateSettings(owner, { editorsManageSecrets: true });
      edAccess = await f.access(editor.actor, "acme");
      await f.auth.authorize(edAccess, "secret.create");
      await rejectsWith(f.auth.authorize(edAccess, "secret.bind"), "forbidden");
      await rejectsWith(f.auth.authorize(edAccess, "secret.reveal"), "forbidden");
      await f.auth.updateSettings(owner, { editorsManageSecrets: false });
    });

    it("duplicate slugs are name_taken, decided by the database even under concurrency", async () => {
      await f.auth.createProject(owner, { slug: "api", name: "API" });
      await rejectsWith(f.auth.createProject(owner, { slug: "api", name: "API again" }), "name_taken");
      await rejectsWith(f.auth.createOrg(f.ctx(owner.actor), { slug: "acme", name: "Acme 2" }), "name_taken");
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, () => f.auth.createProject(owner, { slug: "racy", name: "Racy" })),
      );
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
      for (const r of results)
        if (r.status === "rejected") assert.equal((r.reason as AppError).code, "name_taken");
      const orgs = await Promise.allSettled(
        Array.from({ length: 5 }, () =>
          f.auth.createOrg(f.ctx(owner.actor), { slug: "racy-org", name: "Racy" }),
        ),
      );
      assert.equal(orgs.filter((r) => r.status === "fulfilled").length, 1);
    });
  });

  describe(`auditing (${database.name})`, () => {
    it("every change is audited, no row holds a password or token, and the chains verify", async () => {
      const f = await openAuthFixture(database);
      try {
        const { actor, token: setupToken } = await f.setupOwner("acme", "ann@example.com");
        const owner = await f.access(actor, "acme");
        await f.auth
          .login(f.ctx(null, "192.0.2.7"), { email: "ann@example.com", password: "wrong-password-123" })
          .catch(() => {});
        const session = await f.auth.login(f.ctx(null), { email: "ann@example.com", password: PASSWORD });
        await f.auth.createOrg(f.ctx(actor), { slug: "second", name: "Second" });
        const invited = await f.invitations.create(owner, { email: "bo@example.com", role: "viewer" });
        const joined = await f.invitations.accept(f.ctx(null), {
          token: invited.inviteToken,
          password: "bo-password-1",
        });
        const member = {
          userId: (
            (await f.auth.authenticate({ authorization: `Bearer ${joined.token}` })) as { userId: string }
          ).userId,
        };
        await f.auth.updateMember(owner, member.userId, "editor");
        await f.auth.removeMember(owner, member.userId);
        const created = await f.auth.createToken(owner, { name: "ci", role: "viewer" });
        await f.auth.deleteToken(owner, created.id);
        await f.auth.updateSettings(owner, { versionsKept: 3 });
        await f.auth.createProject(owner, { slug: "web", name: "Web" });
        await f.auth.logout(f.ctx(actor), { authorization: `Bearer ${session.token}` });

        assert.deepEqual([...new Set(await auditActions(f, "success"))].sort(), [
          "auth.login",
          "auth.logout",
          "invitation.accept",
          "invitation.create",
          "member.remove",
          "member.update",
          "org.create",
          "org.settings.update",
          "project.create",
          "setup",
          "token.create",
          "token.delete",
        ]);
        const failure = await f.store.db
          .selectFrom("audit_log")
          .selectAll()
          .where("outcome", "=", "failure")
          .execute();
        assert.equal(failure.length, 1);
        assert.equal(failure[0]!.action, "auth.login");
        assert.equal(failure[0]!.source_ip, "192.0.2.7");
        assert.equal(failure[0]!.org_id, null);

        const everything = JSON.stringify(await f.store.db.selectFrom("audit_log").selectAll().execute());
        for (const secret of [
          PASSWORD,
          "wrong-password-123",
          "bo-password-1",
          setupToken,
          session.token,
          created.token,
          invited.inviteToken,
          "scrypt$",
        ]) {
          assert.ok(!everything.includes(secret), "an audit row holds a password or token");
        }
        const tokenHashes = await f.store.db.selectFrom("sessions").select("token_hash").execute();
        for (const { token_hash } of tokenHashes) assert.ok(!everything.includes(token_hash));
        assert.equal((await verifyAuditChain(f.store, { key: TEST_AUDIT_KEY })).ok, true);
      } finally {
        await f.close();
      }
    });

    it("a change whose audit entry cannot be written does not happen", async () => {
      const f = await openAuthFixture(database);
      try {
        const owner = await f.access((await f.setupOwner()).actor, "acme");
        // Make the next append collide with an existing (chain, chain_seq).
        await f.store.db
          .updateTable("audit_heads")
          .set({ chain_seq: 0 })
          .where("chain", "=", owner.org.id)
          .execute();
        // The audit failure surfaces as what it is (an internal error), not as a taken name.
        const notAppError = (e: unknown) => !(e instanceof AppError);
        await assert.rejects(f.auth.createProject(owner, { slug: "ghost", name: "Ghost" }), notAppError);
        await assert.rejects(f.auth.createToken(owner, { name: "ghost", role: "viewer" }), notAppError);
        assert.deepEqual(await f.auth.listProjects(owner), []);
        assert.equal((await f.store.db.selectFrom("api_tokens").select("id").execute()).length, 0);
      } finally {
        await f.close();
      }
    });
  });
}

describe("sign-in timing", () => {
  it("a wrong password and an unknown email take about the same time", async () => {
    const [database] = testDatabases();
    // Costly enough that a skipped hash would stand out against database noise (about 20 ms each).
    const f = await openAuthFixture(database!, { passwordParams: { N: 2 ** 13, r: 8, p: 1 } });
    try {
      await f.setupOwner("acme", "ann@example.com");
      const time = async (email: string) => {
        const start = process.hrtime.bigint();
        await f.auth.login(f.ctx(null), { email, password: "wrong password" }).catch(() => {});
        return Number(process.hrtime.bigint() - start);
      };
      await time("nobody@example.com"); // warms the dummy hash
      const known: number[] = [];
      const unknown: number[] = [];
      for (let i = 0; i < 7; i++) {
        known.push(await time("ann@example.com"));
        unknown.push(await time(`nobody${i}@example.com`));
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const ratio = median(unknown) / median(known);
      assert.ok(ratio > 0.5 && ratio < 2, `unknown/known median ratio ${ratio.toFixed(2)}`);
    } finally {
      await f.close();
    }
  });
});
