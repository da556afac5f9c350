/** `cloakroom templates`: create from a file, list, preview, test, macros, against a real server and sink. */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Sink, startSink } from "../runtime/runner/testing/sink.js";
import { testDatabases } from "../store/testing.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { type CliEnv, cliEnv, cliRunners } from "./e2e-helpers.js";

const VALUE = "s3cr3t-cli-template-0001";
const database = testDatabases()[0]!; // the CLI speaks HTTP; the databases are covered by the API tests

describe("CLI templates", () => {
  let server: TestServer;
  let sink: Sink;
  let cli: CliEnv;
  const { run } = cliRunners(() => cli);

  before(async () => {
    server = await startTestServer(database);
    sink = await startSink();
    const { token } = await server.setup({ org: "acme" });
    cli = cliEnv({ CLOAKROOM_URL: server.url, CLOAKROOM_TOKEN: token, CLOAKROOM_PROJECT: "app" });
    assert.equal((await run(["projects", "create", "app"])).code, 0);
    assert.equal((await run(["secrets", "create", "API_KEY"], `${VALUE}\n`)).code, 0);
  });
  after(async () => {
    await server?.close();
    await sink?.close();
    if (cli) rmSync(cli.home, { recursive: true, force: true });
  });

  it("creates a template from a file, lists it, previews it with [[SENSITIVE]] and sends a test", async () => {
    const file = join(cli.home, "template.json");
    writeFileSync(
      file,
      JSON.stringify({
        name: "notify",
        event: "order.",
        secrets: ["API_KEY"],
        subject: "Order {{event.data.id}}",
        body: "key {{secrets.API_KEY}}",
        channel: { type: "webhook", url: `${sink.url}/cli`, headers: {} },
      }),
    );
    const created = await run(["templates", "create", "--file", file]);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /created template notify/);
    const list = await run(["templates", "list"]);
    assert.match(list.stdout, /notify\s+order\.\s+yes\s+webhook POST http/);

    const preview = await run(["templates", "preview", "notify", "--data", '{"id": 7}']);
    assert.equal(preview.code, 0, preview.stderr);
    assert.equal(preview.stdout, "Subject: Order 7\n\nkey [[SENSITIVE]]\n");

    const tested = await run([
      "templates",
      "test",
      "notify",
      "--event",
      "order.created",
      "--data",
      '{"id": 8}',
    ]);
    assert.equal(tested.code, 0, tested.stderr);
    assert.match(tested.stdout, /success\s+template\/notify\s+order\.created/);
    assert.deepEqual(JSON.parse(sink.requests[0]!.body), { subject: "Order 8", body: `key ${VALUE}` });

    const macros = await run(["templates", "macros"]);
    assert.match(macros.stdout, /Secrets\s+API_KEY\s+\{\{secrets\.API_KEY\}\}/);
    for (const text of [created, list, preview, tested, macros]) assert.ok(!text.stdout.includes(VALUE));
  });
});
