import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { verifyAuditChain } from "../audit/verify.js";
import { AppError, type ErrorCode } from "../errors.js";
import { TEST_AUDIT_KEY } from "../testing/audit.js";
import { type AuthFixture, openAuthFixture, PASSWORD } from "../testing/auth.js";
import { testDatabases } from "../testing/databases.js";
import type { Actor, OrgAccess } from "./types.js";

const rejectsWith = (promise: Promise<unknown>, code: ErrorCode) =>
  assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof AppError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  });

const HOUR = 60 * 60 * 1000;

for (const database of testDatabases()) {
  describe(`invitations (${database.name})`, () => {
    let f: AuthFixture;
    let owner: OrgAccess;
    const actorOf = async (token: string): Promise<Actor> => {
      const actor = await f.auth.authenticate({ authorization: `Bearer ${token}` });
      assert.ok(actor, "the session authenticates");
      return actor;
    };

    before(async () => {
      f = await openAuthFixture(database, { invitationTtlMs: 24 * HOUR });
      owner = await f.access((await f.setupOwner()).actor, "acme");
    });
    after(() => f.close());

    it("an invitation is accepted once: of two concurrent accepts, exactly one wins", async () => {
      const { inviteToken } = await f.invitations.create(owner, {
        email: "race@example.com",
        role: "viewer",
      });
      const results = await Promise.allSettled([
        f.invitations.accept(f.ctx(null), { token: inviteToken, password: "first password" }),
        f.invitations.accept(f.ctx(null), { token: inviteToken, password: "second password" }),
      ]);
      assert.equal(results.filter((r) => r.status === "fulfilled").length, 1, JSON.stringify(results));
      const lost = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
      assert.ok(lost.reason instanceof AppError, String(lost.reason));
      const members = await f.auth.listMembers(owner);
      assert.equal(members.filter((m) => m.email === "race@example.com").length, 1);
      await rejectsWith(
        f.invitations.accept(f.ctx(null), { token: inviteToken, password: "third password" }),
        "not_found",
      );
    });

    it("an expired invitation cannot be accepted and is no longer listed", async () => {
      const { inviteToken } = await f.invitations.create(owner, {
        email: "late@example.com",
        role: "viewer",
      });
      assert.ok((await f.invitations.list(owner)).some((i) => i.email === "late@example.com"));
      f.clock.ms += 24 * HOUR + 1000;
      try {
        assert.ok(!(await f.invitations.list(owner)).some((i) => i.email === "late@example.com"));
        await rejectsWith(
          f.invitations.accept(f.ctx(null), { token: inviteToken, password: "too late anyway" }),
          "not_found",
        );
      } finally {
        f.clock.ms -= 24 * HOUR + 1000;
      }
    });

    it("a token for one address accepted by someone signed in with another is refused, and stays usable", async () => {
      const other = await f.addUser(owner, "someone-else@example.com", "viewer");
      const { inviteToken } = await f.invitations.create(owner, {
        email: "meant@example.com",
        role: "admin",
      });
      await rejectsWith(f.invitations.accept(f.ctx(other.actor), { token: inviteToken }), "forbidden");
      const joined = await f.invitations.accept(f.ctx(null), { token: inviteToken, password: "meant's own" });
      assert.equal(joined.org.role, "admin");
      const denied = await f.store.db
        .selectFrom("audit_log")
        .select(["details", "actor_name"])
        .where("action", "=", "invitation.accept")
        .where("outcome", "=", "denied")
        .execute();
      assert.ok(
        denied.some(
          (d) => d.actor_name === "someone-else@example.com" && d.details.includes("wrong_account"),
        ),
      );
    });

    it("an existing account joins with its own session and no password; without a session it is told to sign in", async () => {
      const second = await f.auth.createOrg(f.ctx(owner.actor), { slug: "second", name: "Second" });
      const secondAccess = await f.access(owner.actor, second.slug);
      const member = await f.addUser(owner, "two-orgs@example.com", "viewer");
      const { inviteToken } = await f.invitations.create(secondAccess, {
        email: "two-orgs@example.com",
        role: "editor",
      });
      // Whoever holds the link cannot set (or reset) the existing account's password with it.
      await rejectsWith(
        f.invitations.accept(f.ctx(null), { token: inviteToken, password: "a takeover attempt" }),
        "unauthenticated",
      );
      await rejectsWith(
        f.invitations.accept(f.ctx(member.actor), { token: inviteToken, password: "not with a session" }),
        "invalid_request",
      );
      const joined = await f.invitations.accept(f.ctx(member.actor), { token: inviteToken });
      assert.deepEqual([joined.org.slug, joined.org.role], ["second", "editor"]);
      await f.auth.login(f.ctx(null), { email: "two-orgs@example.com", password: PASSWORD });
      await rejectsWith(
        f.auth.login(f.ctx(null), { email: "two-orgs@example.com", password: "a takeover attempt" }),
        "unauthenticated",
      );
    });

    it("an API token cannot accept an invitation", async () => {
      const token = await f.auth.createToken(owner, { name: "bot", role: "admin" });
      const { inviteToken } = await f.invitations.create(owner, {
        email: "bot-target@example.com",
        role: "viewer",
      });
      await rejectsWith(
        f.invitations.accept(f.ctx(await actorOf(token.token)), { token: inviteToken }),
        "forbidden",
      );
    });

    it("a revoked invitation stops working, and inviting again replaces the earlier link", async () => {
      const first = await f.invitations.create(owner, { email: "again@example.com", role: "viewer" });
      const second = await f.invitations.create(owner, { email: "again@example.com", role: "editor" });
      await rejectsWith(
        f.invitations.accept(f.ctx(null), { token: first.inviteToken, password: "from the old link" }),
        "not_found",
      );
      const pending = (await f.invitations.list(owner)).filter((i) => i.email === "again@example.com");
      assert.deepEqual(
        pending.map((i) => [i.id, i.role]),
        [[second.invitation.id, "editor"]],
      );
      await f.invitations.revoke(owner, second.invitation.id);
      await rejectsWith(
        f.invitations.accept(f.ctx(null), { token: second.inviteToken, password: "from the revoked link" }),
        "not_found",
      );
      await rejectsWith(f.invitations.revoke(owner, second.invitation.id), "not_found");
    });

    it("the database keeps only the token's hash, and the audit log records each step without the token", async () => {
      const created = await f.invitations.create(owner, { email: "audited@example.com", role: "viewer" });
      await f.invitations.accept(f.ctx(null), { token: created.inviteToken, password: "audited password" });
      const revokedOne = await f.invitations.create(owner, { email: "dropped@example.com", role: "viewer" });
      await f.invitations.revoke(owner, revokedOne.invitation.id);
      const everything = JSON.stringify([
        await f.store.db.selectFrom("invitations").selectAll().execute(),
        await f.store.db.selectFrom("audit_log").selectAll().execute(),
      ]);
      for (const token of [created.inviteToken, revokedOne.inviteToken, "audited password"]) {
        assert.ok(!everything.includes(token), "a token or password is stored in plain text");
      }
      const actions = (
        await f.store.db
          .selectFrom("audit_log")
          .select(["action", "target_name"])
          .where("outcome", "=", "success")
          .where("target_type", "=", "invitation")
          .execute()
      ).filter((r) => r.target_name === "audited@example.com" || r.target_name === "dropped@example.com");
      assert.deepEqual(actions.map((r) => `${r.action} ${r.target_name}`).sort(), [
        "invitation.accept audited@example.com",
        "invitation.create audited@example.com",
        "invitation.create dropped@example.com",
        "invitation.revoke dropped@example.com",
      ]);
      assert.equal((await verifyAuditChain(f.store, { key: TEST_AUDIT_KEY })).ok, true);
    });

    it("a removed member's API tokens stop working, and re-adding them does not revive them", async () => {
      const admin = await f.addUser(owner, "leaver@example.com", "admin");
      const adminAccess = await f.access(admin.actor, "acme");
      const made = await f.auth.createToken(adminAccess, { name: "leaver ci", role: "admin" });
      // A token that token made belongs to the same person.
      const viaToken = await f.access(await actorOf(made.token), "acme");
      const grandchild = await f.auth.createToken(viaToken, { name: "leaver bot", role: "viewer" });
      const ownersToken = await f.auth.createToken(owner, { name: "owner ci", role: "viewer" });
      const pending = await f.invitations.create(adminAccess, {
        email: "friend@example.com",
        role: "viewer",
      });
      for (const t of [made.token, grandchild.token])
        assert.ok(await f.auth.authenticate({ authorization: `Bearer ${t}` }));

      const removed = await f.auth.removeMember(owner, (admin.actor as { userId: string }).userId);
      assert.deepEqual(removed, { tokensRevoked: 2, invitationsRevoked: 1 });
      for (const t of [made.token, grandchild.token]) {
        assert.equal(
          await f.auth.authenticate({ authorization: `Bearer ${t}` }),
          null,
          "a removed member's token works",
        );
      }
      assert.ok(
        await f.auth.authenticate({ authorization: `Bearer ${ownersToken.token}` }),
        "others' tokens stay",
      );
      await rejectsWith(
        f.invitations.accept(f.ctx(null), { token: pending.inviteToken, password: "friend's password" }),
        "not_found",
      );
      const entry = await f.store.db
        .selectFrom("audit_log")
        .select("details")
        .where("action", "=", "member.remove")
        .where("target_name", "=", "leaver@example.com")
        .executeTakeFirstOrThrow();
      const details = JSON.parse(entry.details);
      assert.equal(details.tokensRevoked, 2);
      assert.deepEqual(details.revokedTokens.map((t: { name: string }) => t.name).sort(), [
        "leaver bot",
        "leaver ci",
      ]);

      await f.addUser(owner, "leaver@example.com", "admin");
      for (const t of [made.token, grandchild.token]) {
        assert.equal(
          await f.auth.authenticate({ authorization: `Bearer ${t}` }),
          null,
          "re-adding revived a token",
        );
      }
    });
  });
}
