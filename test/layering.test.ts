/**
 * The dependency rules `npm test` checks (.dependency-cruiser.cjs, docs/ARCHITECTURE.md "Layers") catch
 * what they promise: run over a small tree shaped like src/, an upward import, a cycle, production code
 * importing the test harness and a reach into another domain's store each fail the check, by rule name;
 * the same tree with only downward imports passes.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { tempDir } from "../src/testing/databases.js";

const fromSources = import.meta.url.endsWith(".ts");
const repoRoot = fileURLToPath(new URL(fromSources ? "../" : "../../", import.meta.url));

function tree(files: Record<string, string>): string {
  const root = tempDir("cloakroom-layering-");
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

function check(root: string): { status: number | null; output: string } {
  const result = spawnSync(
    process.execPath,
    [
      join(repoRoot, "node_modules/dependency-cruiser/bin/dependency-cruise.mjs"),
      "src",
      "--config",
      join(repoRoot, ".dependency-cruiser.cjs"),
      "--output-type",
      "err",
    ],
    { cwd: root, encoding: "utf8" },
  );
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

const downward = {
  "src/caller.ts": "export type Actor = { id: string };\n",
  "src/store/types.ts": "export type Tx = { id: string };\n",
  "src/store/db.ts": 'import type { Tx } from "./types.js";\nexport const open = (tx: Tx) => tx;\n',
  "src/store/migrations.ts": 'import type { Tx } from "./types.js";\nexport const up = (tx: Tx) => tx;\n',
  "src/audit/chain.ts":
    'import type { Actor } from "../caller.js";\nexport const label = (a: Actor) => a.id;\n',
  "src/auth/store.ts": "export const findUser = () => null;\n",
  "src/auth/service.ts":
    'import { label } from "../audit/chain.js";\nimport { findUser } from "./store.js";\nexport const who = [label, findUser];\n',
  "src/testing/databases.ts": 'import { open } from "../store/db.js";\nexport const testDb = open;\n',
  "src/secrets/service.ts": 'import { who } from "../auth/service.js";\nexport const s = who;\n',
};

describe("the dependency rules", () => {
  it("pass a tree whose imports all go down", () => {
    const { status, output } = check(tree(downward));
    assert.equal(status, 0, output);
  });

  it("fail an upward import, a cycle, test code in production and another domain's store, naming each", () => {
    const { status, output } = check(
      tree({
        ...downward,
        // audit sits below auth: the import the layering forbids (audit once imported auth's Actor).
        "src/audit/chain.ts":
          'import type { Actor } from "../auth/types.js";\nexport const label = (a: Actor) => a.email;\n',
        "src/auth/types.ts": "export type Actor = { email: string };\n",
        // db.ts and migrations.ts importing each other (the cycle there was).
        "src/store/db.ts": 'import { up } from "./migrations.js";\nexport const open = up;\n',
        "src/store/migrations.ts":
          'import type { open } from "./db.js";\nexport const up = (o: typeof open) => o;\n',
        "src/secrets/service.ts":
          'import { testDb } from "../testing/databases.js";\nimport { findUser } from "../auth/store.js";\nexport const s = [testDb, findUser];\n',
      }),
    );
    assert.notEqual(status, 0, output);
    assert.match(output, /upward-from-audit: src\/audit\/chain\.ts → src\/auth\/types\.ts/);
    assert.match(output, /no-circular: src\/store\/(db|migrations)\.ts/);
    assert.match(
      output,
      /no-test-code-in-production: src\/secrets\/service\.ts → src\/testing\/databases\.ts/,
    );
    assert.match(output, /no-other-domains-store: src\/secrets\/service\.ts → src\/auth\/store\.ts/);
  });
});
