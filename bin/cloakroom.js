#!/usr/bin/env node
// The `cloakroom` command. The TypeScript sources are compiled to dist/ by `npm install` (prepare).
import { existsSync } from "node:fs";

const entry = new URL("../dist/src/cli/main.js", import.meta.url);
if (!existsSync(entry)) {
  console.error(
    "cloakroom: dist/ is missing; run `npm install` (or `npm run build`) in the repository first",
  );
  process.exit(1);
}
await import(entry.href);
