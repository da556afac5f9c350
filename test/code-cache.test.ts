/**
 * bin/code-cache.js runs the bundle through V8's code cache (decision 0275). The cache must never change
 * what runs: an edited bundle runs its new code even when V8 alone would accept the old cache (V8 checks
 * only the source's length), also when its mtime is the old one's, a damaged cache is ignored and replaced,
 * and `serve` replaces a cache that a client command wrote.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tempDir } from "../src/testing/databases.js";

const fromSources = import.meta.url.endsWith(".ts");
const repoRoot = fileURLToPath(new URL(fromSources ? "../" : "../../", import.meta.url));
const loader = pathToFileURL(join(repoRoot, "bin/code-cache.js")).href;

const runArgs = (file: string, serve: boolean) => [
  "--input-type=module",
  "-e",
  `import { runBundle } from ${JSON.stringify(loader)}; runBundle(${JSON.stringify(file)}, { serve: ${serve} });`,
];

/** Runs `file` as the bin runs the bundle; resolves to what it printed. */
function run(file: string, serve = false): string {
  return execFileSync(process.execPath, runArgs(file, serve), { encoding: "utf8" });
}

const header = (file: string) => {
  const buffer = readFileSync(`${file}.v8cache`);
  return buffer.subarray(0, buffer.indexOf(10)).toString("latin1");
};

/** A small CommonJS program with some functions for V8 to compile and cache. */
const program = (word: string) =>
  `"use strict";const parts=[];function add(x){parts.push(x)}for(const c of ${JSON.stringify(word)})add(c);` +
  `console.log(parts.join(""), typeof require, typeof module.exports, __filename.endsWith("main.cjs"));`;

describe("the bundle's code cache", () => {
  it("is written by the first run, used by the next without rewriting, and gives the same result", () => {
    const file = join(tempDir(), "main.cjs");
    writeFileSync(file, program("alpha"));
    assert.equal(run(file), "alpha function object true\n");
    assert.ok(existsSync(`${file}.v8cache`), "the first run writes the cache");
    assert.match(header(file), /\|cli$/);
    const written = statSync(`${file}.v8cache`).mtimeMs;
    assert.equal(run(file), "alpha function object true\n");
    assert.equal(statSync(`${file}.v8cache`).mtimeMs, written, "an accepted cache is not rewritten");
  });

  it("runs a file written already wrapped (as scripts/bundle.mjs writes main.cjs) as is, cache and all", () => {
    const file = join(tempDir(), "main.cjs");
    writeFileSync(
      file,
      `(function (exports, require, module, __filename, __dirname) {${program("beta")}\n})`,
    );
    assert.equal(run(file), "beta function object true\n");
    assert.match(header(file), /\|cli$/);
    assert.equal(run(file), "beta function object true\n");
  });

  it("an edited bundle of the same length runs its new code, not the cached one", () => {
    const file = join(tempDir(), "main.cjs");
    writeFileSync(file, program("alpha"));
    run(file);
    writeFileSync(file, program("omega"));
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    assert.equal(run(file), "omega function object true\n");
  });

  it("another bundle of the same length and mtime (npm pack gives every file one mtime) runs its own code", () => {
    const file = join(tempDir(), "main.cjs");
    const packed = new Date("1985-10-26T08:15:00Z");
    writeFileSync(file, program("alpha"));
    utimesSync(file, packed, packed);
    assert.equal(run(file), "alpha function object true\n");
    writeFileSync(file, program("omega"));
    utimesSync(file, packed, packed);
    assert.equal(run(file), "omega function object true\n");
  });

  it("a damaged cache is ignored and replaced", () => {
    const file = join(tempDir(), "main.cjs");
    writeFileSync(file, program("alpha"));
    run(file);
    const good = readFileSync(`${file}.v8cache`);
    const damaged = Buffer.from(good);
    damaged.fill(7, good.indexOf(10) + 1);
    writeFileSync(`${file}.v8cache`, damaged);
    assert.equal(run(file), "alpha function object true\n");
    assert.notDeepEqual(readFileSync(`${file}.v8cache`), damaged, "the damaged cache was replaced");
  });

  it("a serve that fails to start writes no cache, which later serves would keep in place of their own", () => {
    const file = join(tempDir(), "main.cjs");
    writeFileSync(file, `${program("alpha")}process.exitCode=1;`);
    const failed = spawnSync(process.execPath, runArgs(file, true), { encoding: "utf8" });
    assert.equal(failed.status, 1);
    assert.equal(existsSync(`${file}.v8cache`), false);
  });

  it("a serve that ends at once (serve --help) leaves no server's cache: the next server writes its own", () => {
    const file = join(tempDir(), "main.cjs");
    writeFileSync(file, program("alpha"));
    run(file, true);
    assert.match(header(file), /\|cli$/, "the cache of a serve that never ran a server");
    writeFileSync(file, `${program("alpha")}setTimeout(() => {}, 2500);`);
    run(file, true);
    assert.match(header(file), /\|serve$/);
  });

  it("serve replaces a cache a client command wrote, and keeps its own", () => {
    const file = join(tempDir(), "main.cjs");
    // A server runs on: its cache is written two seconds after start.
    writeFileSync(file, `${program("alpha")}setTimeout(() => {}, 2500);`);
    run(file);
    assert.match(header(file), /\|cli$/);
    run(file, true);
    assert.match(header(file), /\|serve$/);
    run(file);
    assert.match(header(file), /\|serve$/, "a client command keeps the server's cache");
  });
});
