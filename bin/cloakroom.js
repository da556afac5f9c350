#!/usr/bin/env node
// The `cloakroom` command. The TypeScript sources are compiled to dist/src by `npm install` (prepare) and
// bundled into dist/server (scripts/bundle.mjs), which starts several times faster (decision 0164). The
// bundle is used only while it is at least as new as the compiled sources, so a rebuild without the
// bundling step never runs stale code (tsc rewrites dist/.tsbuildinfo on every build that emits).
import { existsSync, statSync } from "node:fs";
import module from "node:module";

const compiled = new URL("../dist/src/cli/main.js", import.meta.url);
const bundled = new URL("../dist/server/main.js", import.meta.url);
const buildInfo = new URL("../dist/.tsbuildinfo", import.meta.url);
if (!existsSync(compiled)) {
  console.error(
    "cloakroom: dist/ is missing; run `npm install` (or `npm run build`) in the repository first",
  );
  process.exit(1);
}
// Node 22.1 and later keep V8's compiled code on disk between runs; older versions have no such cache.
module.enableCompileCache?.();
const built = statSync(existsSync(buildInfo) ? buildInfo : compiled).mtimeMs;
const fresh = existsSync(bundled) && statSync(bundled).mtimeMs >= built;
await import((fresh ? bundled : compiled).href);
