#!/usr/bin/env node
// Runs every compiled test file under dist/ with node's own test runner.
// Node 20 does not glob test paths, so the list is built here; usage:
//   node scripts/run-tests.mjs            all tests
//   node scripts/run-tests.mjs redaction  only files whose path contains "redaction"
import { spawnSync } from "node:child_process";
import { testFiles } from "./test-files.mjs";

const files = testFiles(process.argv.slice(2));
if (files.length === 0) {
  console.error("no test files found under dist/ (did the build run?)");
  process.exit(1);
}
if (process.env.CI === "true" && !process.env.TEST_DATABASE_URL) {
  console.error("CI=true but TEST_DATABASE_URL is unset: the PostgreSQL suite would be skipped");
  process.exit(1);
}
// The timeout also bounds each file as a whole: the Chromium journeys (a describe of its own 300 s) took
// over 120 s on a loaded machine and were cut off although every journey passed.
const result = spawnSync(
  process.execPath,
  ["--test", "--test-concurrency=2", "--test-timeout=300000", "--enable-source-maps", ...files],
  { stdio: "inherit" },
);
process.exit(result.status ?? 1);
