/** The CLI's side of S11's second setting and S12's allowed hosts, against a real server. */
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { type CliEnv, cliEnv, cliRunners } from "../testing/cli.js";
import { testDatabases } from "../testing/databases.js";
import { startTestServer, type TestServer } from "../testing/server.js";

for (const database of testDatabases()) {
  describe(`CLI settings and allowed hosts (${database.name})`, () => {
    let server: TestServer;
    let cli: CliEnv;
    const { run } = cliRunners(() => cli);

    before(async () => {
      server = await startTestServer(database);
      const { token } = await server.setup({ org: "acme" });
      cli = cliEnv({ CLOAKROOM_URL: server.url, CLOAKROOM_TOKEN: token });
    });
    after(async () => {
      await server?.close();
      if (cli) rmSync(cli.home, { recursive: true, force: true });
    });

    it("settings set --editors-compute-with-restricted changes the setting and settings get shows it", async () => {
      const set = await run(["settings", "set", "--editors-compute-with-restricted", "true"]);
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stdout, /editors compute with restricted true/);
      const get = await run(["settings", "get"]);
      assert.match(get.stdout, /editors compute with restricted\s+true/);
    });

    it("secrets create --allowed-hosts binds the secret and secrets get shows the hosts", async () => {
      const created = await run(
        ["secrets", "create", "STRIPE_KEY", "--allowed-hosts", "api.stripe.com, *.stripe.com"],
        "sk-cli-value-1234\n",
      );
      assert.equal(created.code, 0, created.stderr);
      const get = await run(["secrets", "get", "STRIPE_KEY"]);
      assert.match(get.stdout, /allowed hosts\s+api\.stripe\.com, \*\.stripe\.com/);
      const bad = await run(["secrets", "create", "OTHER_KEY", "--allowed-hosts", "api.*.com"], "v-123456\n");
      assert.notEqual(bad.code, 0);
    });
  });
}
