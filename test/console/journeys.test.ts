/**
 * The console in Chromium against a real `cloakroom serve` and a local HTTP sink: the journeys of the seed
 * products, each ending with a search for values in the page, its storage and every API answer.
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { chromiumAvailable, launchBrowser, type TestBrowser } from "../../src/testing/browser.js";
import { testDatabases } from "../../src/testing/databases.js";
import { startTestServer, type TestServer } from "../../src/testing/server.js";
import {
  assertAccessible,
  assertNoValueInAnswers,
  assertNoValueInPage,
  recordApiAnswers,
  screenshot,
  startSink,
  watchPage,
} from "./helpers.js";

const PASSWORD = "correct horse battery staple";
const V1 = "tok-first-9f8e7d6c5b";
const V2 = "tok-second-1a2b3c4d5e";
const DB_PASSWORD = "pw-db-4471-secret";
const JSON_INNER = "json-inner-8c1d2e";
const MASKED = "masked-value-55ab";
const RESTRICTED = "restricted-value-77cd";
const NEW_TAB = "new-tab-value-31ef";
const ALIAS_JSON = "alias-json-0042";
const ALL = [V1, V2, DB_PASSWORD, JSON_INNER, MASKED, RESTRICTED, NEW_TAB, ALIAS_JSON];

/** A port free right now: the server must know its own URL (CLOAKROOM_PUBLIC_URL) for invitation links. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, "127.0.0.1", done));
  const { port } = probe.address() as { port: number };
  await new Promise((done) => probe.close(done));
  return port;
}

const skip = chromiumAvailable() ? false : "no Chromium at /usr/bin/chromium";

describe("the console in Chromium", { skip, timeout: 300_000 }, () => {
  let server: TestServer;
  let sink: Awaited<ReturnType<typeof startSink>>;
  let browser: TestBrowser;
  let answers: ReturnType<typeof recordApiAnswers>;
  let page: Page;
  let problems: string[];
  let ownerToken: string;

  before(async () => {
    const port = await freePort();
    server = await startTestServer(testDatabases()[0]!, {
      CLOAKROOM_PORT: String(port),
      CLOAKROOM_PUBLIC_URL: `http://127.0.0.1:${port}`,
    });
    sink = await startSink();
    browser = await launchBrowser();
    answers = recordApiAnswers(browser.context);
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    problems = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    await sink?.close();
    await server?.close();
  });

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await server.request(method, path, {
      token: ownerToken,
      ...(body === undefined ? {} : { body }),
    });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };
  const open = async (path: string) => {
    await page.goto(server.url + path);
  };
  const rowMenu = (p: Page, name: string) => p.getByRole("button", { name: `Actions for ${name}` });

  it("seed 000: setup, a secret of each type, an integration using {{{AUTH_KEY}}}, test, rotate, refused delete, archive", async () => {
    await open("/");
    await page.getByRole("heading", { name: "Set up Cloakroom" }).waitFor();
    await assertAccessible(page, "setup");
    await page.getByLabel("Organization").fill("acme");
    await page.getByLabel("Email").fill("owner@example.com");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Set up" }).click();
    await page.getByRole("heading", { name: "Secrets" }).waitFor();
    for (const nav of ["Secrets", "Projects", "Audit log", "Members", "API tokens", "Settings"]) {
      assert.ok(
        await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: nav }).isVisible(),
        nav,
      );
    }
    ownerToken = (
      await server.request("POST", "/v1/auth/login", {
        body: { email: "owner@example.com", password: PASSWORD },
      })
    ).body.token;

    // A token, with the eye toggle and the short-value warning on the way.
    await page.getByRole("button", { name: "Add secret" }).click();
    const drawer = page.getByRole("dialog", { name: "Create secret" });
    await drawer.waitFor();
    await assertAccessible(page, "create drawer");
    await drawer.getByLabel("Name").fill("AUTH_KEY");
    const value = drawer.getByLabel("Value", { exact: true });
    await value.fill("ab");
    await drawer.getByText("shorter than 4 characters").waitFor();
    assert.equal(await value.getAttribute("type"), "password");
    await drawer.getByRole("button", { name: "Show Value" }).click();
    assert.equal(await value.getAttribute("type"), "text");
    await value.fill(V1);
    await drawer.getByText("cannot be shown to you again").waitFor();
    await screenshot(page, "create-secret");
    await drawer.getByRole("button", { name: "Submit" }).click();
    await page.getByRole("link", { name: "AUTH_KEY" }).waitFor();
    await assertNoValueInPage(page, [V1], "after creating a token");

    // Username and password.
    await page.getByRole("button", { name: "Add secret" }).click();
    await drawer.getByLabel("Name").fill("DB_LOGIN");
    await drawer.getByLabel("Secret type").selectOption("username_password");
    await drawer.getByLabel("Username").fill("app");
    await drawer.getByLabel("Password", { exact: true }).fill(DB_PASSWORD);
    await drawer.getByRole("button", { name: "Submit" }).click();
    await page.getByRole("link", { name: "DB_LOGIN" }).waitFor();

    // JSON, through the editor that validates.
    await page.getByRole("button", { name: "Add secret" }).click();
    await drawer.getByLabel("Name").fill("SERVICE_JSON");
    await drawer.getByLabel("Secret type").selectOption("json");
    await drawer.locator(".cm-content").click();
    await page.keyboard.type(`{"key": "${JSON_INNER}"}`);
    await drawer.getByText("Looks valid.").waitFor();
    await drawer.getByRole("button", { name: "Submit" }).click();
    await page.getByRole("link", { name: "SERVICE_JSON" }).waitFor();
    await assertNoValueInPage(page, [V1, DB_PASSWORD, JSON_INNER], "after creating three secrets");
    await screenshot(page, "secrets-list");
    await assertAccessible(page, "secrets list");

    // A project and an integration whose header takes the secret at the cursor.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Projects" }).click();
    await page.getByLabel("Project slug").fill("web");
    await page.getByLabel("Project name").fill("Web shop");
    await page.getByRole("button", { name: "Create project" }).click();
    await page.getByRole("heading", { name: "Integrations" }).waitFor();
    await page.getByRole("button", { name: "New integration" }).click();
    await page.getByLabel("Integration name").fill("notify");
    await page.getByLabel("URL").fill(`${sink.url}/hook`);
    await page.getByRole("button", { name: "Add header" }).click();
    await page.getByLabel("Headers name 1").fill("authorization");
    const header = page.getByLabel("Headers value 1");
    await header.fill("Bearer ");
    await page.getByRole("combobox", { name: "Secret" }).fill("AUTH");
    await page.getByRole("option", { name: "AUTH_KEY" }).click();
    assert.equal(await header.inputValue(), "Bearer {{{AUTH_KEY}}}");
    await page.getByRole("list", { name: "Secrets this integration uses" }).getByText("AUTH_KEY").waitFor();
    await page.getByRole("button", { name: "Test" }).click();
    const run = page.getByRole("article", { name: "Run of notify" });
    await run.waitFor();
    assert.match((await run.textContent()) ?? "", /\[\[SENSITIVE\]\]/);
    assert.equal(sink.requests.at(-1)?.headers.authorization, `Bearer ${V1}`);
    await screenshot(page, "integration-test");
    await assertAccessible(page, "integration editor");

    // Rotate from the organization's list; the next run sends the new value.
    await open("/orgs/acme/secrets");
    await rowMenu(page, "AUTH_KEY").click();
    await page.getByRole("menuitem", { name: "Edit" }).click();
    const edit = page.getByRole("dialog", { name: "Edit secret" });
    assert.equal(await edit.getByLabel("Name").inputValue(), "AUTH_KEY");
    assert.equal(await edit.getByLabel("Name").getAttribute("readonly"), "");
    assert.equal(await edit.getByLabel("Value", { exact: true }).inputValue(), "");
    await edit.getByLabel("Value", { exact: true }).fill(V2);
    await edit.getByRole("button", { name: "Submit" }).click();
    await edit.waitFor({ state: "detached" });
    await open("/orgs/acme/projects/web?tab=integrations");
    await page.getByRole("button", { name: "notify" }).click();
    await page.getByRole("button", { name: "Test" }).click();
    await page.getByRole("article", { name: "Run of notify" }).waitFor();
    assert.equal(sink.requests.at(-1)?.headers.authorization, `Bearer ${V2}`);

    // Delete is refused while the integration uses the secret, and says which one.
    await open("/orgs/acme/secrets");
    await rowMenu(page, "AUTH_KEY").click();
    assert.equal(await page.getByRole("menuitem", { name: /Delete/ }).getAttribute("aria-disabled"), "true");
    await page.keyboard.press("Escape");
    // Last accessed is written every few seconds (X7, coalesced): the picture waits for the runs' access.
    for (let tries = 0; ; tries++) {
      await open("/orgs/acme/secrets/AUTH_KEY");
      await page.getByRole("heading", { name: "AUTH_KEY" }).waitFor();
      if ((await page.getByText(/UTC by notify$/).count()) > 0 || tries === 20) break;
      await page.waitForTimeout(500);
    }
    assert.ok(await page.getByRole("button", { name: "Delete" }).isDisabled());
    await page.getByText(/Delete is unavailable while notify uses/).waitFor();
    await screenshot(page, "secret-details");
    await assertAccessible(page, "secret details");

    // Archive, behind a dialog naming the integration.
    await open("/orgs/acme/secrets");
    await rowMenu(page, "AUTH_KEY").click();
    await page.getByRole("menuitem", { name: "Archive" }).click();
    const dialog = page.getByRole("alertdialog", { name: "Archive AUTH_KEY?" });
    await dialog.getByText("notify").waitFor();
    await assertAccessible(page, "archive dialog");
    await dialog.getByRole("button", { name: "Archive secret" }).click();
    await page.getByRole("link", { name: "AUTH_KEY" }).waitFor({ state: "detached" });
    await page.getByLabel("Show archived").check();
    await page.getByRole("link", { name: "AUTH_KEY" }).waitFor();

    await assertNoValueInPage(page, ALL, "end of seed 000");
    assert.deepEqual(problems, []);
  });

  it("the picker's 'Create a new secret' opens a new tab, and the picker lists the new secret on return without a reload", async () => {
    await open("/orgs/acme/projects/web?tab=integrations");
    await page.getByRole("button", { name: "New integration" }).click();
    await page.evaluate("window.marker = 42");
    await page.getByRole("combobox", { name: "Secret" }).click();
    const [tab] = await Promise.all([
      browser.context.waitForEvent("page"),
      page.getByRole("option", { name: /Create a new secret/ }).click(),
    ]);
    const drawer = tab.getByRole("dialog", { name: "Create secret" });
    await drawer.waitFor();
    await drawer.getByLabel("Name").fill("NEW_TAB_KEY");
    await drawer.getByLabel("Value", { exact: true }).fill(NEW_TAB);
    await drawer.getByRole("button", { name: "Submit" }).click();
    await tab.getByRole("link", { name: "NEW_TAB_KEY" }).waitFor();
    await assertNoValueInPage(tab, [NEW_TAB], "the new tab after submit");
    await tab.close();
    await page.bringToFront();
    await page.evaluate('dispatchEvent(new Event("focus"))');
    await page.getByRole("combobox", { name: "Secret" }).fill("NEW_TAB");
    await page.getByRole("option", { name: "NEW_TAB_KEY" }).click();
    // An owner may rotate a picked secret's value from the editor, in a drawer; the value is never shown.
    await page.getByRole("button", { name: "Edit value of NEW_TAB_KEY" }).click();
    const edit = page.getByRole("dialog", { name: "Edit secret" });
    assert.equal(await edit.getByLabel("Name").inputValue(), "NEW_TAB_KEY");
    assert.equal(await edit.getByLabel("Value", { exact: true }).inputValue(), "");
    await page.keyboard.press("Escape");
    await edit.waitFor({ state: "detached" });
    assert.equal(await page.evaluate("window.marker"), 42, "no reload");
  });

  it("seed 004: masked reveal hides again after 30 s, restricted shows dots, delete asks first, an editor gets no management controls", async () => {
    await api("POST", "/v1/orgs/acme/secrets", {
      name: "MASKED_KEY",
      type: "token",
      value: MASKED,
      visibility: "masked",
    });
    await api("POST", "/v1/orgs/acme/secrets", { name: "RESTRICTED_KEY", type: "token", value: RESTRICTED });
    const clockPage = await browser.context.newPage();
    const clockProblems = watchPage(clockPage);
    await clockPage.clock.install();
    await clockPage.goto(`${server.url}/orgs/acme/secrets/MASKED_KEY`);
    await clockPage.getByRole("button", { name: "Reveal value" }).click();
    await clockPage.getByText(MASKED).waitFor();
    await clockPage.clock.fastForward(31_000);
    await clockPage.getByText(MASKED).waitFor({ state: "detached" });
    await clockPage.getByRole("button", { name: "Reveal value" }).waitFor();
    await assertNoValueInPage(clockPage, [MASKED], "after the reveal timed out");
    await clockPage.close();
    assert.deepEqual(clockProblems, []);

    await open("/orgs/acme/secrets/RESTRICTED_KEY");
    await page.getByRole("img", { name: "Hidden value" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Reveal value" }).count(), 0);

    await open("/orgs/acme/secrets");
    await rowMenu(page, "RESTRICTED_KEY").click();
    await page.getByRole("menuitem", { name: "Delete" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Delete RESTRICTED_KEY?" });
    await confirm.getByText("cannot be undone").waitFor();
    await confirm.getByRole("button", { name: "Delete secret" }).click();
    await page.getByRole("link", { name: "RESTRICTED_KEY" }).waitFor({ state: "detached" });

    // People join by invitation; the editor accepts and chooses their own password.
    await server.addMember({
      token: ownerToken,
      org: "acme",
      email: "ed@example.com",
      role: "editor",
      password: PASSWORD,
    });
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to Cloakroom" }).waitFor();
    await assertAccessible(page, "sign-in");
    await page.getByLabel("Email").fill("ed@example.com");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Secrets" }).waitFor();
    await page.getByRole("link", { name: "MASKED_KEY" }).waitFor();
    assert.equal(await page.getByRole("button", { name: "Add secret" }).count(), 0);
    await rowMenu(page, "MASKED_KEY").click();
    const items = await page.getByRole("menuitem").allTextContents();
    assert.deepEqual(items, ["View details"]);
    await page.keyboard.press("Escape");
    await open("/orgs/acme/secrets/MASKED_KEY");
    await page.getByRole("heading", { name: "MASKED_KEY" }).waitFor();
    for (const control of ["Edit", "Archive", "Delete", "Reveal value"]) {
      assert.equal(await page.getByRole("button", { name: control }).count(), 0, control);
    }
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in to Cloakroom" }).waitFor();
    await page.getByLabel("Email").fill("owner@example.com");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Secrets" }).waitFor();
    await assertNoValueInPage(page, ALL, "end of seed 004");
  });

  it("seed 003: alias naming policy checked live, JSON validated with its position, edit locked", async () => {
    await api("POST", "/v1/orgs", { slug: "aliasco", name: "Alias Co" });
    await page.reload();
    await page.getByLabel("Organization").selectOption("aliasco");
    await page.getByRole("heading", { name: "Secrets" }).waitFor();
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Settings" }).click();
    await page.getByLabel("Naming policy").selectOption("alias");
    await page.getByRole("status").getByText("Saved.").waitFor();
    await assertAccessible(page, "settings");
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Secrets" }).click();
    await page.getByRole("columnheader", { name: /Alias/ }).waitFor();
    await page.getByRole("button", { name: "Add secret" }).click();
    const drawer = page.getByRole("dialog", { name: "Create secret" });
    const alias = drawer.getByLabel("Alias");
    await alias.fill("Not An Alias!");
    await drawer.getByText("Use letters, digits, dashes and underscores.").waitFor();
    await alias.fill("stripe-live");
    await drawer.getByLabel("Secret type").selectOption("json");
    await drawer.locator(".cm-content").click();
    await page.keyboard.type(`{"key": "${ALIAS_JSON}",}`);
    await drawer.getByText(/Line 1, column \d+/).waitFor();
    await drawer.getByRole("button", { name: "Submit" }).click();
    await drawer
      .getByRole("alert")
      .getByText(/not valid/)
      .waitFor();
    await drawer.locator(".cm-content").fill(`{"key": "${ALIAS_JSON}"}`);
    await drawer.getByText("Looks valid.").waitFor();
    await drawer.getByRole("button", { name: "Submit" }).click();
    await page.getByRole("link", { name: "stripe-live" }).waitFor();
    await rowMenu(page, "stripe-live").click();
    await page.getByRole("menuitem", { name: "Edit" }).click();
    const edit = page.getByRole("dialog", { name: "Edit secret" });
    assert.equal(await edit.getByLabel("Alias").inputValue(), "stripe-live");
    assert.equal(await edit.getByLabel("Alias").getAttribute("readonly"), "");
    assert.equal(await edit.getByLabel("Secret type").inputValue(), "JSON");
    await edit.getByText("The current value cannot be shown").waitFor();
    assert.equal((await edit.locator(".cm-content").textContent())?.trim(), "");
    await page.keyboard.press("Escape");
    await assertNoValueInPage(page, ALL, "end of seed 003");
  });

  it("the other screens render without accessibility violations, and no API answer but reveal's held a value", async () => {
    for (const [path, heading] of [
      ["/orgs/acme/projects", "Projects"],
      ["/orgs/acme/projects/web?tab=logic", "Logic"],
      ["/orgs/acme/projects/web?tab=runs", "Run log"],
      ["/orgs/acme/audit", "Audit log"],
      ["/orgs/acme/members", "Members"],
      ["/orgs/acme/tokens", "API tokens"],
    ] as const) {
      await open(path);
      await page.getByRole("heading", { name: heading, exact: true }).waitFor();
      await assertAccessible(page, path);
    }
    await open("/orgs/acme/audit");
    await page.getByText(/Hash chain verified: \d+ entries/).waitFor();
    await open("/orgs/acme/projects/web?tab=runs");
    await page.getByRole("article").first().waitFor();
    await screenshot(page, "run-log");
    await open("/orgs/acme/tokens");
    await page.getByLabel("Token name").fill("deploy");
    await page.getByRole("button", { name: "Create token" }).click();
    await page.getByRole("button", { name: "Copy token" }).waitFor();
    await assertNoValueInAnswers(answers, ALL);
    assert.deepEqual(problems, []);
  });

  it("an owner invites a member from the Members screen; the invitee opens the link, sets a password and lands in the organization as an editor", async () => {
    // A pending invitation can be revoked, behind a confirmation.
    await api("POST", "/v1/orgs/acme/members", { email: "bo@example.com", role: "viewer" });
    await open("/orgs/acme/members");
    const pending = page.getByRole("table", { name: "Pending invitations" });
    await pending.getByRole("cell", { name: "bo@example.com", exact: true }).waitFor();
    await page.getByRole("button", { name: "Revoke invitation for bo@example.com" }).click();
    const confirm = page.getByRole("alertdialog", { name: "Revoke the invitation for bo@example.com?" });
    await confirm.getByRole("button", { name: "Revoke invitation" }).click();
    await page.getByText("No pending invitations.").waitFor();

    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
    await page.getByRole("button", { name: "Invite member" }).click();
    const dialog = page.getByRole("dialog", { name: "Invite member" });
    await dialog.getByLabel("Email").fill("ana@example.com");
    await dialog.getByLabel("Role").selectOption("editor");
    await assertAccessible(page, "invite dialog");
    await screenshot(page, "invite-member");
    await dialog.getByRole("button", { name: "Send invitation" }).click();
    const created = page.getByRole("dialog", { name: "Invitation created" });
    await created.getByText("The link was not mailed: send it to ana@example.com yourself.").waitFor();
    await assertAccessible(page, "invitation created");
    const focused = () =>
      page.evaluate(
        "document.activeElement?.getAttribute('aria-label') ?? document.activeElement?.textContent",
      );
    assert.equal(await focused(), "Copy link", "focus moves into the new dialog");
    await created.getByRole("button", { name: "Done" }).focus();
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "Close", "Tab stays inside the dialog");
    await created.getByRole("button", { name: "Copy link" }).click();
    await created.getByRole("button", { name: "Copied" }).waitFor();
    const link = ((await created.locator("code").textContent()) ?? "").trim();
    assert.ok(link.startsWith(`${server.url}/invite#token=crk_i_`), "an invitation link");
    assert.equal(await page.evaluate("navigator.clipboard.readText()"), link);
    const token = link.slice(link.indexOf("#token=") + "#token=".length);
    await created.getByRole("button", { name: "Done" }).click();
    await created.waitFor({ state: "detached" });
    assert.equal(await focused(), "Invite member", "focus goes back to the opener");
    await pending.getByRole("cell", { name: "ana@example.com", exact: true }).waitFor();
    await assertNoValueInPage(page, [token], "the Members screen after the dialog closed");

    const other = await launchBrowser();
    try {
      const ana = await other.context.newPage();
      ana.setDefaultTimeout(15_000);
      const anaProblems = watchPage(ana);
      await ana.goto(link);
      await ana.getByRole("heading", { name: "Accept your invitation" }).waitFor();
      assert.equal(ana.url(), `${server.url}/invite`, "the fragment is gone from the address");
      await assertNoValueInPage(ana, [token], "the accept page");
      await assertAccessible(ana, "accept invitation");
      await screenshot(ana, "accept-invitation");
      await ana.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await ana.getByLabel("Confirm password").fill(PASSWORD);
      await ana.getByRole("button", { name: "Create account and join" }).click();
      await ana.getByRole("heading", { name: "Secrets" }).waitFor();
      assert.equal(new URL(ana.url()).pathname, "/orgs/acme/secrets");
      await ana.getByRole("link", { name: "MASKED_KEY" }).waitFor();
      assert.match(
        (await ana.getByLabel("Organization").locator("option:checked").textContent()) ?? "",
        /\(editor\)/,
      );
      assert.equal(await ana.getByRole("button", { name: "Add secret" }).count(), 0);
      await assertNoValueInPage(ana, [token, PASSWORD, ...ALL], "the invitee in the organization");
      assert.deepEqual(anaProblems, []);
    } finally {
      await other.close();
    }

    await page.reload();
    await page
      .getByRole("table", { name: "Members" })
      .getByRole("cell", { name: "ana@example.com", exact: true })
      .waitFor();
    await page.getByText("No pending invitations.").waitFor();
    assert.equal(await pending.count(), 0);
    await assertNoValueInPage(page, [token], "the owner's Members screen at the end");
    assert.deepEqual(problems, []);
  });

  it("an existing account signs in from the accept page and accepts with its session; a used link and another person's link are refused in plain words", async () => {
    const invite = async (org: string, email: string, role: string) =>
      (await api("POST", `/v1/orgs/${org}/members`, { email, role })).inviteUrl as string;
    const toEd = await invite("aliasco", "ed@example.com", "viewer");
    const toCy = await invite("aliasco", "cy@example.com", "viewer");
    const other = await launchBrowser();
    try {
      const ed = await other.context.newPage();
      ed.setDefaultTimeout(15_000);
      const edProblems = watchPage(ed);
      await ed.goto(toEd);
      await ed.getByRole("heading", { name: "Accept your invitation" }).waitFor();
      await ed.getByLabel("Password", { exact: true }).fill(PASSWORD);
      await ed.getByLabel("Confirm password").fill(PASSWORD);
      await ed.getByRole("button", { name: "Create account and join" }).click();
      await ed.getByRole("alert").getByText("An account with this email address already exists").waitFor();
      await ed.getByRole("button", { name: "I already have an account" }).click();
      await ed.getByRole("heading", { name: "Sign in to Cloakroom" }).waitFor();
      await ed.getByText("open the invitation link again").waitFor();
      await ed.getByLabel("Email").fill("ed@example.com");
      await ed.getByLabel("Password").fill(PASSWORD);
      await ed.getByRole("button", { name: "Sign in" }).click();
      await ed.getByText("You are signed in as").waitFor();
      await assertAccessible(ed, "accept with a session");
      await ed.getByRole("button", { name: "Accept invitation" }).click();
      await ed.getByRole("heading", { name: "Secrets" }).waitFor();
      assert.equal(new URL(ed.url()).pathname, "/orgs/aliasco/secrets");
      assert.match(
        (await ed.getByLabel("Organization").locator("option:checked").textContent()) ?? "",
        /\(viewer\)/,
      );

      await ed.goto(toEd);
      await ed.getByRole("button", { name: "Accept invitation" }).click();
      await ed.getByRole("alert").getByText("This invitation link no longer works").waitFor();
      await ed.goto(toCy);
      await ed.getByRole("button", { name: "Accept invitation" }).click();
      await ed.getByRole("alert").getByText("sent to a different email address").waitFor();
      const tokens = [toEd, toCy].map((l) => l.slice(l.indexOf("#token=") + "#token=".length));
      await assertNoValueInPage(ed, tokens, "after the refusals");
      assert.deepEqual(edProblems, []);
    } finally {
      await other.close();
    }
  });
});
