import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { configPath, readConfig, writeConfig } from "./config-file.js";

const root = mkdtempSync(join(tmpdir(), "cloakroom-cli-config-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("the CLI config file", () => {
  test("it lives in $CLOAKROOM_CONFIG, else under XDG_CONFIG_HOME or ~/.config", () => {
    assert.equal(configPath({ CLOAKROOM_CONFIG: "/x/c.json", HOME: "/h" }), "/x/c.json");
    assert.equal(configPath({ XDG_CONFIG_HOME: "/xdg", HOME: "/h" }), "/xdg/cloakroom/config.json");
    assert.equal(configPath({ HOME: "/h" }), "/h/.config/cloakroom/config.json");
  });

  test("the file holding a token is readable by its owner only, in a directory only the owner can enter", async () => {
    const previous = process.umask(0o000); // the widest umask: the modes must not depend on it
    try {
      const path = join(root, "fresh", "cloakroom", "config.json");
      await writeConfig(path, { url: "http://127.0.0.1:1", token: "tok_secret", org: "acme" });
      assert.equal(statSync(path).mode & 0o777, 0o600);
      assert.equal(statSync(join(root, "fresh", "cloakroom")).mode & 0o777, 0o700);
      assert.deepEqual(await readConfig(path), {
        url: "http://127.0.0.1:1",
        token: "tok_secret",
        org: "acme",
      });
    } finally {
      process.umask(previous);
    }
  });

  test("rewriting replaces the file atomically and leaves no temporary files", async () => {
    const dir = join(root, "rewrite");
    const path = join(dir, "config.json");
    await writeConfig(path, { url: "http://a", token: "one" });
    await writeConfig(path, { url: "http://a" });
    assert.deepEqual(await readConfig(path), { url: "http://a" });
    assert.deepEqual(readdirSync(dir), ["config.json"]);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test("a missing file is an empty config; a broken one is named without quoting its content", async () => {
    assert.deepEqual(await readConfig(join(root, "nope.json")), {});
    const broken = join(root, "broken.json");
    writeFileSync(broken, '{"token": "tok_do_not_print"');
    await assert.rejects(readConfig(broken), (error: Error) => {
      assert.match(error.message, /not valid JSON/);
      assert.ok(!error.message.includes("tok_do_not_print"));
      return true;
    });
  });
});
