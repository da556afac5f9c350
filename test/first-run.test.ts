/**
 * The embedded default (D1, D3): the first start creates a 0600 root key file with a warning; a later start
 * reuses it silently; a database whose key file went missing refuses to start and creates nothing.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../src/testing/databases.js";
import { cliInvocation, startServerProcess } from "../src/testing/process.js";

describe("first run of the embedded server", () => {
  it("creates the key file 0600 with a warning, reuses it, and refuses to start without it", async () => {
    const dataDir = tempDir();
    const env = { CLOAKROOM_ROOT_KEY: "", CLOAKROOM_LOG_LEVEL: "warn" };
    const first = await startServerProcess(["--data-dir", dataDir], env);
    const health = await fetch(`${first.url}/healthz`);
    assert.equal(health.status, 200);
    await first.stop();
    const keyFile = join(dataDir, "root.key");
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.match(first.output(), /root key/i);
    assert.match(first.output(), /CLOAKROOM_ROOT_KEY/);

    const second = await startServerProcess(["--data-dir", dataDir], env);
    await second.stop();
    assert.doesNotMatch(second.output(), /created a new root key/i);

    rmSync(keyFile);
    const inv = cliInvocation(["serve", "--port", "0", "--data-dir", dataDir]);
    const third = spawnSync(inv.command, inv.args, {
      cwd: inv.cwd,
      env: { ...process.env, ...env },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(third.status, 1, third.stderr);
    assert.match(third.stderr, /root key/i);
    assert.equal(existsSync(keyFile), false, "no new key file may hide the lost one");
  });
});
