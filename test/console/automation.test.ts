/**
 * The console's flow editor, app catalog and template editor in Chromium against a real `cloakroom serve`
 * and local HTTP sinks: each journey builds through the screens (expression completion, secret pickers, the
 * Macro Manager), runs for real, and ends with a search for values in the page and every API answer.
 */
import assert from "node:assert/strict";
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

const FLOW_VALUE = "flow-value-5e6f7a8b9c";
const BEARER_VALUE = "bearer-value-0d1e2f3a4b";
const ALIAS_VALUE = "weather-value-6c7d8e9f";
const SMTP_PASSWORD = "smtp-password-1b2c3d4e";
const BASIC_PASSWORD = "basic-password-7a8b9c0d";
const ALL = [FLOW_VALUE, BEARER_VALUE, ALIAS_VALUE, SMTP_PASSWORD, BASIC_PASSWORD];

const skip = chromiumAvailable() ? false : "no Chromium at /usr/bin/chromium";

describe("the console's flows, apps and templates in Chromium", { skip, timeout: 300_000 }, () => {
  let server: TestServer;
  // Answers with the authorization it received: a secret's value comes back in step 1's response.
  let sink: Awaited<ReturnType<typeof startSink>>;
  let browser: TestBrowser;
  let answers: ReturnType<typeof recordApiAnswers>;
  let page: Page;
  let problems: string[];
  let token: string;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await server.request(method, path, { token, ...(body === undefined ? {} : { body }) });
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${res.text}`);
    return res.body;
  };

  before(async () => {
    server = await startTestServer(testDatabases()[0]!);
    sink = await startSink((req) => ({ received: true, echo: req.headers.authorization ?? null }));
    ({ token } = await server.setup());
    await api("POST", "/v1/orgs/acme/projects", { slug: "ops", name: "Ops" });
    await api("POST", "/v1/orgs/acme/secrets", { name: "FLOW_KEY", type: "token", value: FLOW_VALUE });
    await api("POST", "/v1/orgs/acme/secrets", { name: "BEARER_KEY", type: "token", value: BEARER_VALUE });
    browser = await launchBrowser();
    answers = recordApiAnswers(browser.context);
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    problems = watchPage(page);
    await page.goto(`${server.url}/`);
    await page.getByLabel("Email").fill("owner@example.com");
    await page.getByLabel("Password").fill("correct horse battery staple");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { name: "Secrets" }).waitFor();
  });
  after(async () => {
    await browser?.close();
    await sink?.close();
    await server?.close();
  });

  /** Invokes the request action of an installation from its form; answers the form and what the sink got. */
  const invokeRequest = async (installation: string, method: string, path: string) => {
    const invoke = page.getByRole("form", { name: `Invoke an action of ${installation}` });
    await invoke.getByLabel(/method/i).fill(method);
    await invoke.getByLabel(/path/i).fill(path);
    await invoke.getByRole("button", { name: "Invoke action" }).click();
    await invoke.getByRole("article").waitFor();
    return { invoke, hit: sink.requests.find((r) => r.url.endsWith(path)) };
  };
  /** Types into the CodeMirror expression editor labelled `label`, after what it holds. */
  const typeExpression = async (label: string, text: string) => {
    await page.getByRole("textbox", { name: label, exact: true }).click();
    await page.keyboard.press("End");
    await page.keyboard.type(text);
  };
  /** Waits for the completion list to offer `option`, then takes it with Enter. */
  const complete = async (option: string) => {
    await page.getByRole("option", { name: new RegExp(`^${option.replace(/\./g, "\\.")}`) }).waitFor();
    // CodeMirror ignores Enter for 75 ms after the list opens, so that a fast typist does not pick by accident.
    await page.waitForTimeout(150);
    await page.keyboard.press("Enter");
  };

  it("seed 002: a two-step flow built with the picker and completion, tested against a local sink: each step's log redacted and the secret_in_output warning shown", async () => {
    await page.goto(`${server.url}/orgs/acme/projects/ops?tab=flows`);
    await page.getByRole("heading", { name: "Flows" }).waitFor();
    await page.getByRole("button", { name: "New flow" }).click();
    await page.getByLabel("Flow name").fill("relay");

    // Step 1: a request whose authorization header is an expression; the picker inserts secrets.FLOW_KEY.
    await page.getByLabel("Step 1 id").fill("call");
    await page.getByLabel("Step 1 URL", { exact: true }).fill(`${sink.url}/first`);
    await page.getByRole("button", { name: "Add header" }).click();
    await page.getByLabel("Step 1 header name 1").fill("authorization");
    await page.getByLabel("Expression for Step 1 header value 1").check();
    await typeExpression("Step 1 header value 1", "`Bearer ${");
    await page.getByRole("combobox", { name: "Secret" }).fill("FLOW");
    await page.getByRole("option", { name: "FLOW_KEY" }).click();
    await page.getByRole("list", { name: "Secrets this flow uses" }).getByText("FLOW_KEY").waitFor();
    await page.keyboard.type("}`");
    const header = page.getByRole("textbox", { name: "Step 1 header value 1", exact: true });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the expression's own template literal
    assert.equal(await header.textContent(), "`Bearer ${secrets.FLOW_KEY}`");

    // Step 2: its body completes steps. with the earlier step's id and secrets. with the declared name.
    await page.getByRole("button", { name: "Add step" }).click();
    await page.getByLabel("Step 2 id").fill("notify");
    await page.getByLabel("Step 2 URL", { exact: true }).fill(`${sink.url}/second`);
    await page.getByLabel("Expression for Step 2 body").check();
    const body = page.getByRole("textbox", { name: "Step 2 body", exact: true });
    await body.click();
    await page.keyboard.press("Control+a");
    await page.keyboard.press("Delete");
    await page.keyboard.type("({ status: steps.");
    await complete("steps.call");
    await page.keyboard.type(".status, key: secrets.");
    await complete("secrets.FLOW_KEY");
    await page.keyboard.type(" })");
    assert.equal(await body.textContent(), "({ status: steps.call.output.status, key: secrets.FLOW_KEY })");
    // Step 1's completion knows no later step.
    await typeExpression("Step 1 header value 1", " + steps.");
    await page.getByRole("option", { name: /steps\.notify/ }).waitFor({ state: "detached" });
    await page.keyboard.press("Escape");
    for (let i = 0; i < " + steps.".length; i++) await page.keyboard.press("Backspace");

    // Order: move step 2 up and back down.
    await page.getByRole("button", { name: "Move step 2 up" }).click();
    assert.equal(await page.getByLabel("Step 1 id").inputValue(), "notify");
    await page.getByRole("button", { name: "Move step 1 down" }).click();
    assert.equal(await page.getByLabel("Step 1 id").inputValue(), "call");
    await assertAccessible(page, "flow editor");
    await assertNoValueInPage(page, ALL, "the flow editor");
    await screenshot(page, "flow-editor");

    await page.getByRole("button", { name: "Test" }).click();
    const run = page.getByRole("article", { name: "Run of relay" });
    await run.waitFor();
    assert.equal(
      sink.requests.find((r) => r.url === "/first")?.headers.authorization,
      `Bearer ${FLOW_VALUE}`,
    );
    const second = JSON.parse(sink.requests.find((r) => r.url === "/second")?.body ?? "{}");
    assert.deepEqual(second, { status: 200, key: FLOW_VALUE });
    await run
      .getByRole("list", { name: "Warnings" })
      .getByText(/secret_in_output: step call/)
      .waitFor();
    const steps = run.getByRole("list", { name: "Steps of relay" });
    await steps.getByText("Step call (http)").waitFor();
    await steps.getByText("Step notify (http)").waitFor();
    assert.match((await run.textContent()) ?? "", /\[\[SENSITIVE\]\]/);
    await run.scrollIntoViewIfNeeded();
    await screenshot(page, "flow-test");
    await assertAccessible(page, "flow test result");
    await assertNoValueInPage(page, ALL, "the flow's test run");

    // The run log lists the flow's steps too.
    await page.goto(`${server.url}/orgs/acme/projects/ops?tab=runs`);
    await page.getByRole("list", { name: "Steps of relay" }).first().waitFor();
    await assertNoValueInPage(page, ALL, "the run log");
    assert.deepEqual(problems, []);
  });

  it("the logic editor: the picker declares a secret and inserts secrets.NAME at the cursor, Save lists the function, Run shows its run", async () => {
    await page.goto(`${server.url}/orgs/acme/projects/ops?tab=logic`);
    await page.getByRole("heading", { name: "Logic" }).waitFor();
    await page.getByRole("button", { name: "New logic function" }).click();
    await page.getByLabel("Function name").fill("echo");
    // The cursor goes to a new first line of the function's body.
    await page.getByRole("textbox", { name: "Code", exact: true }).click();
    await page.keyboard.press("Control+Home");
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.getByRole("combobox", { name: "Secret" }).fill("FLOW");
    await page.getByRole("option", { name: "FLOW_KEY" }).click();
    await page.getByRole("list", { name: "Secrets this function uses" }).getByText("FLOW_KEY").waitFor();
    assert.match(
      (await page.getByRole("textbox", { name: "Code", exact: true }).textContent()) ?? "",
      /\{\s*secrets\.FLOW_KEY\s*console\.log/,
    );
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.getByRole("status").getByText("Saved.").waitFor();
    await page.getByRole("list").getByRole("button", { name: "echo" }).waitFor();
    await page.getByRole("button", { name: "Run", exact: true }).click();
    const run = page.getByRole("article", { name: "Run of echo" });
    await run.waitFor();
    assert.match((await run.textContent()) ?? "", /success/);
    await assertAccessible(page, "logic editor");
    await assertNoValueInPage(page, ALL, "the logic editor after a run");
  });

  it("seed 000/002: the app catalog's install form takes the secret from the picker, and invoking an action reaches the sink with it", async () => {
    await page.goto(`${server.url}/orgs/acme/projects/ops?tab=apps`);
    await page.getByRole("heading", { name: "Apps" }).waitFor();
    await page.getByRole("button", { name: /^Install .*bearer/i }).click();
    const form = page.getByRole("form", { name: /^Install / });
    await form.getByLabel("Installation name").fill("api");
    await form.getByLabel(/^Base URL$|^base_url$/i).fill(sink.url);
    // The app's own Base URL field is its endpoint: no second "override" field beside it.
    assert.equal(await form.getByLabel("Base URL override").count(), 0);
    await form.getByRole("combobox", { name: /\(secret\)/ }).fill("BEARER");
    await page.getByRole("option", { name: "BEARER_KEY" }).click();
    await form.getByText("secrets.BEARER_KEY").waitFor();
    const timeout = form.getByLabel("Timeout (ms)");
    assert.equal(await timeout.inputValue(), "10000");
    // Above the API's 30 s the browser keeps the form: nothing is sent.
    await timeout.fill("30001");
    await form.getByRole("button", { name: "Install" }).click();
    const valid = (el: unknown) => (el as { validity: { valid: boolean } }).validity.valid;
    assert.equal(await timeout.evaluate(valid), false);
    await timeout.fill("2500");
    await assertAccessible(page, "install form");
    await screenshot(page, "app-install");
    await form.getByRole("button", { name: "Install" }).click();
    await page.getByRole("cell", { name: "api", exact: true }).waitFor();
    const saved = (await api("GET", "/v1/orgs/acme/projects/ops/installations/api")) as { timeoutMs: number };
    assert.equal(saved.timeoutMs, 2500);

    const { invoke, hit } = await invokeRequest("api", "POST", "/bearer");
    assert.equal(hit?.headers.authorization, `Bearer ${BEARER_VALUE}`);
    assert.match((await invoke.getByRole("article").textContent()) ?? "", /\[\[SENSITIVE\]\]/);
    await assertAccessible(page, "installations");
    await assertNoValueInPage(page, ALL, "the apps screen");
    assert.deepEqual(problems, []);
  });

  it("0255: a secret field's picker offers the parts of a username-and-password secret, and the action sends that part", async () => {
    await api("POST", "/v1/orgs/acme/secrets", {
      name: "BASIC_CREDS",
      type: "username_password",
      value: { username: "svc", password: BASIC_PASSWORD },
    });
    await page.goto(`${server.url}/orgs/acme/projects/ops?tab=apps`);
    await page.getByRole("button", { name: /^Install .*basic/i }).click();
    const form = page.getByRole("form", { name: /^Install / });
    await form.getByLabel("Installation name").fill("basic");
    await form.getByLabel(/^Base URL$|^base_url$/i).fill(sink.url);
    await form.getByLabel("User name").fill("svc");
    await form.getByRole("combobox", { name: /\(secret\)/ }).fill("BASIC");
    await page.getByRole("option", { name: "BASIC_CREDS.username" }).waitFor();
    await page.getByRole("option", { name: "BASIC_CREDS.password" }).click();
    await form.getByText("secrets.BASIC_CREDS.password").waitFor();
    await form.getByRole("button", { name: "Install" }).click();
    await page.getByRole("cell", { name: "basic", exact: true }).waitFor();

    const { hit } = await invokeRequest("basic", "GET", "/basic");
    const expected = `Basic ${Buffer.from(`svc:${BASIC_PASSWORD}`).toString("base64")}`;
    assert.equal(hit?.headers.authorization, expected);
    await assertAccessible(page, "installations with basic auth");
    await assertNoValueInPage(page, ALL, "the apps screen after a basic-auth action");
    assert.deepEqual(problems, []);
  });

  it("seed 003: the Macro Manager inserts {{secrets.weather_fx}} at the cursor, the preview shows [[SENSITIVE]], and Send test reaches the sink with the value", async () => {
    await api("POST", "/v1/orgs", { slug: "weather", name: "Weather" });
    await api("PATCH", "/v1/orgs/weather/settings", { namingPolicy: "alias" });
    await api("POST", "/v1/orgs/weather/projects", { slug: "alerts", name: "Alerts" });
    await api("POST", "/v1/orgs/weather/secrets", { name: "weather_fx", type: "token", value: ALIAS_VALUE });
    await api("POST", "/v1/orgs/weather/secrets", {
      name: "smtp_login",
      type: "username_password",
      value: { username: "mailer", password: SMTP_PASSWORD },
    });
    await page.goto(`${server.url}/orgs/weather/projects/alerts?tab=templates`);
    await page.getByRole("heading", { name: "Templates" }).waitFor();
    await page.getByRole("button", { name: "New template" }).click();
    await page.getByLabel("Template name").fill("forecast");
    await page.getByLabel("Subject").fill("Forecast for {{event.name}}");
    await page.getByLabel("Webhook URL").fill(`${sink.url}/template`);
    await assertAccessible(page, "template editor");
    const manager = page.getByRole("complementary", { name: "Macro Manager" });
    const headings = await manager.getByRole("heading", { level: 4 }).allTextContents();
    assert.equal(headings[0], "Secrets", "Secrets come first");
    const bodyField = page.getByLabel("Body");
    await bodyField.fill("Key:  (keep it safe)");
    // The cursor goes after "Key: ", as a person would put it there.
    await page.keyboard.press("Control+Home");
    for (let i = 0; i < "Key: ".length; i++) await page.keyboard.press("ArrowRight");
    await manager.getByRole("button", { name: "Insert {{secrets.weather_fx}}" }).click();
    assert.equal(await bodyField.inputValue(), "Key: {{secrets.weather_fx}} (keep it safe)");
    await page.getByRole("list", { name: "Secrets this template uses" }).getByText("weather_fx").waitFor();
    // Live: the preview follows the text as typed, before anything is saved, and never shows the value.
    const preview = page.getByRole("region", { name: "Preview" });
    await preview.getByText("Key: [[SENSITIVE]] (keep it safe)").waitFor();
    // The template listens to every event: the preview names a sample one.
    await preview.getByText("Forecast for example.event").waitFor();
    await bodyField.press("End");
    await bodyField.type("!");
    await preview.getByText("Key: [[SENSITIVE]] (keep it safe)!").waitFor();
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await preview.scrollIntoViewIfNeeded();
    await screenshot(page, "template-editor");
    await assertAccessible(page, "template preview");

    await page.getByRole("button", { name: "Send test" }).click();
    await page.getByRole("article", { name: "Run of forecast" }).waitFor();
    const sent = JSON.parse(sink.requests.find((r) => r.url === "/template")?.body ?? "{}");
    assert.equal(sent.body, `Key: ${ALIAS_VALUE} (keep it safe)!`);
    await assertNoValueInPage(page, ALL, "the template editor after a test send");

    // The email channel takes its SMTP credentials from a picked secret, as macros, never typed in.
    await page.getByLabel("Channel type").selectOption("email");
    await page.getByRole("combobox", { name: "SMTP credentials secret" }).fill("smtp");
    await page.getByRole("option", { name: "smtp_login" }).click();
    assert.equal(await page.getByLabel("SMTP password").inputValue(), "{{secrets.smtp_login.password}}");
    await assertAccessible(page, "email channel");
    await assertNoValueInAnswers(answers, ALL);
    assert.deepEqual(problems, []);
  });
});
