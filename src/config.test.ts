import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "./config.js";

describe("configuration (D3)", () => {
  it("defaults serve on 127.0.0.1:8787 with SQLite in ./data", () => {
    const c = loadConfig({}, {});
    assert.equal(c.host, "127.0.0.1");
    assert.equal(c.port, 8787);
    assert.match(c.dataDir, /\/data$/);
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.allowPrivateTargets, false);
    assert.equal(c.runner.maxAttempts, 5);
    assert.equal(c.listCacheMb, 8);
  });

  it("the fairness reserves default to one sandbox thread and a share of the run slots, and can be set", () => {
    const c = loadConfig({}, {});
    assert.equal(c.sandboxReserve, 1);
    assert.equal(c.runner.reserve, undefined, "derived from the concurrency (runner/fairness.ts)");
    const set = loadConfig({}, { CLOAKROOM_SANDBOX_RESERVE: "0", CLOAKROOM_RUN_RESERVE: "8" });
    assert.equal(set.sandboxReserve, 0);
    assert.equal(set.runner.reserve, 8);
  });

  it("flags win over the environment", () => {
    const c = loadConfig(
      { port: "9000", host: "0.0.0.0" },
      { CLOAKROOM_PORT: "7000", CLOAKROOM_HOST: "::1" },
    );
    assert.equal(c.port, 9000);
    assert.equal(c.host, "0.0.0.0");
    assert.equal(loadConfig({}, { CLOAKROOM_PORT: "7000" }).port, 7000);
  });

  it("a bad setting stops start-up with a message naming the setting", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ CLOAKROOM_PORT: "99999" }, /CLOAKROOM_PORT/],
      [{ DATABASE_URL: "mysql://x" }, /DATABASE_URL/],
      [{ CLOAKROOM_ALLOW_PRIVATE_TARGETS: "maybe" }, /CLOAKROOM_ALLOW_PRIVATE_TARGETS/],
      [{ CLOAKROOM_LOG_LEVEL: "loud" }, /CLOAKROOM_LOG_LEVEL/],
      [{ CLOAKROOM_RUN_MAX_ATTEMPTS: "0" }, /CLOAKROOM_RUN_MAX_ATTEMPTS/],
      [{ CLOAKROOM_WORKERS: "-1" }, /CLOAKROOM_WORKERS/],
      [{ CLOAKROOM_SANDBOX_RESERVE: "-1" }, /CLOAKROOM_SANDBOX_RESERVE/],
      [{ CLOAKROOM_RUN_RESERVE: "x" }, /CLOAKROOM_RUN_RESERVE/],
      [{ CLOAKROOM_LIST_CACHE_MB: "-1" }, /CLOAKROOM_LIST_CACHE_MB/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadConfig({}, env),
        (e: unknown) => e instanceof ConfigError && message.test(e.message),
      );
    }
  });

  it("a database URL's password never appears in a configuration error", () => {
    try {
      loadConfig({ port: "x" }, { DATABASE_URL: "postgres://u:hunter2-secret@h/db" });
      assert.fail("accepted");
    } catch (e) {
      assert.ok(!(e as Error).message.includes("hunter2-secret"));
    }
  });
});
