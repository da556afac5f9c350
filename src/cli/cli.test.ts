/**
 * End-to-end: the real `cloakroom` command, spawned as a child process, against a real server over each
 * test database. The promises protected: values go in only through stdin, a prompt or a file; no output or
 * error ever contains one (except `reveal`); the session file is private; exit codes mean what --help says.
 */
import assert from "node:assert/strict";
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  type CliEnv,
  cliEnv,
  cliRunners,
  runCloakroom,
  runInProcess,
  runOnTerminal,
  startCloakroom,
} from "../testing/cli.js";
import { testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";

/** A port nothing listens on (one just released by the kernel). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const OWNER = { email: "owner@example.com", password: "correct horse battery staple" };
const TOKEN_VALUE = "tok-from-stdin-7Hq2ZpX9";
const NEXT_VALUE = "tok-rotated-Lm4Vb8Qs1";
const DB_USER = "svc_reporting";
const DB_PASSWORD = "pw-from-file-Xr5Tn0Kd";

for (const database of testDatabases()) {
  describe(`the cloakroom CLI against a real server (${database.name})`, () => {
    let server: TestServer;
    let cli: CliEnv;
    const { spawned, run } = cliRunners(() => cli);
    const everything = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

    before(async () => {
      server = await startTestServer(database);
      await server.setup({ org: "acme", ...OWNER });
      cli = cliEnv();
    });
    after(async () => {
      await server?.close();
      if (cli) rmSync(cli.home, { recursive: true, force: true });
    });

    test("login saves the URL and a token in a config file only its owner can read", async () => {
      const r = await spawned(["login", "--url", server.url, "--email", OWNER.email], `${OWNER.password}\n`);
      assert.equal(r.code, 0, everything(r));
      assert.match(r.stdout, /signed in to .* as owner@example\.com \(organization acme\)/);
      assert.ok(!everything(r).includes(OWNER.password));
      assert.equal(statSync(cli.configFile).mode & 0o777, 0o600);
      assert.equal(statSync(dirname(cli.configFile)).mode & 0o777, 0o700);
      const saved = JSON.parse(readFileSync(cli.configFile, "utf8"));
      assert.equal(saved.url, server.url);
      assert.equal(saved.org, "acme");
      assert.equal(typeof saved.token, "string");
      assert.ok(!JSON.stringify(saved).includes(OWNER.password));
    });

    test("a wrong password exits 2 with the API's code and saves nothing", async () => {
      const other = cliEnv();
      try {
        const r = await runCloakroom(["login", "--url", server.url, "--email", OWNER.email], {
          env: other.env,
          input: "not-the-password\n",
        });
        assert.equal(r.code, 2);
        assert.match(r.stderr, /^error: unauthenticated: /);
        assert.ok(!everything(r).includes("not-the-password"));
        assert.throws(() => statSync(other.configFile), /ENOENT/);
      } finally {
        rmSync(other.home, { recursive: true, force: true });
      }
    });

    test("a secret is created from standard input, and the server stores exactly what was piped", async () => {
      const r = await spawned(["secrets", "create", "API_KEY", "--visibility", "masked"], `${TOKEN_VALUE}\n`);
      assert.equal(r.code, 0, everything(r));
      assert.match(r.stdout, /created token secret API_KEY in acme \(version 1\)/);
      assert.ok(!everything(r).includes(TOKEN_VALUE));
      const reveal = await run(["secrets", "reveal", "API_KEY"]);
      assert.equal(reveal.code, 0, everything(reveal));
      assert.equal(reveal.stdout, `${TOKEN_VALUE}\n`, "one trailing newline is stripped, nothing else");
    });

    test("a username and password are created from a file", async () => {
      const file = join(cli.home, "login.txt");
      writeFileSync(file, `${DB_USER}\n${DB_PASSWORD}\n`, { mode: 0o600 });
      const r = await spawned([
        "secrets",
        "create",
        "DB_LOGIN",
        "--type",
        "username_password",
        "--visibility",
        "masked",
        "--description",
        "reporting database",
        "--from-file",
        file,
      ]);
      assert.equal(r.code, 0, everything(r));
      assert.ok(!everything(r).includes(DB_PASSWORD));
      const reveal = await run(["secrets", "reveal", "DB_LOGIN", "--json"]);
      assert.deepEqual(JSON.parse(reveal.stdout), { value: { username: DB_USER, password: DB_PASSWORD } });
    });

    test("list prints a table of metadata and --json prints the API's JSON, neither with a value", async () => {
      const table = await spawned(["secrets", "list"]);
      assert.equal(table.code, 0, everything(table));
      const lines = table.stdout.trimEnd().split("\n");
      assert.match(lines[0] ?? "", /^NAME\s+TYPE\s+SCOPE\s+USAGE\s+VERSION\s+UPDATED\s+LAST ACCESSED$/);
      assert.ok(
        lines.some((l) => /^API_KEY\s+token\s+org\s+0\s+1\s+\d{4}-\d\d-\d\d \d\d:\d\dZ\s+never$/.test(l)),
        table.stdout,
      );
      assert.ok(
        lines.some((l) => /^DB_LOGIN\s+username_password\s/.test(l)),
        table.stdout,
      );
      const json = await run(["secrets", "list", "--json"]);
      const body = JSON.parse(json.stdout) as {
        secrets: { name: string; type: string; usageCount: number }[];
      };
      assert.deepEqual(body.secrets.map((s) => s.name).sort(), ["API_KEY", "DB_LOGIN"]);
      for (const out of [table.stdout, json.stdout]) {
        for (const value of [TOKEN_VALUE, DB_USER, DB_PASSWORD]) assert.ok(!out.includes(value));
      }
    });

    test("update writes a new version, and a stale --expected-version exits 2 with version_conflict", async () => {
      const r = await run(["secrets", "update", "API_KEY", "--expected-version", "1"], `${NEXT_VALUE}\n`);
      assert.equal(r.code, 0, everything(r));
      assert.match(r.stdout, /updated API_KEY: now version 2/);
      const stale = await run(
        ["secrets", "update", "API_KEY", "--expected-version", "1"],
        "another-value-123\n",
      );
      assert.equal(stale.code, 2);
      assert.match(stale.stderr, /^error: version_conflict: /);
      assert.ok(!everything(stale).includes("another-value-123"));
      assert.equal((await run(["secrets", "reveal", "API_KEY"])).stdout, `${NEXT_VALUE}\n`);
    });

    test("versions lists the kept versions and rollback makes an old value current as a new version", async () => {
      const versions = await run(["secrets", "versions", "API_KEY"]);
      assert.equal(versions.code, 0, everything(versions));
      assert.match(versions.stdout, /^2 \(current\)\s/m);
      assert.match(versions.stdout, /^1\s/m);
      const rollback = await run(["secrets", "rollback", "API_KEY", "1"]);
      assert.equal(rollback.code, 0, everything(rollback));
      assert.match(rollback.stdout, /rolled API_KEY back to version 1: now version 3/);
      assert.equal((await run(["secrets", "reveal", "API_KEY"])).stdout, `${TOKEN_VALUE}\n`);
    });

    test("archive hides a secret from the list, restore brings it back", async () => {
      const archived = await run(["secrets", "archive", "DB_LOGIN"]);
      assert.equal(archived.code, 0, everything(archived));
      assert.ok(!(await run(["secrets", "list"])).stdout.includes("DB_LOGIN"));
      assert.match((await run(["secrets", "list", "--archived"])).stdout, /^DB_LOGIN\s/m);
      const restored = await run(["secrets", "restore", "DB_LOGIN"]);
      assert.equal(restored.code, 0, everything(restored));
      assert.match((await run(["secrets", "list"])).stdout, /^DB_LOGIN\s/m);
    });

    test("get shows metadata with usage and never the value", async () => {
      const r = await run(["secrets", "get", "DB_LOGIN"]);
      assert.equal(r.code, 0, everything(r));
      assert.match(r.stdout, /^description\s+reporting database$/m);
      assert.match(r.stdout, /^usage count\s+0$/m);
      assert.ok(!r.stdout.includes(DB_PASSWORD) && !r.stdout.includes(DB_USER));
    });

    test("delete removes a secret; asking for it afterwards exits 2 with not_found", async () => {
      const r = await run(["secrets", "delete", "DB_LOGIN", "--yes"]);
      assert.equal(r.code, 0, everything(r));
      const gone = await run(["secrets", "get", "DB_LOGIN"]);
      assert.equal(gone.code, 2);
      assert.match(gone.stderr, /^error: not_found: /);
    });

    test("an API error exits 2 with `error: <code>: <message>` and never the value", async () => {
      const r = await spawned(["secrets", "create", "API_KEY"], "duplicate-value-9876\n");
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^error: name_taken: .*API_KEY/);
      assert.ok(!everything(r).includes("duplicate-value-9876"));
      const bad = await run(["secrets", "create", "lower case"], "bad-name-value-5432\n");
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /^error: invalid_request: /);
      assert.ok(!everything(bad).includes("bad-name-value-5432"));
    });

    test("a value passed as an argument is refused, and nothing is created", async () => {
      for (const args of [
        ["secrets", "create", "ARG_SECRET", "--value", "argv-secret-1111"],
        ["secrets", "create", "ARG_SECRET", "--value=argv-secret-1111"],
        ["secrets", "create", "ARG_SECRET", "argv-secret-1111"],
        ["secrets", "update", "API_KEY", "argv-secret-1111"],
      ]) {
        const r = args.some((a) => a.startsWith("--value")) ? await spawned(args) : await run(args);
        assert.equal(r.code, 1, `${args.join(" ")}: ${everything(r)}`);
        assert.ok(!everything(r).includes("argv-secret-1111"), everything(r));
        assert.match(r.stderr, /never taken from (the command line|arguments)/);
      }
      const check = await run(["secrets", "get", "ARG_SECRET"]);
      assert.equal(check.code, 2);
      assert.equal((await run(["secrets", "reveal", "API_KEY"])).stdout, `${TOKEN_VALUE}\n`);
    });

    test("on a terminal the value is read from a prompt that does not echo it", async (t) => {
      const hidden = "typed-at-prompt-Qw3Er7";
      const r = await runOnTerminal(["secrets", "create", "PROMPTED", "--visibility", "masked"], {
        env: cli.env,
        answers: [{ prompt: "Value (hidden): ", type: `${hidden}\r` }],
      });
      if (!r) return t.skip("util-linux script is not installed");
      assert.equal(r.code, 0, everything(r));
      assert.ok(!r.stdout.includes(hidden), `the terminal showed the value:\n${r.stdout}`);
      assert.equal((await run(["secrets", "reveal", "PROMPTED"])).stdout, `${hidden}\n`);

      const login = await runOnTerminal(
        ["secrets", "create", "PROMPTED_LOGIN", "--type", "username_password", "--visibility", "masked"],
        {
          env: cli.env,
          answers: [
            { prompt: "Username: ", type: "visible-user\r" },
            { prompt: "Password (hidden): ", type: `${hidden}-pw\r` },
          ],
        },
      );
      assert.ok(login);
      assert.equal(login.code, 0, everything(login));
      assert.ok(login.stdout.includes("visible-user"), "the username is echoed");
      assert.ok(!login.stdout.includes(`${hidden}-pw`), "the password is not");
      const revealed = JSON.parse((await run(["secrets", "reveal", "PROMPTED_LOGIN", "--json"])).stdout);
      assert.deepEqual(revealed.value, { username: "visible-user", password: `${hidden}-pw` });
    });

    test("a restricted secret cannot be revealed: exit 2 with forbidden", async () => {
      assert.equal((await run(["secrets", "create", "LOCKED"], "restricted-value-2468\n")).code, 0);
      const r = await run(["secrets", "reveal", "LOCKED"]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^error: forbidden: /);
      assert.ok(!everything(r).includes("restricted-value-2468"));
    });

    test("a logic function built from files uses a secret by name; its run log, events and logs are redacted", async () => {
      assert.equal((await run(["projects", "create", "app"])).code, 0);
      const code = join(cli.home, "fn.js");
      writeFileSync(
        code,
        "export default function process({ event, secrets }) {\n" +
          '  console.log("using " + secrets.API_KEY);\n' +
          "  return { length: secrets.API_KEY.length, echoed: secrets.API_KEY, from: event.name };\n}\n",
      );
      const created = await run([
        "logic",
        "create",
        "--project",
        "app",
        "--name",
        "reporter",
        "--event",
        "demo.",
        "--secret",
        "API_KEY",
        "--code-file",
        code,
        "--json",
      ]);
      assert.equal(created.code, 0, everything(created));
      const fn = JSON.parse(created.stdout) as { id: string; secrets: string[] };
      assert.deepEqual(fn.secrets, ["API_KEY"]);

      const ran = await run(["logic", "run", "reporter", "--project", "app", "--event", "demo.test"]);
      assert.equal(ran.code, 0, everything(ran));
      assert.match(ran.stdout, /success\s+logic\/reporter\s+demo\.test/);
      assert.match(ran.stdout, /console\.log: using \[\[SENSITIVE\]\]/);
      assert.ok(!everything(ran).includes(TOKEN_VALUE), everything(ran));

      // In use: delete is refused and names the consumer; the usage count shows it.
      const refused = await spawned(["secrets", "delete", "API_KEY", "--yes"]);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /^error: secret_in_use: /);
      assert.match(refused.stderr, /used by: logic\/reporter/);
      assert.match((await run(["secrets", "get", "API_KEY"])).stdout, /^used by\s+logic\/reporter$/m);

      const published = await run([
        "events",
        "publish",
        "demo.created",
        "--project",
        "app",
        "--data",
        '{"n":1}',
      ]);
      assert.equal(published.code, 0, everything(published));
      let logs = "";
      for (let i = 0; i < 50 && !logs.includes("demo.created"); i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        logs = (await run(["logs", "--project", "app"])).stdout;
      }
      assert.match(logs, /success\s+logic\/reporter\s+demo\.created/);
      const json = await run(["logs", "--project", "app", "--json"]);
      assert.ok(!json.stdout.includes(TOKEN_VALUE));
      assert.ok(json.stdout.includes("[[SENSITIVE]]"));

      const deleted = await run(["logic", "delete", "reporter", "--project", "app"]);
      assert.equal(deleted.code, 0, everything(deleted));
      assert.match((await run(["secrets", "get", "API_KEY"])).stdout, /^usage count\s+0$/m);
    });

    test("logs --follow prints new runs as they happen and stops cleanly on SIGINT", async () => {
      const code = join(cli.home, "follow.js");
      writeFileSync(code, "export default function process({ event }) { return { seen: event.name } }\n");
      assert.equal(
        (
          await run([
            "logic",
            "create",
            "--project",
            "app",
            "--name",
            "tail",
            "--event",
            "tail.",
            "--code-file",
            code,
          ])
        ).code,
        0,
      );
      const follow = startCloakroom(["logs", "--project", "app", "--follow", "--interval", "1"], {
        env: cli.env,
      });
      try {
        // Wait until the first page is shown (or "no runs"), then publish.
        for (let i = 0; i < 100 && !/logic\/|no runs/.test(follow.output()); i++)
          await new Promise((r) => setTimeout(r, 100));
        assert.equal((await run(["events", "publish", "tail.one", "--project", "app"])).code, 0);
        for (let i = 0; i < 100 && !follow.output().includes("tail.one"); i++)
          await new Promise((r) => setTimeout(r, 100));
        assert.match(follow.output(), /success\s+logic\/tail\s+tail\.one/);
      } finally {
        follow.kill("SIGINT");
      }
      assert.equal(await follow.exited, 0, follow.output());
    });

    test("project-scoped secrets, tokens, members and invitations work through the same commands", async () => {
      assert.equal((await run(["projects", "create", "web"])).code, 0);
      const created = await run(["secrets", "create", "API_KEY", "--project", "web"], "project-value-1357\n");
      assert.equal(created.code, 0, everything(created));
      const list = JSON.parse((await run(["secrets", "list", "--project", "web", "--json"])).stdout);
      const mine = list.secrets.find(
        (s: { name: string; scope: string }) => s.name === "API_KEY" && s.scope === "project",
      );
      assert.ok(mine, JSON.stringify(list));

      const token = await run(["tokens", "create", "--name", "ci", "--role", "viewer"]);
      assert.equal(token.code, 0, everything(token));
      const value = token.stdout.trim();
      assert.ok(value.length >= 20, "the token is printed alone on stdout");
      const listed = await run(["tokens", "list"]);
      assert.match(listed.stdout, /\bci\s+viewer\b/);
      assert.ok(!listed.stdout.includes(value), "a token's value is shown once only");
      // The viewer token sees names, and is refused reveal.
      const asViewer = await runInProcess(["secrets", "list"], {
        env: { ...cli.env, CLOAKROOM_TOKEN: value, CLOAKROOM_URL: server.url },
      });
      assert.equal(asViewer.code, 0, everything(asViewer));
      assert.match(asViewer.stdout, /^API_KEY\s/m);
      const denied = await runInProcess(["secrets", "reveal", "API_KEY"], {
        env: { ...cli.env, CLOAKROOM_TOKEN: value, CLOAKROOM_URL: server.url },
      });
      assert.equal(denied.code, 2);
      assert.match(denied.stderr, /^error: forbidden: /);
      assert.equal((await run(["tokens", "delete", "ci"])).code, 0);

      const added = await run(["members", "add", "--email", "editor@example.com", "--role", "editor"]);
      assert.equal(added.code, 0, everything(added));
      const invite = added.stdout.trim();
      assert.match(invite, /^crk_i_[A-Za-z0-9_-]{43}$/, "the invite token is printed alone on stdout");
      assert.match(
        (await run(["members", "invitations", "list"])).stdout,
        /^editor@example\.com\s+editor\s/m,
      );
      assert.ok(!(await run(["members", "invitations", "list"])).stdout.includes(invite));
      // The invitee, on their own machine, chooses their password (from standard input, never argv).
      const invitee = cliEnv();
      try {
        const accepted = await runCloakroom(["accept-invite", invite, "--url", server.url], {
          env: invitee.env,
          input: "editor first password\n",
        });
        assert.equal(accepted.code, 0, everything(accepted));
        assert.match(accepted.stdout, /joined acme as editor/);
        assert.ok(!everything(accepted).includes("editor first password"));
        const again = await runCloakroom(["accept-invite", invite, "--url", server.url], {
          env: invitee.env,
          input: "editor first password\n",
        });
        assert.equal(again.code, 2, "an invitation works once");
        assert.match(again.stderr, /^error: not_found: /m);
      } finally {
        rmSync(invitee.home, { recursive: true, force: true });
      }
      assert.match((await run(["members", "list"])).stdout, /^editor@example\.com\s+editor\s/m);
      assert.equal(
        (await run(["members", "add", "--email", "later@example.com", "--role", "viewer"])).code,
        0,
      );
      assert.equal((await run(["members", "invitations", "revoke", "later@example.com"])).code, 0);
      assert.ok(!(await run(["members", "invitations", "list"])).stdout.includes("later@example.com"));
      assert.equal((await run(["members", "update", "editor@example.com", "--role", "viewer"])).code, 0);
      assert.match((await run(["members", "list"])).stdout, /^editor@example\.com\s+viewer\s/m);
      assert.equal((await run(["members", "remove", "editor@example.com"])).code, 0);
      assert.ok(!(await run(["members", "list"])).stdout.includes("editor@example.com"));

      assert.equal((await run(["settings", "set", "--versions-kept", "5"])).code, 0);
      assert.match((await run(["settings", "get"])).stdout, /^versions kept\s+5$/m);
    });

    test("logout ends the session and removes the token from the config file", async () => {
      const r = await run(["logout"]);
      assert.equal(r.code, 0, everything(r));
      const saved = JSON.parse(readFileSync(cli.configFile, "utf8"));
      assert.equal(saved.token, undefined);
      assert.equal(saved.url, server.url);
      const after = await run(["secrets", "list"]);
      assert.equal(after.code, 1);
      assert.match(after.stderr, /not signed in/);
    });

    test("an unreachable server exits 1 with a network error", async () => {
      const port = await closedPort();
      const r = await runCloakroom(["secrets", "list", "--org", "acme"], {
        env: { ...cli.env, CLOAKROOM_URL: `http://127.0.0.1:${port}`, CLOAKROOM_TOKEN: "x".repeat(32) },
      });
      assert.equal(r.code, 1);
      assert.match(r.stderr, new RegExp(`^error: cannot reach http://127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
    });
  });
}

for (const database of testDatabases()) {
  describe(`cloakroom setup on a new server (${database.name})`, () => {
    let server: TestServer;
    let cli: CliEnv;
    before(async () => {
      server = await startTestServer(database);
      cli = cliEnv();
    });
    after(async () => {
      await server?.close();
      if (cli) rmSync(cli.home, { recursive: true, force: true });
    });

    test("setup creates the first organization and owner, signs in, and works only once", async () => {
      const args = ["setup", "--url", server.url, "--org", "first", "--email", "admin@example.com"];
      const r = await runCloakroom(args, { env: cli.env, input: "first owner password\n" });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /set up organization first; signed in as admin@example\.com/);
      assert.equal(statSync(cli.configFile).mode & 0o777, 0o600);
      const who = await runInProcess(["whoami"], { env: cli.env });
      assert.match(who.stdout, /^organizations\s+first \(owner\)$/m);
      const again = await runInProcess(args, { env: cli.env, input: "another password 1\n" });
      assert.equal(again.code, 2);
      assert.match(again.stderr, /^error: already_set_up: /);
    });
  });
}
