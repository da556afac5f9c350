#!/usr/bin/env node
// The `cloakroom` command. The TypeScript sources are compiled to dist/src by `npm install` (prepare) and
// bundled into dist/server/main.cjs (scripts/bundle.mjs), which starts several times faster, all the more
// through V8's code cache (decisions 0164 and 0275, bin/code-cache.js). The bundle is used only while it
// is at least as new as the compiled sources, so a rebuild without the bundling step never runs stale code
// (tsc rewrites dist/.tsbuildinfo on every build that emits).
import { existsSync, statSync } from "node:fs";
import module from "node:module";
import { fileURLToPath } from "node:url";
import { runBundle } from "./code-cache.js";

const compiled = new URL("../dist/src/cli/main.js", import.meta.url);
const bundled = fileURLToPath(new URL("../dist/server/main.cjs", import.meta.url));
const buildInfo = new URL("../dist/.tsbuildinfo", import.meta.url);
if (!existsSync(compiled)) {
  console.error(
    "cloakroom: dist/ is missing; run `npm install` (or `npm run build`) in the repository first",
  );
  process.exit(1);
}
const built = statSync(existsSync(buildInfo) ? buildInfo : compiled).mtimeMs;
if (existsSync(bundled) && statSync(bundled).mtimeMs >= built) {
  runBundle(bundled, { serve: process.argv[2] === "serve" });
} else {
  // Node 22.1 and later keep V8's compiled code of ES modules on disk between runs; Node 20 cannot.
  module.enableCompileCache?.();
  await import(compiled.href);
}
