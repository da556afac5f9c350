#!/usr/bin/env node
// Runs every compiled benchmark under dist/bench/ one after another (or those whose name contains an
// argument): `npm run bench`, `npm run bench -- redaction`. Set TEST_DATABASE_URL to include PostgreSQL.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const filters = process.argv.slice(2);
const files = readdirSync("dist/bench")
  .filter((f) => f.endsWith(".bench.js"))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
let failed = 0;
for (const file of files) {
  console.log(`\n== ${file}`);
  const r = spawnSync(process.execPath, ["--expose-gc", `dist/bench/${file}`], { stdio: "inherit" });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
