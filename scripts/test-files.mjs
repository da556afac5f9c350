// The compiled test files under dist/, for scripts/run-tests.mjs and scripts/test-isolation.mjs. Node 20 does
// not glob test paths, so the list is built here: files whose path contains one of `filters` (all when there
// are none), and none containing one of `skips`, sorted.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (name.endsWith(".test.js")) out.push(path);
  }
  return out;
}

export function testFiles(filters, skips = []) {
  return walk("dist", [])
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .filter((f) => !skips.some((x) => f.includes(x)))
    .sort();
}
