/**
 * `cloakroom flows` against a real server and a local HTTP sink: create from a file, list, test (each step
 * and seed 002's warning printed, exit 2 when a step fails), and `logs` showing the steps and warnings.
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type Sink, startSink } from "../runtime/runner/testing/sink.js";
import { testDatabases } from "../store/testing.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { type CliEnv, cliEnv, cliRunners } from "./e2e-helpers.js";

const VALUE = "cli-flow-value-Qw81Zt";

describe("cloakroom flows", () => {
  let server: TestServer;
  let sink: Sink;
  let cli: CliEnv;
  const { spawned, run } = cliRunners(() => cli);
  const both = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

  before(async () => {
    server = await startTestServer(testDatabases()[0]!);
    sink = await startSink();
    const { token } = await server.setup({ org: "acme" });
    cli = cliEnv({
      CLOAKROOM_URL: server.url,
      CLOAKROOM_TOKEN: token,
      CLOAKROOM_ORG: "acme",
      CLOAKROOM_PROJECT: "app",
    });
    assert.equal((await run(["projects", "create", "app"])).code, 0);
    assert.equal((await run(["secrets", "create", "API_KEY"], `${VALUE}\n`)).code, 0);
  });
  after(async () => {
    await server?.close();
    await sink?.close();
    if (cli) rmSync(cli.home, { recursive: true, force: true });
  });

  test("create from a file, list, test with steps and warnings, logs, and exit 2 on a failing step", async () => {
    // The target echoes the Authorization header: the step carries the secret back.
    sink.respond((r) => ({ status: r.url === "/fail" ? 500 : 200, body: String(r.headers.authorization) }));
    const file = join(cli.home, "flow.json");
    const flow = (url: string) => ({
      name: "echo",
      event: "echo.",
      secrets: ["API_KEY"],
      steps: [
        {
          id: "call",
          type: "http",
          request: { url, headers: { Authorization: { expr: "secrets.API_KEY" } } },
        },
        {
          id: "shape",
          type: "logic",
          code: "export default ({ steps }) => ({ status: steps.call.output.status })",
        },
      ],
    });
    writeFileSync(file, JSON.stringify(flow(`${sink.url}/echo`)));
    const created = await run(["flows", "create", "--file", file]);
    assert.equal(created.code, 0, both(created));
    assert.match(created.stdout, /created flow echo/);

    const listed = await run(["flows", "list"]);
    assert.match(listed.stdout, /call \(http POST\) > shape \(logic\)/);

    const tested = await spawned(["flows", "test", "echo"]);
    assert.equal(tested.code, 0, both(tested));
    assert.match(tested.stdout, /success\s+flow\/echo/);
    assert.match(tested.stdout, /step call \(http\) success \d+ ms {2}\[carried a secret\]/);
    assert.match(tested.stdout, /step shape \(logic\) success/);
    assert.match(tested.stdout, /warning: step call carried a secret value/);
    assert.match(tested.stdout, /output: \{"status":200\}/);
    assert.ok(!both(tested).includes(VALUE), "the CLI printed a value");

    const logs = await spawned(["logs", "--consumer", "echo"]);
    assert.equal(logs.code, 0, both(logs));
    assert.match(logs.stdout, /step call \(http\) success/);
    assert.match(logs.stdout, /warning: step call/);

    writeFileSync(file, JSON.stringify(flow(`${sink.url}/fail`)));
    assert.equal((await run(["flows", "update", "echo", "--file", file])).code, 0);
    const failed = await spawned(["flows", "test", "echo"]);
    assert.equal(failed.code, 2, both(failed));
    assert.match(failed.stdout, /step call \(http\) failure/);
    assert.ok(!/step shape/.test(failed.stdout), "a step after the failing one ran");
    assert.match(failed.stderr, /^error: the run failed: http_status/m);
  });
});
