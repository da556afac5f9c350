/**
 * End-to-end: `cloakroom apps` and `cloakroom installations` against a real server and a real HTTP sink
 * (SPEC X8, I3): an installation created from a file, listed, its action invoked with the redacted run log
 * printed, and no value in any output.
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type CliEnv, cliEnv, cliRunners } from "../testing/cli.js";
import { testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { type Sink, startSink } from "../testing/sink.js";

const OWNER = { email: "owner@example.com", password: "correct horse battery staple" };
const BOT_TOKEN = "xoxb-cli-bot-token-5Tg8Wq";

for (const database of testDatabases()) {
  describe(`cloakroom installations against a real server (${database.name})`, () => {
    let server: TestServer;
    let sink: Sink;
    let cli: CliEnv;
    const { spawned, run } = cliRunners(() => cli);
    const everything = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

    before(async () => {
      server = await startTestServer(database);
      sink = await startSink();
      await server.setup({ org: "acme", ...OWNER });
      cli = cliEnv({ CLOAKROOM_PROJECT: "app" });
      const login = await spawned(
        ["login", "--url", server.url, "--email", OWNER.email],
        `${OWNER.password}\n`,
      );
      assert.equal(login.code, 0, everything(login));
      assert.equal((await run(["projects", "create", "app"])).code, 0);
      assert.equal((await run(["secrets", "create", "SLACK_BOT_TOKEN"], `${BOT_TOKEN}\n`)).code, 0);
    });
    after(async () => {
      await server?.close();
      await sink?.close();
      if (cli) rmSync(cli.home, { recursive: true, force: true });
    });

    test("apps list shows the catalog with secret fields marked", async () => {
      const r = await run(["apps", "list"]);
      assert.equal(r.code, 0, everything(r));
      assert.match(r.stdout, /slack\s+bot_token \(secret\), signing_secret \(secret\)\s+post_message/);
    });

    test("an installation from a file is listed, and invoking its action prints the redacted run log", async () => {
      const file = join(cli.home, "slack.json");
      writeFileSync(
        file,
        JSON.stringify({
          name: "demo_slack",
          app: "slack",
          baseUrl: sink.url,
          secrets: ["SLACK_BOT_TOKEN"],
          config: { bot_token: { expr: "secrets.SLACK_BOT_TOKEN" } },
          timeoutMs: 2500,
        }),
      );
      const created = await run(["installations", "create", "--file", file]);
      assert.equal(created.code, 0, everything(created));
      assert.match(created.stdout, /created installation demo_slack \(slack\)/);
      assert.match(
        (await run(["installations", "list"])).stdout,
        /demo_slack\s+slack\s+http:\/\/127\.0\.0\.1/,
      );
      const shown = (await run(["installations", "get", "demo_slack"])).stdout;
      assert.match(shown, /config\.bot_token\s+\{expr: secrets\.SLACK_BOT_TOKEN\}/);
      assert.match(shown, /^timeout\s+2500 ms$/m);
      assert.match(shown, /^used by\s+-$/m);

      sink.respond(() => ({
        status: 200,
        headers: { "content-type": "application/json" },
        body: '{"ok":true}',
      }));
      const invoked = await run([
        "installations",
        "invoke",
        "demo_slack",
        "post_message",
        "--input",
        "channel=#general",
        "--input",
        "text=shipped = done",
      ]);
      assert.equal(invoked.code, 0, everything(invoked));
      assert.match(invoked.stdout, /success\s+installation\/demo_slack\s+post_message/);
      assert.match(invoked.stdout, /request: POST http:\/\/127\.0\.0\.1:\d+\/api\/chat\.postMessage/);
      assert.equal(sink.requests[0]?.headers.authorization, `Bearer ${BOT_TOKEN}`);
      assert.deepEqual(JSON.parse(sink.requests[0]?.body ?? ""), {
        channel: "#general",
        text: "shipped = done",
      });
      const json = await run([
        "installations",
        "invoke",
        "demo_slack",
        "post_message",
        "--input",
        "channel=c",
        "--input",
        "text=t",
        "--json",
      ]);
      assert.equal(JSON.parse(json.stdout).request.headers.Authorization, "Bearer [[SENSITIVE]]");

      sink.respond(() => ({ status: 500, body: "down" }));
      const failed = await run([
        "installations",
        "invoke",
        "demo_slack",
        "post_message",
        "--input",
        "channel=c",
        "--input",
        "text=t",
      ]);
      assert.equal(failed.code, 2, everything(failed));
      assert.match(failed.stderr, /the action failed: http_status/);

      const literal = join(cli.home, "literal.json");
      writeFileSync(literal, JSON.stringify({ name: "bad", app: "slack", config: { bot_token: BOT_TOKEN } }));
      const refused = await run(["installations", "create", "--file", literal]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /a secret field takes secrets\.NAME/);
      for (const r of [created, invoked, json, failed, refused])
        assert.ok(!everything(r).includes(BOT_TOKEN));

      const flowFile = join(cli.home, "flow.json");
      const step = { id: "post", type: "app", installation: "demo_slack", action: "post_message", input: {} };
      writeFileSync(flowFile, JSON.stringify({ name: "announce", steps: [step] }));
      const flow = await run(["flows", "create", "--file", flowFile, "--json"]);
      assert.equal(flow.code, 0, everything(flow));
      const inUse = await run(["installations", "delete", "demo_slack"]);
      assert.notEqual(inUse.code, 0, everything(inUse));
      assert.match(inUse.stderr, /is used by 1 flow\(s\) \(announce\)/);
      assert.match(inUse.stderr, /used by: flow\/announce/);
      assert.match((await run(["installations", "get", "demo_slack"])).stdout, /^used by\s+flow\/announce$/m);
      assert.equal((await run(["flows", "delete", JSON.parse(flow.stdout).id])).code, 0);

      assert.equal((await run(["installations", "delete", "demo_slack"])).code, 0);
      assert.match((await run(["installations", "list"])).stderr, /no installations in acme\/app/);
    });
  });
}
