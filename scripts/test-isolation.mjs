#!/usr/bin/env node
// Proves that no test depends on another test's order or leftovers: for each compiled test file it lists the
// file's tests (one full run), then runs every test that is not inside another test (top-level tests, and
// tests inside describe blocks, whose before() hooks still run) ALONE in a fresh process, selected with an
// anchored --test-name-pattern, and checks that the selected test really ran and passed.
// Not part of `npm test` (it starts one process per test). Usage, after a build:
//   nice -n 10 node scripts/test-isolation.mjs [--database=sqlite|postgres] [--skip=SUBSTRING ...] [FILTER ...]
// FILTERs pick files under dist/ whose path contains one of them (as in scripts/run-tests.mjs). --database
// keeps only that database's variant of each test (TEST_ONLY_DATABASE, src/testing/databases.ts); postgres
// needs TEST_DATABASE_URL. Exits 1 if any test fails alone.
//
// Selection: Node 22+ matches a pattern against the full name ("suite test"), so the pattern is exact. Node 20
// matches only a test's own name or an ancestor's, so there the pattern is the test's own name: a same-named
// test elsewhere in the file (e.g. the SQLite twin of a PostgreSQL test, unless --database picks one)
// runs with it; the report counts those companions, and any of them failing fails the test.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { testFiles } from "./test-files.mjs";

const reporter = join(dirname(fileURLToPath(import.meta.url)), "test-isolation-reporter.mjs");
const fullNames = Number(process.versions.node.split(".")[0]) >= 22;

/** Runs one test file (optionally with a name pattern) and returns what the reporter saw. */
function run(file, pattern) {
  const args = ["--test", `--test-reporter=${reporter}`, "--test-timeout=120000", "--enable-source-maps"];
  if (pattern !== undefined) args.push(`--test-name-pattern=${pattern}`);
  const result = spawnSync(process.execPath, [...args, file], { encoding: "utf8", maxBuffer: 64 << 20, env });
  const records = result.stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
  return { status: result.status, records, stderr: result.stderr };
}

const key = (path) => JSON.stringify(path);
const regexEscape = (text) => text.replace(/[\\^$.*+?()[\]{}|/]/g, "\\$&");

/** The tests that can be selected alone: not skipped, and with only suites (describe) above them. */
function units(records) {
  const suites = new Set(records.filter((r) => r.suite).map((r) => key(r.path)));
  const seen = new Set();
  return records.filter((r) => {
    if (r.suite || r.skipped || r.todo) return false;
    for (let depth = 1; depth < r.path.length; depth++) {
      if (!suites.has(key(r.path.slice(0, depth)))) return false;
    }
    if (seen.has(key(r.path))) return false;
    seen.add(key(r.path));
    return true;
  });
}

function isolate(file) {
  const full = run(file);
  const tests = units(full.records);
  const report = { file, tests: tests.length, passed: 0, failed: [], failsInFile: [], companions: 0 };
  for (const test of tests) {
    const name = test.path.join(" > ");
    if (!test.passed) report.failsInFile.push(name);
    const own = test.path[test.path.length - 1];
    const pattern = `^${regexEscape(fullNames ? test.path.join(" ") : own)}$`;
    const alone = run(file, pattern);
    const ran = units(alone.records);
    const self = ran.find((r) => key(r.path) === key(test.path));
    const others = ran.filter((r) => r !== self);
    report.companions += others.length;
    const problems = [];
    if (!self) problems.push("did not run (the pattern selected nothing)");
    else if (!self.passed) problems.push(self.error || "failed");
    const failedOthers = others.filter((r) => !r.passed).map((r) => r.path.join(" > "));
    if (failedOthers.length > 0) problems.push(`selected with it and failed: ${failedOthers.join(", ")}`);
    // A suite fails with its tests; alone it also fails when its own hooks do (before, after, afterEach).
    const hookFailures = alone.records
      .filter((r) => r.suite && !r.passed)
      .map((r) => `${r.path.join(" > ")}${r.error ? `: ${r.error}` : ""}`);
    if (hookFailures.length > 0 && problems.length === 0)
      problems.push(`suite failed: ${hookFailures.join(", ")}`);
    if (alone.status !== 0 && problems.length === 0)
      problems.push(`exit ${alone.status}: ${alone.stderr.slice(-300)}`);
    if (problems.length === 0) report.passed++;
    else report.failed.push({ name, problems });
  }
  return report;
}

const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith("--database="))?.slice("--database=".length);
const env = only ? { ...process.env, TEST_ONLY_DATABASE: only } : process.env;
if (only === "postgres" && !process.env.TEST_DATABASE_URL) {
  console.error("--database=postgres needs TEST_DATABASE_URL");
  process.exit(1);
}
const skips = args.filter((a) => a.startsWith("--skip=")).map((a) => a.slice("--skip=".length));
const filters = args.filter((a) => !a.startsWith("--"));
const files = testFiles(filters, skips);
if (files.length === 0) {
  console.error("no test files matched under dist/ (did the build run?)");
  process.exit(1);
}

const totals = { files: 0, tests: 0, passed: 0, failed: 0 };
for (const file of files) {
  const report = isolate(file);
  totals.files++;
  totals.tests += report.tests;
  totals.passed += report.passed;
  totals.failed += report.failed.length;
  const extra = report.companions > 0 ? `, ${report.companions} same-named companions ran too` : "";
  console.log(
    `${file}: ${report.tests} run alone, ${report.passed} passed, ${report.failed.length} failed${extra}`,
  );
  for (const name of report.failsInFile) console.log(`  fails in the whole file too: ${name}`);
  for (const { name, problems } of report.failed)
    console.log(`  FAILED ALONE: ${name}\n    ${problems.join("\n    ")}`);
}
console.log(
  `\n${totals.files} files, ${totals.tests} tests run alone, ${totals.passed} passed, ${totals.failed} failed` +
    ` (node ${process.versions.node}, ${only ?? (process.env.TEST_DATABASE_URL ? "SQLite and PostgreSQL" : "SQLite")})`,
);
process.exit(totals.failed > 0 ? 1 : 0);
