import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, loadConfig } from "../config.js";

describe("database and shutdown settings (D3)", () => {
  it("defaults bound every connection and the shutdown", () => {
    const c = loadConfig({}, {});
    assert.deepEqual(c.db, {
      connectTimeoutMs: 10_000,
      statementTimeoutMs: 30_000,
      queryTimeoutMs: 35_000,
      idleInTransactionTimeoutMs: 10_000,
      keepAliveMs: 10_000,
    });
    assert.equal(c.shutdownTimeoutMs, c.runner.stopGraceMs + 10_000);
    assert.equal(c.runner.stuckMs, 60_000);
  });

  it("the client waits longer than the server unless told otherwise", () => {
    const c = loadConfig({}, { CLOAKROOM_DB_STATEMENT_TIMEOUT_MS: "2000" });
    assert.equal(c.db.queryTimeoutMs, 7_000);
  });

  it("a bad setting stops start-up naming it", () => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        { CLOAKROOM_DB_STATEMENT_TIMEOUT_MS: "10", CLOAKROOM_DB_QUERY_TIMEOUT_MS: "5000" },
        /STATEMENT_TIMEOUT/,
      ],
      [{ CLOAKROOM_DB_STATEMENT_TIMEOUT_MS: "9000", CLOAKROOM_DB_QUERY_TIMEOUT_MS: "5000" }, /QUERY_TIMEOUT/],
      [{ CLOAKROOM_DB_KEEPALIVE_MS: "soon" }, /CLOAKROOM_DB_KEEPALIVE_MS/],
      [{ CLOAKROOM_SHUTDOWN_TIMEOUT_MS: "-1" }, /CLOAKROOM_SHUTDOWN_TIMEOUT_MS/],
      [{ CLOAKROOM_RUN_STUCK_MS: "0" }, /CLOAKROOM_RUN_STUCK_MS/],
    ];
    for (const [env, name] of cases) {
      assert.throws(
        () => loadConfig({}, env),
        (e: unknown) => e instanceof ConfigError && name.test(e.message),
      );
    }
  });
});
