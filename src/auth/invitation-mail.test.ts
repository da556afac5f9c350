/**
 * Invitations mailed over SMTP: a real local smtp-server receives the message, and the link in it is what
 * the invitee uses. A mail that fails leaves the invitation in place, and the answer says so.
 */
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { SMTPServer } from "smtp-server";
import { loadConfig } from "../config.js";
import { testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";

const SMTP_USER = "mailer";
const SMTP_PASS = "smtp-pass-Qw7Zr2Lp";
const PUBLIC_URL = "https://secrets.example.test";

interface Received {
  from: string | undefined;
  to: string[];
  raw: string;
}

/** A local SMTP server that takes mail for anyone whose address does not start with `refuse`, after checking the credentials. */
async function startSmtp(
  refuse: string,
): Promise<{ port: number; mails: Received[]; close(): Promise<void> }> {
  const mails: Received[] = [];
  const server = new SMTPServer({
    disabledCommands: ["STARTTLS"],
    allowInsecureAuth: true,
    authMethods: ["PLAIN", "LOGIN"],
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASS) callback(null, { user: auth.username });
      else callback(new Error("bad credentials"));
    },
    onRcptTo(address, _session, callback) {
      if (address.address.startsWith(refuse))
        callback(Object.assign(new Error("no such mailbox"), { responseCode: 550 }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on("data", (c: Buffer) => chunks.push(c));
      stream.on("end", () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined,
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString("utf8"),
        });
        callback();
      });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** The quoted-printable soft line breaks of a mail body undone, so a long link reads as one line. */
const unfold = (raw: string) => raw.replace(/=\r?\n/g, "").replace(/=3D/g, "=");

const database = testDatabases()[0]!; // mail delivery does not depend on the database

describe("invitation mail over SMTP", () => {
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  let server: TestServer;
  let owner: string;

  before(async () => {
    smtp = await startSmtp("bounce");
    server = await startTestServer(database, {
      CLOAKROOM_SMTP_URL: `smtp://${SMTP_USER}:${SMTP_PASS}@127.0.0.1:${smtp.port}`,
      CLOAKROOM_SMTP_FROM: "Cloakroom <cloakroom@example.test>",
      CLOAKROOM_PUBLIC_URL: `${PUBLIC_URL}/`,
    });
    owner = (await server.setup()).token;
  });
  after(async () => {
    await server?.close();
    await smtp?.close();
  });

  it("the invitee receives the link, and the link's token lets them choose their password", async () => {
    const res = await server.request("POST", "/v1/orgs/acme/members", {
      token: owner,
      body: { email: "new.hire@example.com", role: "editor" },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.mailed, true);
    assert.equal(res.body.inviteUrl, `${PUBLIC_URL}/invite#token=${res.body.inviteToken}`);
    assert.equal(smtp.mails.length, 1);
    const [mail] = smtp.mails;
    assert.deepEqual(mail!.to, ["new.hire@example.com"]);
    assert.equal(mail!.from, "cloakroom@example.test");
    const body = unfold(mail!.raw);
    assert.match(body, /invited to join acme on Cloakroom as editor/);
    const link = /https:\/\/secrets\.example\.test\/invite#token=(crk_i_[A-Za-z0-9_-]{43})/.exec(body);
    assert.ok(link, "the mail holds the link");
    const joined = await server.request("POST", "/v1/invitations/accept", {
      body: { token: link[1], password: "new hire's own password" },
    });
    assert.equal(joined.status, 200, joined.text);
    assert.equal(joined.body.org.role, "editor");
  });

  it("a mail the server refuses leaves the invitation in place, and the answer says it was not mailed", async () => {
    const res = await server.request("POST", "/v1/orgs/acme/members", {
      token: owner,
      body: { email: "bounce@example.com", role: "viewer" },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.mailed, false);
    const pending = await server.request("GET", "/v1/orgs/acme/invitations", { token: owner });
    assert.ok(pending.body.invitations.some((i: { email: string }) => i.email === "bounce@example.com"));
    const joined = await server.request("POST", "/v1/invitations/accept", {
      body: { token: res.body.inviteToken, password: "bounced but here" },
    });
    assert.equal(joined.status, 200, joined.text);
  });

  it("the SMTP password and the invite tokens never reach the server's log", async () => {
    // One invitation mailed and one refused, so the log holds what both paths write.
    for (const email of ["logged@example.com", "bounce.logged@example.com"]) {
      const res = await server.request("POST", "/v1/orgs/acme/members", {
        token: owner,
        body: { email, role: "viewer" },
      });
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.mailed, email === "logged@example.com", email);
    }
    const log = server.logs.join("\n");
    assert.ok(!log.includes(SMTP_PASS), "the SMTP password is in the log");
    assert.ok(!/crk_i_/.test(log), "an invite token is in the log");
    assert.match(log, /invitation mail not sent/);
  });
});

describe("SMTP settings are checked at start", () => {
  const flags = { host: "127.0.0.1", port: 0, dataDir: "/tmp/unused" };
  it("an SMTP URL without a sender or public URL, or a malformed one, stops start-up without quoting the password", () => {
    const url = `smtp://${SMTP_USER}:${SMTP_PASS}@mail.example.test:587`;
    assert.throws(() => loadConfig(flags, { CLOAKROOM_SMTP_URL: url }), /CLOAKROOM_SMTP_FROM/);
    for (const bad of [
      `http://${SMTP_USER}:${SMTP_PASS}@mail.example.test`,
      `smtp://${SMTP_USER}:${SMTP_PASS}@mail.example.test/path`,
      `smtp://:${SMTP_PASS}@mail.example.test`,
    ]) {
      assert.throws(
        () =>
          loadConfig(flags, {
            CLOAKROOM_SMTP_URL: bad,
            CLOAKROOM_SMTP_FROM: "a@example.test",
            CLOAKROOM_PUBLIC_URL: PUBLIC_URL,
          }),
        (error: Error) => {
          assert.match(error.message, /CLOAKROOM_SMTP_URL/);
          assert.ok(!error.message.includes(SMTP_PASS), error.message);
          return true;
        },
      );
    }
    const ok = loadConfig(flags, {
      CLOAKROOM_SMTP_URL: `smtps://${SMTP_USER}:${encodeURIComponent("p@ss:word")}@mail.example.test`,
      CLOAKROOM_SMTP_FROM: "a@example.test",
      CLOAKROOM_PUBLIC_URL: PUBLIC_URL,
    });
    assert.deepEqual(ok.smtp?.target, {
      secure: true,
      host: "mail.example.test",
      port: 465,
      user: SMTP_USER,
      pass: "p@ss:word",
    });
    assert.throws(
      () => loadConfig(flags, { CLOAKROOM_PUBLIC_URL: "ftp://x.example.test" }),
      /CLOAKROOM_PUBLIC_URL/,
    );
    assert.throws(
      () => loadConfig(flags, { CLOAKROOM_INVITATION_TTL_HOURS: "0" }),
      /CLOAKROOM_INVITATION_TTL_HOURS/,
    );
  });
});
