/**
 * The CLI's exit codes and guards, through the real command against a real server: a failed run exits 2
 * as `--help` says; `logs --consumer` takes names; `logs --follow --limit 1` drops nothing a poll catches
 * up on; `secrets delete` and an `archive` that breaks consumers ask first (or need --yes).
 */
import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { testDatabases } from "../store/testing.js";
import { startTestServer, type TestServer } from "../testing/server.js";
import { type CliEnv, cliEnv, cliRunners, runOnTerminal, startCloakroom } from "./e2e-helpers.js";

const VALUE = "cli-safety-value-8Rk2Lq";

describe("CLI exit codes and confirmations", () => {
  let server: TestServer;
  let cli: CliEnv;
  const { spawned, run } = cliRunners(() => cli);
  const both = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;
  const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

  before(async () => {
    server = await startTestServer(testDatabases()[0]!);
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
    if (cli) rmSync(cli.home, { recursive: true, force: true });
  });

  const logic = async (name: string, event: string, body: string, secrets: string[] = []) => {
    const file = join(cli.home, `${name}.js`);
    writeFileSync(file, `export default function process({ event, secrets }) { ${body} }\n`);
    const args = ["logic", "create", "--name", name, "--event", event, "--code-file", file, "--json"];
    for (const s of secrets) args.push("--secret", s);
    const r = await run(args);
    assert.equal(r.code, 0, both(r));
    return JSON.parse(r.stdout) as { id: string };
  };

  test("logic run and integrations test exit 2 when the run fails, 0 when it succeeds", async () => {
    await logic("thrower", "fail.", `throw new Error("no luck");`);
    const failed = await spawned(["logic", "run", "thrower"]);
    assert.equal(failed.code, 2, both(failed));
    assert.match(failed.stdout, /failure\s+logic\/thrower/);
    assert.match(failed.stderr, /^error: the run failed: runtime_error/m);
    const asJson = await spawned(["logic", "run", "thrower", "--json"]);
    assert.equal(asJson.code, 2);
    assert.equal(JSON.parse(asJson.stdout).status, "failure");

    await logic("fine", "ok.", "return 1;");
    assert.equal((await spawned(["logic", "run", "fine"])).code, 0);

    const definition = join(cli.home, "deadend.json");
    writeFileSync(
      definition,
      JSON.stringify({
        name: "deadend",
        event: "hook.",
        request: { method: "POST", url: "http://127.0.0.1:9/nothing-listens", headers: {}, body: null },
      }),
    );
    const hook = await run(["integrations", "create", "--file", definition]);
    assert.equal(hook.code, 0, both(hook));
    const tested = await spawned(["integrations", "test", "deadend"]);
    assert.equal(tested.code, 2, both(tested));
    assert.match(tested.stdout, /failure\s+integration\/deadend/);
  });

  test("logs --consumer takes a consumer's name, like the other commands", async () => {
    await logic("named", "named.", "return 2;");
    assert.equal((await run(["logic", "run", "named"])).code, 0);
    const r = await spawned(["logs", "--consumer", "named", "--json"]);
    assert.equal(r.code, 0, both(r));
    const entries = JSON.parse(r.stdout).entries as { consumer: { name: string } }[];
    assert.ok(entries.length >= 1);
    assert.ok(
      entries.every((e) => e.consumer.name === "named"),
      r.stdout,
    );
    const missing = await spawned(["logs", "--consumer", "nobody"]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no integration, logic function or flow nobody/);
  });

  test("logs --follow --limit 1 prints every run a poll catches up on", async () => {
    await logic("burst", "burst.", "return event.data;");
    const follow = startCloakroom(
      ["logs", "--consumer", "burst", "--follow", "--limit", "1", "--interval", "2", "--json"],
      { env: cli.env },
    );
    try {
      await wait(1500);
      for (let n = 0; n < 6; n++)
        assert.equal((await run(["events", "publish", `burst.${n}`, "--data", `{"n":${n}}`])).code, 0);
      const names = () =>
        new Set(
          follow
            .output()
            .split("\n")
            .flatMap((l) => /"name":"(burst\.\d)"/.exec(l)?.[1] ?? []),
        );
      for (let i = 0; i < 150 && names().size < 6; i++) await wait(100);
      assert.equal(names().size, 6, follow.output());
    } finally {
      follow.kill("SIGINT");
    }
    assert.equal(await follow.exited, 0, follow.output());
  });

  test("secrets delete needs --yes without a terminal, and asks on one", async () => {
    assert.equal((await run(["secrets", "create", "DOOMED"], "doomed-value-1\n")).code, 0);
    const refused = await spawned(["secrets", "delete", "DOOMED"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /deleting DOOMED needs confirmation: pass --yes/);
    assert.equal((await run(["secrets", "get", "DOOMED"])).code, 0, "still there");

    const declined = await runOnTerminal(["secrets", "delete", "DOOMED"], {
      env: cli.env,
      answers: [{ prompt: "[y/N]", type: "n\r" }],
    });
    if (declined) {
      assert.notEqual(declined.code, 0, both(declined));
      assert.match(both(declined), /delete DOOMED from acme and destroy every version/);
      assert.equal((await run(["secrets", "get", "DOOMED"])).code, 0, "kept after no");
      const accepted = await runOnTerminal(["secrets", "delete", "DOOMED"], {
        env: cli.env,
        answers: [{ prompt: "[y/N]", type: "y\r" }],
      });
      assert.equal(accepted?.code, 0, accepted && both(accepted));
      assert.equal((await run(["secrets", "get", "DOOMED"])).code, 2, "gone after yes");
    } else {
      assert.equal((await spawned(["secrets", "delete", "DOOMED", "--yes"])).code, 0);
    }
    assert.equal((await run(["secrets", "create", "GONE"], "gone-value-2\n")).code, 0);
    const yes = await spawned(["secrets", "delete", "GONE", "--yes"]);
    assert.equal(yes.code, 0, both(yes));
    assert.match(yes.stdout, /deleted GONE/);
  });

  test("archive names the consumers that will stop working and asks before archiving", async () => {
    await logic("user", "use.", "return secrets.API_KEY.length;", ["API_KEY"]);
    const refused = await spawned(["secrets", "archive", "API_KEY"]);
    assert.equal(refused.code, 1, both(refused));
    assert.match(refused.stderr, /warning: archiving API_KEY stops logic\/user/);
    assert.match(refused.stderr, /needs confirmation: pass --yes/);
    assert.ok(!(await run(["secrets", "list", "--archived"])).stdout.includes("API_KEY"), "not archived");

    const onTerminal = await runOnTerminal(["secrets", "archive", "API_KEY"], {
      env: cli.env,
      answers: [{ prompt: "[y/N]", type: "n\r" }],
    });
    if (onTerminal) {
      assert.match(both(onTerminal), /stops logic\/user/);
      assert.match(both(onTerminal), /archive API_KEY in acme\? \[y\/N\]/);
      assert.ok(!(await run(["secrets", "list", "--archived"])).stdout.includes("API_KEY"), "no means no");
    }
    const yes = await spawned(["secrets", "archive", "API_KEY", "--yes"]);
    assert.equal(yes.code, 0, both(yes));
    assert.match(yes.stderr, /stops logic\/user/);
    assert.match((await run(["secrets", "list", "--archived"])).stdout, /^API_KEY\s/m);
    assert.ok(!both(yes).includes(VALUE));
  });
});
