/**
 * The package's public entry points resolve by name from a consumer package after a build: `cloakroom`,
 * `cloakroom/client` and `cloakroom/redaction`, as package.json's `exports` map promises.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDir } from "../src/testing/databases.js";

const fromSources = import.meta.url.endsWith(".ts");
const repoRoot = fileURLToPath(new URL(fromSources ? "../" : "../../", import.meta.url));

describe("the cloakroom package", () => {
  it("every exports entry is built, and a consumer imports cloakroom, cloakroom/client and cloakroom/redaction by name", () => {
    const manifest = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
      exports: Record<string, string>;
    };
    // Run from sources, the build may not exist yet: make it (tests run from dist/ are built already).
    const missing = () => Object.values(manifest.exports).filter((p) => !existsSync(join(repoRoot, p)));
    if (fromSources && missing().length > 0) {
      spawnSync(
        process.execPath,
        [join(repoRoot, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.json"],
        {
          cwd: repoRoot,
        },
      );
    }
    assert.deepEqual(missing(), [], "package.json exports files that the build does not produce");

    const consumer = tempDir();
    mkdirSync(join(consumer, "node_modules"));
    symlinkSync(repoRoot, join(consumer, "node_modules", "cloakroom"), "dir");
    writeFileSync(join(consumer, "package.json"), JSON.stringify({ name: "consumer", type: "module" }));
    writeFileSync(
      join(consumer, "main.js"),
      `const root = await import("cloakroom");
const client = await import("cloakroom/client");
const redaction = await import("cloakroom/redaction");
const r = root.createRedactor(["hunter2-secret"]);
console.log(JSON.stringify({
  root: [typeof root.createClient, typeof root.createRedactor, typeof root.redactDeep, root.SENSITIVE],
  client: [typeof client.createClient, typeof client.CloakroomApiError],
  redaction: [typeof redaction.createRedactor, typeof redaction.redactDeep],
  redacted: r.redact("token=hunter2-secret"),
}));`,
    );
    const out = JSON.parse(execFileSync(process.execPath, ["main.js"], { cwd: consumer, encoding: "utf8" }));
    assert.deepEqual(out.root, ["function", "function", "function", "[[SENSITIVE]]"]);
    assert.deepEqual(out.client, ["function", "function"]);
    assert.deepEqual(out.redaction, ["function", "function"]);
    assert.equal(out.redacted, "token=[[SENSITIVE]]");
  });
});
