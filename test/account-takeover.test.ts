/**
 * Issue 7 item 1, reproduced over HTTP: an admin of org B used to add cfo@corp-a.test with a password of
 * their choosing, remove them, and sign in as them once org A added the same address. Nobody but the
 * invitee may ever set that person's password.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testDatabases } from "../src/testing/databases.js";
import { startTestServer, type TestServer } from "../src/testing/server.js";

const CFO = "cfo@corp-a.test";
const MALLORY_PICK = "mallory-chose-this-1";
const CFO_OWN = "the cfo's own password";

for (const database of testDatabases()) {
  describe(`cross-tenant account takeover (${database.name})`, () => {
    let server: TestServer;
    let opsA: string; // owner of corp-a
    let mallory: string; // owner of corp-b, no member of corp-a

    before(async () => {
      server = await startTestServer(database);
      opsA = (await server.setup({ org: "corp-a", email: "ops@corp-a.test" })).token;
      const b = await server.request("POST", "/v1/orgs", {
        token: opsA,
        body: { slug: "corp-b", name: "B" },
      });
      assert.equal(b.status, 201, b.text);
      mallory = (
        await server.addMember({ token: opsA, org: "corp-b", email: "mallory@corp-b.test", role: "owner" })
      ).token;
      const me = await server.request("GET", "/v1/me", { token: opsA });
      await server.request("DELETE", `/v1/orgs/corp-b/members/${me.body.user.id}`, { token: mallory });
    });
    after(() => server.close());

    it("another organization's admin cannot choose the password of a person org A later invites", async () => {
      // Org B tries to create the account with a password of its choosing, then removes the "member".
      const planted = await server.request("POST", "/v1/orgs/corp-b/members", {
        token: mallory,
        body: { email: CFO, password: MALLORY_PICK, role: "viewer" },
      });
      assert.equal(planted.status, 400, `org B set a password for ${CFO}: ${planted.status} ${planted.text}`);
      assert.equal(planted.body.error.code, "invalid_request");
      const members = await server.request("GET", "/v1/orgs/corp-b/members", { token: mallory });
      for (const m of members.body.members as { userId: string; email: string }[]) {
        if (m.email === CFO)
          await server.request("DELETE", `/v1/orgs/corp-b/members/${m.userId}`, { token: mallory });
      }
      // Org B may invite the address, and then revokes the invitation.
      const bInvite = await server.request("POST", "/v1/orgs/corp-b/members", {
        token: mallory,
        body: { email: CFO, role: "viewer" },
      });
      assert.equal(bInvite.status, 201, bInvite.text);
      await server.request("DELETE", `/v1/orgs/corp-b/invitations/${bInvite.body.invitation.id}`, {
        token: mallory,
      });

      // Org A invites the same address as admin; the link goes to the CFO only.
      const aInvite = await server.request("POST", "/v1/orgs/corp-a/members", {
        token: opsA,
        body: { email: CFO, role: "admin" },
      });
      assert.equal(aInvite.status, 201, aInvite.text);

      // Org B's admin cannot sign in as the CFO, nor use their own (revoked) link.
      const asCfo = await server.request("POST", "/v1/auth/login", {
        body: { email: CFO, password: MALLORY_PICK },
      });
      assert.equal(asCfo.status, 401, "org B's admin signed in as the CFO");
      const revoked = await server.request("POST", "/v1/invitations/accept", {
        body: { token: bInvite.body.inviteToken, password: MALLORY_PICK },
      });
      assert.equal(revoked.status, 404);
      // Signed in as themselves, they cannot take the CFO's invitation either (were it ever leaked).
      const wrongAccount = await server.request("POST", "/v1/invitations/accept", {
        token: mallory,
        body: { token: aInvite.body.inviteToken },
      });
      assert.equal(wrongAccount.status, 403);

      // The CFO alone sets the password, and reaches org A with it.
      const joined = await server.request("POST", "/v1/invitations/accept", {
        body: { token: aInvite.body.inviteToken, password: CFO_OWN },
      });
      assert.equal(joined.status, 200, joined.text);
      assert.deepEqual([joined.body.org.slug, joined.body.org.role], ["corp-a", "admin"]);
      const own = await server.request("POST", "/v1/auth/login", { body: { email: CFO, password: CFO_OWN } });
      assert.equal(own.status, 200);
      assert.equal(
        (await server.request("POST", "/v1/auth/login", { body: { email: CFO, password: MALLORY_PICK } }))
          .status,
        401,
      );
      // Org B learns nothing of org A, and its admin cannot reach org A's members.
      assert.equal((await server.request("GET", "/v1/orgs/corp-a/members", { token: mallory })).status, 404);
    });
  });
}
